"""The full office export: started from its page or the API, run as a job, read back as a ZIP:
every office-owned table present, nothing of another office, the case documents, a manifest,
no credentials. Only admins; starting and downloading are audited."""

import csv
import io
import json
import zipfile

import pytest
from django.apps import apps

from civicdesk.accounts.services import create_api_token, invite_member
from civicdesk.accounts.tests.isolation import OfficeSide
from civicdesk.audit.models import AuditEvent
from civicdesk.casework.tests import isolation as casework_makers
from civicdesk.exports import office_export, services
from civicdesk.exports.models import OfficeExport
from civicdesk.jobs.models import Job

from .conftest import run_job


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def casework_of(side: OfficeSide) -> dict:
    """A case with a document, an action, a release, a letter, a status link, a template
    (with steps) and a team (with a member): rows in most casework tables."""
    made: dict = {}
    made["case_id"] = casework_makers._case(side, made)
    for param in ("document_id", "action_id", "release_id", "letter_id", "link_id", "template_id"):
        made[param] = casework_makers.OBJECT_MAKERS[param](side, made)
    from civicdesk.casework import services as casework_services

    made["team_id"] = casework_services.save_team(
        side.office, by=None, name=f"Desk {side.label}", member_ids=[side.staff.pk]
    )
    return made


@pytest.fixture
def ward1_data(ward1, adam, alice, john, maria, mallory):
    made = casework_of(OfficeSide(ward1, adam, alice))
    _token, secret = create_api_token(adam, name="script")
    invite_member(ward1, email="newcomer@ward1.example", role="caseworker", by=adam)
    return {**made, "token_secret": secret}


@pytest.fixture
def ward2_data(ward2, dora, carol, wren):
    made = casework_of(OfficeSide(ward2, dora, carol))
    create_api_token(dora, name="ward 2 script")
    return made


def start_and_run(member) -> OfficeExport:
    export = services.start_office_export(by=member)
    run_job(export.job)
    export.refresh_from_db()
    return export


def zip_of(export: OfficeExport) -> zipfile.ZipFile:
    with export.file.open("rb") as handle:
        return zipfile.ZipFile(io.BytesIO(handle.read()))


def rows_of(archive: zipfile.ZipFile, table: str) -> list[dict[str, str]]:
    text = archive.read(f"tables/{table}.csv").decode("utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


# ---------------------------------------------------------------- what the ZIP holds


def test_every_office_owned_table_is_in_the_export(adam, ward1_data, ward2_data):
    archive = zip_of(start_and_run(adam))

    names = set(archive.namelist())
    expected = {table.path for table in office_export.office_tables()}
    assert expected <= names
    assert {
        "tables/accounts_office.csv", "tables/accounts_user.csv",
        "tables/constituents_person.csv", "tables/constituents_emailaddress.csv",
        "tables/constituents_addressdistrict.csv", "tables/constituents_persontag.csv",
        "tables/casework_case.csv", "tables/casework_casedocument.csv",
        "tables/casework_templatestep.csv",  # hangs off a template: no office column of its own
        "tables/casework_team_members.csv",  # a many-to-many table, through the team
        "tables/audit_auditevent.csv", "tables/jobs_job.csv", "tables/tags_tag.csv",
        "manifest.json",
    } <= names  # fmt: skip
    # Every installed model with an office column is exported or skipped for a stated reason.
    owned = {
        m._meta.label_lower
        for m in apps.get_models(include_auto_created=True)
        if any(f.name == "office" and f.is_relation for f in m._meta.concrete_fields)
    }
    exported = {table.label for table in office_export.office_tables()}
    assert owned - exported == set(office_export.skipped_tables()) - {"accounts.office"}


def test_the_export_holds_the_offices_rows_and_none_of_another_office(
    ward1, ward2, adam, john, wren, ward1_data, ward2_data
):
    archive = zip_of(start_and_run(adam))

    people = rows_of(archive, "constituents_person")
    assert sorted(row["last_name"] for row in people) == [
        "'+SUM(1,2)",
        "Gómez",
        "Jones ward-1",
        "Smith",
    ]
    assert {row["office_id"] for row in people} == {str(ward1.pk)}
    assert len(rows_of(archive, "casework_templatestep")) == 1
    assert [row["membership_id"] for row in rows_of(archive, "casework_team_members")] == [
        str(ward1_data["team_id"].members.get().pk)
    ]
    # Nothing of Ward 2 anywhere: not its people, its staff, its name or its ids.
    everything = b"".join(archive.read(name) for name in archive.namelist())
    for trace in (b"wren@example.org", b"Wren", b"ward-2", b"ward2.example", b"Ward 2"):
        assert trace not in everything, trace
    office_ids = set()
    for table in office_export.office_tables():
        if table.office_path == "office":
            office_ids |= {row["office_id"] for row in rows_of(archive, table.name)}
    assert office_ids <= {str(ward1.pk)}


def test_the_case_documents_are_in_the_documents_folder(adam, ward1_data, ward2_data):
    document = ward1_data["document_id"]

    archive = zip_of(start_and_run(adam))

    documents = [name for name in archive.namelist() if name.startswith("documents/")]
    assert documents == [f"documents/{document.case_id}/{document.pk}-lease.pdf"]
    assert archive.read(documents[0]) == b"%PDF-1.4"


def test_a_missing_document_file_is_listed_not_fatal(adam, ward1_data):
    document = ward1_data["document_id"]
    document.file.storage.delete(document.file.name)

    export = start_and_run(adam)

    manifest = json.loads(zip_of(export).read("manifest.json"))
    assert export.job.state == "succeeded"
    assert manifest["documents"]["count"] == 0
    assert manifest["documents"]["missing"] == [
        {"table": "casework_casedocument", "id": document.pk, "name": "lease.pdf"}
    ]


def test_no_credentials_are_exported(adam, ward1_data):
    from civicdesk.accounts.models import ApiToken, Invitation
    from civicdesk.casework.models import CaseStatusLink

    archive = zip_of(start_and_run(adam))

    manifest = json.loads(archive.read("manifest.json"))
    columns = {column["name"] for table in manifest["tables"] for column in table["columns"]}
    assert not {name for name in columns if "password" in name or "token" in name}
    everything = b"".join(archive.read(name) for name in archive.namelist())
    secrets = [ward1_data["token_secret"]]
    secrets += list(ApiToken.objects.values_list("token_hash", flat=True))
    secrets += list(Invitation.objects.values_list("token_hash", flat=True))
    secrets += list(CaseStatusLink.objects.values_list("token_hash", flat=True))
    secrets += [adam.user.password]
    assert [secret for secret in secrets if secret.encode() in everything] == []
    tokens = next(t for t in manifest["tables"] if t["table"] == "accounts_apitoken")
    assert tokens["excluded_columns"] == ["token_hash"]
    assert rows_of(archive, "accounts_user")[0].keys() == {
        "id", "email", "full_name", "is_active", "date_joined",
    }  # fmt: skip


def test_the_manifest_describes_the_tables(ward1, adam, ward1_data):
    export = start_and_run(adam)
    archive = zip_of(export)

    manifest = json.loads(archive.read("manifest.json"))
    assert (manifest["format"], manifest["version"]) == ("civicdesk-office-export", 1)
    assert manifest["office"] == {"id": ward1.pk, "name": ward1.name, "slug": "ward-1"}
    assert manifest["exported_by"] == "adam@ward1.example"
    assert manifest["skipped_tables"]["constituents.searchkey"].startswith("derived search index")
    for table in manifest["tables"]:
        rows = rows_of(archive, table["table"])
        header = archive.read(table["file"]).decode().splitlines()[0].split(",")
        assert table["rows"] == len(rows), table["table"]
        assert [column["name"] for column in table["columns"]] == header
    people = next(t for t in manifest["tables"] if t["table"] == "constituents_person")
    assert {"name": "household_id", "type": "reference to constituents_household"} in people[
        "columns"
    ]
    assert export.row_count == manifest["row_count"] == sum(t["rows"] for t in manifest["tables"])
    assert (export.table_count, export.document_count) == (len(manifest["tables"]), 1)


def test_formulas_are_neutralized_in_the_office_export(adam, mallory):
    archive = zip_of(start_and_run(adam))

    [person] = rows_of(archive, "constituents_person")
    assert person["first_name"] == '\'=HYPERLINK("http://evil.example","click")'
    assert person["last_name"] == "'+SUM(1,2)"


def test_the_job_reports_progress_and_a_summary(adam, ward1_data):
    export = start_and_run(adam)

    job = Job.objects.get(pk=export.job_id)
    assert job.kind == "exports.office"
    assert job.state == "succeeded"
    assert job.done == job.total > 0
    assert job.result["rows"] == export.row_count
    assert "download it from the Office export page" in job.messages[0]["text"]
    assert not job.result_file  # the ZIP is only behind the audited, admins-only download


# ---------------------------------------------------------------- the page, the download, the audit


def test_the_page_starts_an_export_and_lists_it_for_download(web, adam, john):
    client = web(adam)
    assert "No exports yet" in client.get("/exports/office/").text

    response = client.post("/exports/office/", follow=True)

    export = OfficeExport.objects.get()
    assert response.redirect_chain == [("/exports/office/", 302)]
    assert "The export has started" in response.text
    assert "Being written" in response.text
    assert 'hx-trigger="every 2s"' in response.text
    run_job(export.job)
    page = client.get("/exports/office/").text
    assert f'href="/exports/office/{export.pk}/download/"' in page
    assert 'hx-trigger="every 2s"' not in page
    download = client.get(f"/exports/office/{export.pk}/download/")
    assert download["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(body(download)))
    assert "manifest.json" in archive.namelist()


def test_starting_and_downloading_are_audited(web, adam, john):
    client = web(adam)
    client.post("/exports/office/")
    export = OfficeExport.objects.get()
    run_job(export.job)
    body(client.get(f"/exports/office/{export.pk}/download/"))

    events = AuditEvent.objects.filter(action__startswith="office.export").order_by("seq")
    assert [(e.action, e.object_id, e.actor_id) for e in events] == [
        ("office.export_started", str(export.pk), adam.pk),
        ("office.export_downloaded", str(export.pk), adam.pk),
    ]


def test_a_second_export_waits_for_the_first(web, adam):
    client = web(adam)
    client.post("/exports/office/")

    response = client.post("/exports/office/", follow=True)

    assert "already under way" in response.text
    assert OfficeExport.objects.count() == 1


def test_an_unfinished_export_cannot_be_downloaded(web, adam):
    client = web(adam)
    client.post("/exports/office/")
    export = OfficeExport.objects.get()

    response = client.get(f"/exports/office/{export.pk}/download/", follow=True)

    assert "not finished yet" in response.text
    assert not AuditEvent.objects.filter(action="office.export_downloaded").exists()


def test_a_failed_export_says_so_and_does_not_block_the_next(web, adam, monkeypatch):
    client = web(adam)
    client.post("/exports/office/")
    export = OfficeExport.objects.get()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(office_export, "write_office_export", broken)
    job = run_job(export.job)

    assert (job.state, job.error) == ("failed", "OSError: disk full")
    assert "see why" in client.get("/exports/office/").text
    client.post("/exports/office/")
    assert OfficeExport.objects.count() == 2


@pytest.mark.parametrize("who", ["manny", "alice"])
def test_only_admins_may_export_the_office(request, web, who, adam):
    member = request.getfixturevalue(who)
    client = web(member)
    export = start_and_run(adam)

    assert client.get("/exports/office/").status_code == 403
    assert client.post("/exports/office/").status_code == 403
    assert client.get(f"/exports/office/{export.pk}/download/").status_code == 403
    assert OfficeExport.objects.count() == 1


def test_another_offices_export_is_404(web, adam, dora):
    theirs = start_and_run(dora)

    assert web(adam).get(f"/exports/office/{theirs.pk}/download/").status_code == 404
    assert not AuditEvent.objects.filter(
        action="office.export_downloaded", office=adam.office
    ).exists()


# ---------------------------------------------------------------- the API


def test_the_api_starts_follows_and_downloads_an_export(api, adam, john):
    client = api(adam)

    started = client.post("/api/v1/exports/office")

    assert started.status_code == 202
    export_id = started.json()["id"]
    assert started.json()["state"] == "running"
    assert started.json()["download_url"] is None
    run_job(OfficeExport.objects.get(pk=export_id).job)
    status = client.get(f"/api/v1/exports/office/{export_id}").json()
    assert status["state"] == "ready"
    assert status["download_url"] == f"/api/v1/exports/office/{export_id}/file"
    assert [e["id"] for e in client.get("/api/v1/exports/office").json()] == [export_id]
    download = client.get(status["download_url"])
    assert download.status_code == 200
    assert "manifest.json" in zipfile.ZipFile(io.BytesIO(body(download))).namelist()
    assert AuditEvent.objects.filter(action="office.export_downloaded").count() == 1


def test_the_api_refuses_a_manager_and_a_second_export(api, adam, manny):
    assert api(manny).post("/api/v1/exports/office").status_code == 403
    client = api(adam)
    client.post("/api/v1/exports/office")

    again = client.post("/api/v1/exports/office")

    assert again.status_code == 409
    assert again.json()["error"]["code"] == "export_refused"


# ---------------------------------------------------------------- deleting an export


def test_an_admin_deletes_an_export_and_its_file(
    web, adam, john, django_capture_on_commit_callbacks
):
    export = start_and_run(adam)
    storage, name = export.file.storage, export.file.name
    assert storage.exists(name)

    with django_capture_on_commit_callbacks(execute=True):
        response = web(adam).post(f"/exports/office/{export.pk}/delete/", follow=True)

    assert "The export and its file are deleted." in response.text
    assert not OfficeExport.objects.exists()
    assert not storage.exists(name)
    event = AuditEvent.objects.get(action="office.export_deleted")
    assert (event.object_id, event.actor_id) == (str(export.pk), adam.pk)


def test_an_export_being_written_cannot_be_deleted(web, adam):
    client = web(adam)
    client.post("/exports/office/")
    export = OfficeExport.objects.get()

    response = client.post(f"/exports/office/{export.pk}/delete/", follow=True)

    assert "still being written" in response.text
    assert OfficeExport.objects.count() == 1


def test_the_api_deletes_an_export(api, adam, manny, john):
    export = start_and_run(adam)

    assert api(manny).delete(f"/api/v1/exports/office/{export.pk}").status_code == 403
    assert api(adam).delete(f"/api/v1/exports/office/{export.pk}").status_code == 204
    assert not OfficeExport.objects.exists()


def test_small_chunks_write_every_row_once(ward1, adam, ward1_data, monkeypatch):
    monkeypatch.setattr(office_export, "CHUNK_SIZE", 2)

    archive = zip_of(start_and_run(adam))

    for table in office_export.office_tables():
        # The export's own job and audit events changed after their tables were written.
        if table.name in {"jobs_job", "audit_auditevent", "audit_auditchainhead"}:
            continue
        rows = rows_of(archive, table.name)
        pk = table.model._meta.pk.attname
        expected = table.rows_of(ward1).order_by("pk").values_list("pk", flat=True)
        assert [row[pk] for row in rows] == [str(value) for value in expected], table.name
