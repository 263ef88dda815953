"""The import wizard through its pages: upload, shape, mapping (presets, saved mappings),
preview, the import as a job, its progress, failed rows fixed one by one; bad uploads,
permissions and another office's imports."""

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from civicdesk.accounts.middleware import SESSION_OFFICE_KEY
from civicdesk.accounts.permissions import Role
from civicdesk.audit.models import AuditEvent
from civicdesk.constituents.models import ExternalId, Person
from civicdesk.imports.models import ImportBatch, ImportFailure, ImportState, SavedMapping
from civicdesk.jobs.models import Job
from civicdesk.jobs.tasks import run_job
from conftest import make_member

SAMPLES = Path(__file__).resolve().parents[3] / "tests/data/voter-files/synthetic-samples"

PEOPLE_CSV = (
    b"First Name,Last Name,Email,Birth Date,ZIP\n"
    b"Ada,Lovelace,ada@example.org,12/10/1985,20001\n"
    b"Alan,Turing,alan@example.org,13/45/1990,20002\n"
    b"Grace,Hopper,grace@example.org,12/09/1956,20003\n"
)


# The signed-in member (session, user, membership), the page's frame (the office switcher),
# the imports with their tags, jobs and starters in one query, the saved mappings in another.
LIST_QUERIES = 9


@pytest.fixture
def nina(ward2):
    """A manager of Ward 2: may import, but only into Ward 2."""
    return make_member(ward2, "nina@ward2.example", Role.MANAGER, "Nina Nakamura")


def sample(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (SAMPLES / name).read_bytes(), content_type="text/csv")


def upload(client, file) -> ImportBatch:
    response = client.post(reverse("imports:upload"), {"file": file})
    assert response.status_code == 302, response.content.decode()[:2000]
    batch = ImportBatch.objects.order_by("-pk").first()
    assert response.headers["location"] == reverse("imports:batch-detail", args=[batch.pk])
    return batch


def mapping_post(response) -> dict:
    """What the mapping page's form sends when submitted as shown."""
    form = response.context["form"]
    data = {}
    for name, _field in form.fields.items():
        value = form[name].value()
        if value in (None, ""):
            continue
        data[name] = value
    if response.context["start"]:
        data["start"] = response.context["start"]
    return data


def choose_mapping(client, batch, start: str = "", **changes):
    url = reverse("imports:batch-mapping", args=[batch.pk])
    page = client.get(url, {"start": start} if start else {})
    assert page.status_code == 200
    data = {**mapping_post(page), **changes}
    return client.post(url, data)


def run_import(client, batch) -> ImportBatch:
    response = client.post(reverse("imports:batch-start", args=[batch.pk]))
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.state == ImportState.QUEUED
    assert run_job.call(job_id=batch.job_id) == "succeeded"
    batch.refresh_from_db()
    return batch


# ---------------------------------------------------------------- the whole wizard


def test_a_manager_imports_the_nc_sample_with_the_nc_preset(web, manny):
    client = web(manny)

    batch = upload(client, sample("nc.csv"))
    page = client.get(reverse("imports:batch-detail", args=[batch.pk]))
    assert page.status_code == 200
    assert page.context["shape"]["has_header"] is True
    assert page.context["shape"]["delimiter"] == "\t"
    assert page.context["sample_count"] == 5
    assert "Tab" in page.text
    assert "UTF-8" in page.text

    mapped = choose_mapping(client, batch, "preset:nc", id_system="voter")
    assert mapped.status_code == 302, mapped.content.decode()[:3000]
    batch.refresh_from_db()
    assert batch.state == ImportState.MAPPED
    assert batch.mapping["columns"]["last_name"] == ["last_name"]
    assert batch.mapping["id_system"] == "voter"
    assert batch.tag.name.startswith("Import nc.csv ")

    preview = client.get(reverse("imports:batch-detail", args=[batch.pk]))
    assert preview.status_code == 200
    assert len(preview.context["rows"]) == 20
    assert preview.context["row_count"] == 100
    assert "Import 100 rows" in preview.text
    assert {row["match"] for row in preview.context["rows"]} <= {"new", "fails"}

    batch = run_import(client, batch)
    assert batch.state == ImportState.FINISHED
    assert (batch.rows_done, batch.created + batch.failed) == (100, 100)
    assert batch.created >= 95
    assert Person.objects.filter(office=manny.office).count() == batch.created
    assert ExternalId.objects.filter(office=manny.office, system="voter").count() == batch.created

    done = client.get(reverse("imports:batch-detail", args=[batch.pk]))
    assert done.context["batch"].percent == 100
    people_url = f"{reverse('constituents:person-list')}?tags={batch.tag_id}"
    assert done.context["people_url"] == people_url
    listed = client.get(people_url)
    assert listed.status_code == 200


def test_running_the_same_file_again_changes_nothing(web, manny):
    client = web(manny)
    first = upload(client, sample("nc.csv"))
    choose_mapping(client, first, "preset:nc")
    first = run_import(client, first)

    again = upload(client, sample("nc.csv"))
    choose_mapping(client, again, "preset:nc")
    preview = client.get(reverse("imports:batch-detail", args=[again.pk]))
    assert all(
        row["match"].startswith("no change to ") or row["problems"]
        for row in preview.context["rows"]
    )
    again = run_import(client, again)

    assert (again.created, again.updated) == (0, 0)
    assert again.unchanged == first.created
    assert Person.objects.filter(office=manny.office).count() == first.created


def test_a_headerless_fl_file_with_the_fl_preset(web, manny):
    client = web(manny)
    batch = upload(client, sample("fl.csv"))
    page = client.get(reverse("imports:batch-detail", args=[batch.pk]))
    assert page.context["shape"]["has_header"] is False
    assert page.context["shape"]["columns"][:2] == ["Column 1", "Column 2"]

    assert choose_mapping(client, batch, "preset:fl").status_code == 302
    batch = run_import(client, batch)

    assert batch.state == ImportState.FINISHED
    assert batch.rows_done == 100
    assert batch.created + batch.failed == 100
    assert batch.created >= 95


def test_the_preset_says_when_the_file_should_be_read_differently(web, manny):
    client = web(manny)
    batch = upload(client, sample("fl.csv"))
    client.post(reverse("imports:batch-shape", args=[batch.pk]),
                {"has_header": "1", "delimiter": "\t", "encoding": "utf-8"})  # fmt: skip
    batch.refresh_from_db()
    assert batch.shape["has_header"] is True

    page = client.get(reverse("imports:batch-mapping", args=[batch.pk]), {"start": "preset:fl"})
    assert page.context["hint_form"]["values"] == {"has_header": "0"}
    assert "This layout expects the file to be read differently" in page.text

    answer = client.post(
        reverse("imports:batch-shape", args=[batch.pk]),
        {"has_header": "0", "delimiter": "\t", "encoding": "utf-8", "start": "preset:fl"},
    )
    assert answer.headers["location"].endswith("/mapping/?start=preset%3Afl")
    batch.refresh_from_db()
    assert batch.shape["has_header"] is False
    assert client.get(answer.headers["location"]).context["hint_form"] is None


def test_changing_the_header_renames_the_columns(web, manny):
    client = web(manny)
    batch = upload(client, SimpleUploadedFile("people.csv", PEOPLE_CSV))
    assert batch.shape["columns"][0] == "First Name"

    answer = client.post(reverse("imports:batch-shape", args=[batch.pk]),
                         {"has_header": "0", "delimiter": ",", "encoding": "utf-8"})  # fmt: skip

    assert answer.status_code == 302
    batch.refresh_from_db()
    assert batch.shape["columns"] == ["Column 1", "Column 2", "Column 3", "Column 4", "Column 5"]


def test_the_mapping_needs_a_name_column(web, manny):
    client = web(manny)
    batch = upload(client, SimpleUploadedFile("people.csv", PEOPLE_CSV))
    page = client.get(reverse("imports:batch-mapping", args=[batch.pk]))
    data = {**mapping_post(page), "col_0": "", "col_1": ""}

    answer = client.post(reverse("imports:batch-mapping", args=[batch.pk]), data)

    assert answer.status_code == 400
    assert "Choose the column that holds a name" in answer.text
    batch.refresh_from_db()
    assert (batch.state, batch.mapping) == (ImportState.UPLOADED, {})


def test_the_guess_maps_common_header_names(web, manny):
    client = web(manny)
    batch = upload(client, SimpleUploadedFile("people.csv", PEOPLE_CSV))
    page = client.get(reverse("imports:batch-detail", args=[batch.pk]))
    initial = page.context["form"].initial

    assert [initial[f"col_{i}"] for i in range(5)] == [
        "first_name", "last_name", "email", "birth_date", "postcode",
    ]  # fmt: skip


# ---------------------------------------------------------------- failed rows


def test_a_failed_row_is_listed_downloaded_fixed_and_imported(web, manny):
    client = web(manny)
    batch = upload(client, SimpleUploadedFile("people.csv", PEOPLE_CSV))
    choose_mapping(client, batch, date_order="MDY")
    preview = client.get(reverse("imports:batch-detail", args=[batch.pk]))
    assert preview.context["problem_count"] == 1
    assert "13/45/1990" in preview.text
    batch = run_import(client, batch)
    assert (batch.created, batch.failed) == (2, 1)

    failures = client.get(reverse("imports:failures", args=[batch.pk]))
    assert failures.status_code == 200
    assert "Alan" in failures.text
    assert "13/45/1990" in failures.text
    failure = ImportFailure.objects.get(batch=batch)
    assert failure.row_number == 2

    download = client.get(reverse("imports:failures-download", args=[batch.pk]))
    assert download.status_code == 200
    assert download["content-disposition"] == 'attachment; filename="people-failed-rows.csv"'
    lines = download.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "First Name,Last Name,Email,Birth Date,ZIP,reason"
    assert lines[1].startswith("Alan,Turing,alan@example.org,13/45/1990,20002,")

    prefix = f"f{failure.pk}"
    cells = ["Alan", "Turing", "alan@example.org", "06/23/1912", "20002"]
    fixed = client.post(
        reverse("imports:failure-fix", args=[batch.pk, failure.pk]),
        {f"{prefix}-cell_{i}": value for i, value in enumerate(cells)},
    )

    assert fixed.status_code == 302
    failure.refresh_from_db()
    batch.refresh_from_db()
    assert failure.is_fixed is True
    assert (batch.created, batch.failed) == (3, 0)
    assert Person.objects.filter(office=manny.office, last_name="Turing").count() == 1
    assert "Fixed and imported" in client.get(reverse("imports:failures", args=[batch.pk])).text


def test_a_fix_that_is_still_wrong_says_why_and_changes_nothing(web, manny):
    client = web(manny)
    batch = upload(client, SimpleUploadedFile("people.csv", PEOPLE_CSV))
    choose_mapping(client, batch, date_order="MDY")
    batch = run_import(client, batch)
    failure = ImportFailure.objects.get(batch=batch)
    prefix = f"f{failure.pk}"
    cells = ["Alan", "Turing", "alan@example.org", "99/99/1912", "20002"]

    answer = client.post(
        reverse("imports:failure-fix", args=[batch.pk, failure.pk]),
        {f"{prefix}-cell_{i}": value for i, value in enumerate(cells)},
    )

    assert answer.status_code == 409
    assert "99/99/1912" in answer.text
    failure.refresh_from_db()
    assert failure.is_fixed is False
    assert Person.objects.filter(office=manny.office, last_name="Turing").count() == 0


# ---------------------------------------------------------------- progress


def test_the_progress_partial_polls_until_the_import_ends(web, manny):
    client = web(manny)
    batch = upload(client, SimpleUploadedFile("people.csv", PEOPLE_CSV))
    choose_mapping(client, batch)
    client.post(reverse("imports:batch-start", args=[batch.pk]))

    url = reverse("imports:batch-detail", args=[batch.pk])
    partial = client.get(url, headers={"hx-request": "true"})
    assert partial.text.lstrip().startswith('<section id="batch-progress"')
    assert 'hx-trigger="every 1s"' in partial.text
    assert "Queued" in partial.text
    listed = client.get(reverse("imports:batch-list"))
    assert 'hx-trigger="every 1s"' in listed.text

    batch.refresh_from_db()
    run_job.call(job_id=batch.job_id)
    partial = client.get(url, headers={"hx-request": "true"})
    assert "hx-trigger" not in partial.text
    assert "Done: 2 created, 0 updated, 0 unchanged, 1 failed." in partial.text
    assert 'data-percent="100"' in partial.text
    assert "hx-trigger" not in client.get(reverse("imports:batch-list")).text


def test_a_started_import_cannot_be_started_or_remapped_again(web, manny):
    client = web(manny)
    batch = upload(client, SimpleUploadedFile("people.csv", PEOPLE_CSV))
    choose_mapping(client, batch)
    batch = run_import(client, batch)

    again = client.post(reverse("imports:batch-start", args=[batch.pk]), follow=True)
    assert "only an import ready to run can start" in again.text
    remap = client.get(reverse("imports:batch-mapping", args=[batch.pk]))
    assert remap.headers["location"] == reverse("imports:batch-detail", args=[batch.pk])
    assert Job.objects.count() == 1


# ---------------------------------------------------------------- saved mappings


def test_a_mapping_saved_on_the_way_is_offered_renamed_and_deleted(web, manny):
    client = web(manny)
    batch = upload(client, SimpleUploadedFile("people.csv", PEOPLE_CSV))
    choose_mapping(client, batch, id_system="crm", save_as="Old CRM export")
    saved = SavedMapping.objects.get(office=manny.office)
    assert saved.name == "Old CRM export"
    assert saved.mapping["id_system"] == "crm"

    second = upload(client, SimpleUploadedFile("more.csv", PEOPLE_CSV))
    page = client.get(reverse("imports:batch-mapping", args=[second.pk]),
                      {"start": f"saved:{saved.pk}"})  # fmt: skip
    assert page.context["start_source"] == "Old CRM export"
    assert page.context["form"].initial["id_system"] == "crm"

    listed = client.get(reverse("imports:batch-list"))
    assert "Old CRM export" in listed.text
    client.post(reverse("imports:mapping-rename", args=[saved.pk]), {"name": "CRM 2019"})
    assert list(SavedMapping.objects.values_list("name", flat=True)) == ["CRM 2019"]
    renamed = SavedMapping.objects.get()
    client.post(reverse("imports:mapping-delete", args=[renamed.pk]))
    assert SavedMapping.objects.count() == 0
    assert AuditEvent.objects.filter(action="import.mapping_deleted").exists()


def test_renaming_onto_another_mappings_name_is_refused(web, manny):
    client = web(manny)
    batch = upload(client, SimpleUploadedFile("people.csv", PEOPLE_CSV))
    choose_mapping(client, batch, save_as="First")
    other = upload(client, SimpleUploadedFile("people.csv", PEOPLE_CSV))
    choose_mapping(client, other, save_as="Second")
    first = SavedMapping.objects.get(name="First")

    answer = client.post(reverse("imports:mapping-rename", args=[first.pk]), {"name": "Second"},
                         follow=True)  # fmt: skip

    assert "Another mapping is already called “Second”." in answer.text
    assert sorted(SavedMapping.objects.values_list("name", flat=True)) == ["First", "Second"]


# ---------------------------------------------------------------- bad uploads


def test_an_empty_file_is_refused_with_a_message(web, manny):
    answer = web(manny).post(reverse("imports:upload"),
                             {"file": SimpleUploadedFile("empty.csv", b"")})  # fmt: skip

    assert answer.status_code == 400
    assert "The file is empty" in answer.text
    assert ImportBatch.objects.count() == 0


def test_a_file_that_is_not_a_table_is_refused(web, manny):
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20
    answer = web(manny).post(reverse("imports:upload"),
                             {"file": SimpleUploadedFile("photo.csv", png)})  # fmt: skip

    assert answer.status_code == 400
    errors = answer.context["form"].errors["file"]
    assert errors
    assert errors[0].startswith("photo.csv: ")
    assert ImportBatch.objects.count() == 0


def test_a_file_over_the_limit_is_refused_before_it_is_kept(web, manny, settings):
    settings.CIVICDESK_IMPORT_MAX_MB = 1
    big = PEOPLE_CSV + b"Zed,Zulu,zed@example.org,01/01/1970,20009\n" * 30_000

    answer = web(manny).post(reverse("imports:upload"),
                             {"file": SimpleUploadedFile("big.csv", big)})  # fmt: skip

    assert answer.status_code == 413
    assert "larger than the limit of 1 MB" in answer.text
    assert ImportBatch.objects.count() == 0


def test_posting_without_a_file_asks_for_one(web, manny):
    answer = web(manny).post(reverse("imports:upload"), {})

    assert answer.status_code == 400
    assert "Choose a file to import." in answer.text


def test_the_upload_keeps_the_csrf_check(client, manny):
    client.force_login(manny.user, backend="django.contrib.auth.backends.ModelBackend")
    client.handler.enforce_csrf_checks = True
    session = client.session
    session[SESSION_OFFICE_KEY] = manny.office_id
    session.save()

    answer = client.post(reverse("imports:upload"), {"file": sample("nc.csv")})

    assert answer.status_code == 403
    assert ImportBatch.objects.count() == 0


# ---------------------------------------------------------------- who may


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.VIEWER, Role.VOLUNTEER])
def test_staff_without_import_rights_get_403(web, manny, ward1, role):
    batch = upload(web(manny), SimpleUploadedFile("people.csv", PEOPLE_CSV))
    client = web(make_member(ward1, f"{role}@ward1.example", role, "No Imports"))

    for url in (
        reverse("imports:batch-list"),
        reverse("imports:upload"),
        reverse("imports:batch-detail", args=[batch.pk]),
        reverse("imports:failures", args=[batch.pk]),
    ):
        assert client.get(url).status_code == 403, url
    posted = client.post(reverse("imports:upload"), {"file": sample("nc.csv")})
    assert posted.status_code == 403
    assert ImportBatch.objects.count() == 1


def test_another_offices_import_is_404(web, manny, nina):
    batch = upload(web(manny), SimpleUploadedFile("people.csv", PEOPLE_CSV))
    client = web(nina)

    assert client.get(reverse("imports:batch-detail", args=[batch.pk])).status_code == 404
    assert client.get(reverse("imports:failures", args=[batch.pk])).status_code == 404
    assert client.post(reverse("imports:batch-start", args=[batch.pk])).status_code == 404
    assert "people.csv" not in client.get(reverse("imports:batch-list")).text
    batch.refresh_from_db()
    assert batch.state == ImportState.UPLOADED


def test_the_list_shows_the_offices_imports_with_their_counts(web, manny):
    client = web(manny)
    batch = upload(client, SimpleUploadedFile("people.csv", PEOPLE_CSV))
    choose_mapping(client, batch, date_order="MDY")
    run_import(client, batch)

    listed = client.get(reverse("imports:batch-list"))

    assert listed.status_code == 200
    row = re.search(r"<tr>\s*<td><a[^>]*>people.csv</a>.*?</tr>", listed.text, re.S).group(0)
    assert "Manny Moreno" in row
    assert "Finished" in row
    assert reverse("imports:failures", args=[batch.pk]) in row


def test_an_import_that_stopped_can_be_tried_again_after_its_checkpoint(web, manny):
    client = web(manny)
    batch = upload(client, SimpleUploadedFile("people.csv", PEOPLE_CSV))
    choose_mapping(client, batch, date_order="MDY")
    batch = run_import(client, batch)
    # As a file that could not be read past its first row leaves it: its checkpoint after
    # row 1, and nothing of the rows after it.
    ImportBatch.objects.filter(pk=batch.pk).update(
        state=ImportState.FAILED, error="Row 2 could not be read.", rows_done=1, created=1,
        failed=0,
    )  # fmt: skip
    ImportFailure.objects.filter(batch=batch).delete()
    page = client.get(reverse("imports:batch-detail", args=[batch.pk]))
    assert "Row 2 could not be read." in page.text
    assert "Try again after row 1" in page.text

    answer = client.post(reverse("imports:batch-resume", args=[batch.pk]))

    assert answer.status_code == 302
    batch.refresh_from_db()
    assert batch.state == ImportState.QUEUED
    assert run_job.call(job_id=batch.job_id) == "succeeded"
    batch.refresh_from_db()
    assert (batch.state, batch.rows_done) == (ImportState.FINISHED, 3)
    assert (batch.created, batch.unchanged, batch.failed) == (1, 1, 1)
    assert Person.objects.filter(office=manny.office).count() == 2
    finished = client.post(reverse("imports:batch-resume", args=[batch.pk]), follow=True)
    assert "nothing to resume" in finished.text


def test_the_list_takes_the_same_queries_for_one_import_or_many(
    web, manny, django_assert_num_queries
):
    client = web(manny)
    upload(client, SimpleUploadedFile("people.csv", PEOPLE_CSV))
    with django_assert_num_queries(LIST_QUERIES):
        client.get(reverse("imports:batch-list"))
    for name in ("b.csv", "c.csv", "d.csv"):
        batch = upload(client, SimpleUploadedFile(name, PEOPLE_CSV))
        choose_mapping(client, batch, save_as=f"Mapping {name}")

    with django_assert_num_queries(LIST_QUERIES):
        assert client.get(reverse("imports:batch-list")).status_code == 200
