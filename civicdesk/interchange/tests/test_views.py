"""The interchange page: upload a ZIP of an export, start an export, follow a run and read its
report, download the export. Admins only; another office's run is a 404."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from civicdesk.audit.models import AuditEvent
from civicdesk.interchange import handlers
from civicdesk.interchange.handlers import Result
from civicdesk.interchange.models import InterchangeRun, StagedRecord
from civicdesk.jobs.tasks import run_job


def zip_of(folder, *, top: str = "export") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, f"{top}/{path.relative_to(folder).as_posix()}")
    return buffer.getvalue()


def upload(client, content: bytes, name: str = "uga.zip"):
    return client.post(
        reverse("interchange:import"),
        {"file": SimpleUploadedFile(name, content, content_type="application/zip")},
    )


def test_the_page_is_for_admins(web, adam, manny):
    page = web(adam).get(reverse("interchange:home"))

    assert page.status_code == 200
    assert "Upload and import" in page.text
    assert "Export in the House CMS format" in page.text
    assert web(manny).get(reverse("interchange:home")).status_code == 403


def test_an_uploaded_export_is_imported_by_a_job_and_its_report_shown(web, adam, uga):
    client = web(adam)

    response = upload(client, zip_of(uga))

    run = InterchangeRun.objects.get(office=adam.office)
    assert response.status_code == 302
    assert response.url == reverse("interchange:run-detail", args=[run.pk])
    assert (run.state, run.job.kind, run.filename) == ("queued", "interchange.import", "uga.zip")
    assert "Waiting for a worker" in client.get(response.url).text

    assert run_job.call(job_id=run.job_id) == "succeeded"

    page = client.get(response.url).text
    assert "41 records read; 12 imported, 0 unchanged, 29 staged, 0 not brought in." in page
    assert "2C.out line 3: documents/in-email/3.txt not found" in page
    assert "Constituents 6, 8 appear in 2A, 2B, 2D records" in page
    assert AuditEvent.objects.filter(action="interchange.import_started", actor=adam).count() == 1
    run.job.refresh_from_db()
    assert (run.job.done, run.job.total, run.job.result["imported"]) == (82, 82, 12)
    run.refresh_from_db()
    assert not run.upload  # the export is in the staging table: not kept twice


def test_the_run_page_polls_while_the_job_runs(web, adam, uga):
    client = web(adam)
    upload(client, zip_of(uga))
    run = InterchangeRun.objects.get()

    partial = client.get(
        reverse("interchange:run-detail", args=[run.pk]), headers={"HX-Request": "true"}
    )

    assert partial.text.lstrip().startswith('<div id="run-progress" hx-get=')
    assert "<html" not in partial.text


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"1A\t1\n", "export.zip", "That file is not a ZIP file."),
        (b"", "export.zip", "The submitted file is empty."),
        (None, "notes.zip", "The ZIP holds no House CMS file"),
    ],
)
def test_an_upload_that_is_not_an_export_is_refused_and_nothing_kept(
    web, adam, content, name, message
):
    if content is None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("notes.txt", "hello")
        content = buffer.getvalue()

    response = upload(web(adam), content, name)

    assert response.status_code == 400
    assert message in response.text
    assert InterchangeRun.objects.count() == 0


def test_a_zip_reaching_out_of_its_folder_is_refused(web, adam, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("export/8A.out", "8A\tCOR\t1\tX\t")
        archive.writestr("../../evil.out", "1A\t1")
    client = web(adam)
    upload(client, buffer.getvalue())
    run = InterchangeRun.objects.get()

    assert run_job.call(job_id=run.job_id) == "failed"

    run.refresh_from_db()
    assert run.state == "failed"
    assert "outside its folder" in run.error
    assert "outside its folder" in client.get(reverse("interchange:run-detail", args=[run.pk])).text
    assert StagedRecord.objects.count() == 0


def test_an_export_is_made_by_a_job_and_downloaded(web, adam, import_uga):
    import_uga()
    client = web(adam)

    response = client.post(reverse("interchange:export"))

    run = InterchangeRun.objects.get(kind="export")
    assert response.url == reverse("interchange:run-detail", args=[run.pk])
    assert run_job.call(job_id=run.job_id) == "succeeded"
    page = client.get(response.url).text
    assert "Done: 48 records and 5 documents written." in page
    download = client.get(reverse("interchange:run-download", args=[run.pk]))
    content = b"".join(download.streaming_content)
    assert download["Content-Disposition"].startswith("attachment;")
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = archive.namelist()
        top = run.filename.removesuffix(".zip")
        assert f"{top}/1B.out" in names
        assert f"{top}/documents/in-email/1.txt" in names
        assert archive.read(f"{top}/8A.out").decode().splitlines()[-1] == "8A\tCOR\t99999\tcourt\tY"
    assert AuditEvent.objects.filter(action="interchange.export_downloaded", actor=adam).exists()


def test_another_offices_run_is_a_404(web, adam, ward2):
    other = InterchangeRun.objects.create(office=ward2, kind="export", filename="x.zip")
    client = web(adam)

    assert client.get(reverse("interchange:run-detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("interchange:run-download", args=[other.pk])).status_code == 404


def test_an_import_run_has_nothing_to_download(web, adam, import_uga):
    run = import_uga()

    assert web(adam).get(reverse("interchange:run-download", args=[run.pk])).status_code == 404


def test_staged_records_are_listed_and_brought_in_on_request(web, adam, import_uga, monkeypatch):
    import_uga()
    client = web(adam)
    page = client.get(reverse("interchange:home")).text
    assert "the shared inbox (correspondence)" in page
    assert "Try to bring them in again" in page  # 2B has a handler (its positions)

    monkeypatch.setitem(handlers.HANDLERS, "2D", lambda context, record: Result.imported())
    response = client.post(reverse("interchange:bring-in"), follow=True)

    assert "7 staged records brought in." in response.text
    assert not StagedRecord.objects.filter(record_type="2D", brought_in_at__isnull=True).exists()
