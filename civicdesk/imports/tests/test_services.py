"""The import services as the wizard and the API call them: the file and its shape, the
mapping, the preview, starting and resuming, failed rows, saved mappings, permissions."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from civicdesk.constituents.models import Person
from civicdesk.core.errors import NotAllowed
from civicdesk.imports import services
from civicdesk.imports.models import ImportBatch, ImportFailure, ImportState, SavedMapping
from civicdesk.imports.tests.helpers import counts, import_file, prepared_batch, sample, write_file
from civicdesk.imports.tests.test_pipeline import GENERIC, HEADER, PEOPLE, generic_file
from civicdesk.jobs.models import Job, JobState
from civicdesk.jobs.services import claim_job, run_claimed_job
from civicdesk.tabular.mapping import Mapping
from civicdesk.tags.models import Tag

# ---------------------------------------------------------------- the file


def test_an_upload_is_stored_and_its_shape_detected(ward1, manny):
    upload = SimpleUploadedFile("people.txt", b"first|last|zip\nAda|Lovelace|20001\n")
    batch = services.create_batch(ward1, by=manny, uploaded=upload)
    assert (batch.state, batch.filename, batch.file_size) == (
        ImportState.UPLOADED,
        "people.txt",
        34,
    )
    assert batch.file.name.startswith("imports/")
    assert batch.shape == {
        "format": "csv", "encoding": "utf-8", "delimiter": "|", "has_header": True,
        "columns": ["first", "last", "zip"], "sheet": "",
    }  # fmt: skip
    assert batch.started_by == manny


def test_an_empty_file_is_refused_and_nothing_is_kept(ward1, manny, settings):
    upload = SimpleUploadedFile("empty.csv", b"\n\n")
    with pytest.raises(services.ImportRefused, match="empty.csv: The file is empty."):
        services.create_batch(ward1, by=manny, uploaded=upload)
    assert not ImportBatch.objects.exists()
    imports = settings.MEDIA_ROOT / "imports"
    assert not imports.exists() or not any(p.is_file() for p in imports.rglob("*"))


def test_a_volunteer_cannot_import(ward1, victor, tmp_path):
    with pytest.raises(NotAllowed):
        services.create_batch(ward1, by=victor, uploaded=generic_file(tmp_path, PEOPLE))
    assert not ImportBatch.objects.exists()


def test_changing_the_header_renames_columns_and_drops_a_mapping_that_no_longer_fits(
    ward1, manny, tmp_path
):
    batch = prepared_batch(ward1, generic_file(tmp_path, PEOPLE), by=manny, mapping=GENERIC)
    assert batch.state == ImportState.MAPPED
    batch = services.change_shape(batch, by=manny, has_header=False)
    assert batch.shape["columns"][:2] == ["Column 1", "Column 2"]
    assert (batch.state, batch.mapping) == (ImportState.UPLOADED, {})


def test_a_started_import_cannot_change_its_shape_or_mapping(ward1, manny, tmp_path):
    batch = prepared_batch(ward1, generic_file(tmp_path, PEOPLE), by=manny, mapping=GENERIC)
    services.start_import(batch, by=manny)
    batch.refresh_from_db()
    with pytest.raises(services.ImportRefused, match="queued"):
        services.change_shape(batch, by=manny, has_header=False)
    with pytest.raises(services.ImportRefused):
        services.set_mapping(batch, by=manny, mapping=GENERIC)


# ---------------------------------------------------------------- the mapping


def test_a_mapping_naming_missing_columns_is_refused(ward1, manny, tmp_path):
    batch = services.create_batch(ward1, by=manny, uploaded=generic_file(tmp_path, PEOPLE))
    wrong = Mapping(columns={"first_name": ["First Name"], "postcode": ["Postcode"]})
    with pytest.raises(services.ImportRefused) as refused:
        services.set_mapping(batch, by=manny, mapping=wrong)
    assert refused.value.details == {
        "problems": ["The file has no column “First Name”, “Postcode”, which the mapping names."]
    }
    no_name = Mapping(columns={"postcode": ["zip"]})
    with pytest.raises(services.ImportRefused, match="first name, the last name or the full"):
        services.set_mapping(batch, by=manny, mapping=no_name)
    with pytest.raises(services.ImportRefused, match="is not a field"):
        services.set_mapping(batch, by=manny, mapping={"columns": {"shoe_size": ["zip"]}})
    batch.refresh_from_db()
    assert (batch.state, batch.mapping) == (ImportState.UPLOADED, {})


def test_match_rules_are_checked(ward1, manny, tmp_path):
    batch = services.create_batch(ward1, by=manny, uploaded=generic_file(tmp_path, PEOPLE))
    with pytest.raises(services.ImportRefused, match="Unknown match rule shoe_size"):
        services.set_mapping(batch, by=manny, mapping=GENERIC, match_rules=["shoe_size"])
    batch = services.set_mapping(
        batch, by=manny, mapping=GENERIC, match_rules=["email", "external_id", "email"]
    )
    assert batch.match_rules == ["email", "external_id"]


def test_the_batch_tag_is_the_offices_tag_of_that_name_or_a_new_one(ward1, ward2, manny, tmp_path):
    existing = Tag.objects.create(
        office=ward1, name="Voters", normalized="voters", slug="voters", path="Voters"
    )
    Tag.objects.create(
        office=ward2, name="Canvass", normalized="canvass", slug="canvass", path="Canvass"
    )
    batch = services.create_batch(ward1, by=manny, uploaded=generic_file(tmp_path, PEOPLE))
    batch = services.set_mapping(batch, by=manny, mapping=GENERIC, tag_name="  VOTERS ")
    assert batch.tag == existing
    batch = services.set_mapping(batch, by=manny, mapping=GENERIC, tag_name="Canvass")
    assert (batch.tag.office, batch.tag.name) == (ward1, "Canvass")
    assert Tag.objects.filter(name="Canvass").count() == 2


# ---------------------------------------------------------------- the preview


def test_the_preview_says_what_each_row_would_do_and_writes_nothing(ward1, manny, tmp_path):
    import_file(ward1, generic_file(tmp_path, PEOPLE[:2]), by=manny, mapping=GENERIC)
    rows = [
        PEOPLE[0],
        ["V2", "Alan", "Turing-Smith", "", "", "", "", "", ""],
        ["V4", "Katherine", "Johnson", "", "kj@example.org", "", "", "", ""],
        ["V5", "Bad", "Row", "", "no-email", "", "", "", ""],
        ["V4", "Katherine", "Johnson", "", "", "", "", "", ""],
    ]
    batch = prepared_batch(ward1, generic_file(tmp_path, rows, "b.csv"), by=manny, mapping=GENERIC)
    people = Person.objects.count()
    shown = services.preview(batch, limit=4)
    assert [row.match for row in shown] == [
        "no change to Ada Lovelace", "update of Alan Turing", "new", "fails",
    ]  # fmt: skip
    assert shown[1].record.last_name == "Turing-Smith"
    assert shown[3].problems == ["Email “no-email” is not an email address."]
    assert shown[2].cells == rows[2]
    assert services.preview(batch)[4].match == "same person as row 3"
    assert [row.similar for row in shown[:2]] == [[], []]  # matched rows need no warning
    assert Person.objects.count() == people
    batch.refresh_from_db()
    assert (batch.state, batch.rows_done) == (ImportState.MAPPED, 0)


# ---------------------------------------------------------------- running


def test_starting_queues_a_job_that_a_worker_runs(ward1, manny, tmp_path):
    batch = prepared_batch(ward1, generic_file(tmp_path, PEOPLE), by=manny, mapping=GENERIC)
    job = services.start_import(batch, by=manny)
    batch.refresh_from_db()
    assert (job.kind, job.params, batch.state, batch.job) == (
        "imports.people", {"batch_id": batch.pk}, ImportState.QUEUED, job
    )  # fmt: skip
    with pytest.raises(services.ImportRefused, match="queued"):
        services.start_import(batch, by=manny)
    job = run_claimed_job(claim_job(job.pk))
    assert (job.state, job.result, job.done, job.total) == (
        JobState.SUCCEEDED,
        {"batch_id": batch.pk, "created": 3, "updated": 0, "unchanged": 0, "failed": 0},
        3, 3,
    )  # fmt: skip
    assert counts(batch) == (3, 0, 0, 0)
    batch.refresh_from_db()
    assert batch.state == ImportState.FINISHED
    assert batch.finished_at is not None


def test_a_running_batch_is_not_resumed_while_its_worker_reports(ward1, manny, tmp_path):
    batch = prepared_batch(ward1, generic_file(tmp_path, PEOPLE), by=manny, mapping=GENERIC)
    services.start_import(batch, by=manny)
    ImportBatch.objects.filter(pk=batch.pk).update(
        state=ImportState.RUNNING, heartbeat_at=timezone.now()
    )
    batch.refresh_from_db()
    with pytest.raises(services.ImportRefused, match="is running"):
        services.resume_batch(batch, by=manny)
    assert services.resume_stalled() == []


def test_a_stalled_batch_is_queued_again_and_goes_on_after_its_checkpoint(
    ward1, manny, tmp_path, django_capture_on_commit_callbacks
):
    batch = prepared_batch(ward1, generic_file(tmp_path, PEOPLE), by=manny, mapping=GENERIC)
    job = services.start_import(batch, by=manny)
    claim_job(job.pk)
    batch.refresh_from_db()
    services.run_here(batch, chunk_size=1)
    # As if the worker had died after the first row: the checkpoint says 1, the job runs.
    ImportBatch.objects.filter(pk=batch.pk).update(
        state=ImportState.RUNNING, rows_done=1, created=1,
        heartbeat_at=timezone.now() - timedelta(minutes=5),
    )  # fmt: skip
    Person.objects.filter(office=ward1).exclude(last_name="Lovelace").delete()
    Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.resume_stalled() == [batch.pk]
    job.refresh_from_db()
    batch.refresh_from_db()
    assert (job.state, batch.state) == (JobState.QUEUED, ImportState.QUEUED)
    assert run_claimed_job(claim_job(job.pk)).state == JobState.SUCCEEDED
    assert counts(batch) == (3, 0, 0, 0)
    assert sorted(Person.objects.for_office(ward1).values_list("last_name", flat=True)) == [
        "Hopper", "Lovelace", "Turing",
    ]  # fmt: skip


def test_a_finished_batch_is_not_resumed(ward1, manny, tmp_path):
    batch = import_file(ward1, generic_file(tmp_path, PEOPLE), by=manny, mapping=GENERIC)
    with pytest.raises(services.ImportRefused, match="finished"):
        services.resume_batch(batch, by=manny, force=True)


# ---------------------------------------------------------------- failed rows


def bad_batch(ward1, manny, tmp_path):
    rows = [PEOPLE[0], ["V5", "Eve", "=cmd|' /C calc'!A0", "", "eve@@x", "", "", "", ""]]
    return import_file(ward1, generic_file(tmp_path, rows), by=manny, mapping=GENERIC)


def test_failed_rows_download_with_their_reason_and_no_formulas(ward1, manny, tmp_path):
    batch = bad_batch(ward1, manny, tmp_path)
    content = services.failures_csv(batch)
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows == [
        [*HEADER, "reason"],
        ["V5", "Eve", "'=cmd|' /C calc'!A0", "", "eve@@x", "", "", "", "",
         "Email “eve@@x” is not an email address."],
    ]  # fmt: skip


def test_a_fixed_row_is_imported_into_its_batch(ward1, manny, tmp_path):
    batch = bad_batch(ward1, manny, tmp_path)
    failure = batch.failures.get()
    fixed = ["V5", "Eve", "Adams", "", "eve@example.org", "", "", "", ""]
    batch = services.retry_failure(failure, by=manny, cells=fixed)
    assert counts(batch) == (2, 0, 0, 0)
    failure.refresh_from_db()
    assert (failure.is_fixed, failure.cells) == (True, fixed)
    eve = Person.objects.get(office=ward1, last_name="Adams")
    assert eve.emails.get().email == "eve@example.org"
    assert services.failures_csv(batch).decode("utf-8-sig").splitlines()[1:] == []
    with pytest.raises(services.ImportRefused, match="imported already"):
        services.retry_failure(failure, by=manny, cells=fixed)


def test_a_row_still_wrong_is_refused_and_nothing_changes(ward1, manny, tmp_path):
    batch = bad_batch(ward1, manny, tmp_path)
    failure = batch.failures.get()
    still = ["V5", "Eve", "Adams", "", "eve@", "", "", "", ""]
    with pytest.raises(services.ImportRefused, match="“eve@” is not an email"):
        services.retry_failure(failure, by=manny, cells=still)
    assert counts(batch) == (1, 0, 0, 1)
    assert not ImportFailure.objects.get(pk=failure.pk).is_fixed
    assert not Person.objects.filter(last_name="Adams").exists()


# ---------------------------------------------------------------- saved mappings


def test_a_saved_mapping_is_replaced_by_the_same_name_and_deleted(ward1, manny):
    saved = services.save_mapping(ward1, by=manny, name=" County  file ", mapping=GENERIC)
    assert (saved.name, Mapping.from_dict(saved.mapping)) == ("County file", GENERIC)
    other = Mapping(columns={"last_name": ["Surname"]})
    again = services.save_mapping(ward1, by=manny, name="County file", mapping=other.to_dict())
    assert again.pk == saved.pk
    assert Mapping.from_dict(SavedMapping.objects.get().mapping) == other
    with pytest.raises(services.ImportRefused, match="is not a field"):
        services.save_mapping(ward1, by=manny, name="Bad", mapping={"columns": {"x": ["y"]}})
    services.delete_mapping(again, by=manny)
    assert not SavedMapping.objects.exists()


def test_a_volunteer_cannot_save_mappings(ward1, victor):
    with pytest.raises(NotAllowed):
        services.save_mapping(ward1, by=victor, name="Mine", mapping=GENERIC)


def test_a_file_from_the_command_line_path(ward1, tmp_path):
    path = write_file(tmp_path, "people.tsv", [HEADER, *PEOPLE], delimiter="\t")
    batch = services.create_batch(ward1, by=None, uploaded=path)
    assert (batch.filename, batch.shape["delimiter"]) == ("people.tsv", "\t")
    with pytest.raises(services.ImportRefused, match="There is no file"):
        services.create_batch(ward1, by=None, uploaded=tmp_path / "missing.csv")
    assert sample("nc").is_file()


def test_the_preview_warns_of_a_new_row_resembling_someone(ward1, manny, tmp_path):
    import_file(ward1, generic_file(tmp_path, PEOPLE[:1]), by=manny, mapping=GENERIC)
    lookalike = [["V9", "Ada", "Lovelace", "1985-12-10", "", "12 Main St", "20001", "", ""]]
    batch = prepared_batch(
        ward1, generic_file(tmp_path, lookalike, "b.csv"), by=manny, mapping=GENERIC,
        match_rules=["external_id"],
    )  # fmt: skip
    (row,) = services.preview(batch)
    assert row.match == "new"
    assert [person["name"] for person in row.similar] == ["Ada Lovelace"]
    assert row.similar[0]["percent"] >= 50


def test_a_queued_batch_whose_worker_died_is_queued_again(ward1, manny, tmp_path):
    batch = prepared_batch(ward1, generic_file(tmp_path, PEOPLE), by=manny, mapping=GENERIC)
    job = services.start_import(batch, by=manny)
    claim_job(job.pk)  # a worker took the job, then died before starting the batch
    assert services.stalled_batches() == []
    later = timezone.now() + timedelta(seconds=services.stale_seconds() + 1)
    assert [b.pk for b in services.stalled_batches(later)] == [batch.pk]
    Job.objects.filter(pk=job.pk).update(started_at=timezone.now() - timedelta(minutes=10))
    assert services.resume_stalled() == [batch.pk]
    job.refresh_from_db()
    assert job.state == JobState.QUEUED
