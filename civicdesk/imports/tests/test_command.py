"""`civicdesk import people|run-batch|resume|failures`."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from civicdesk.audit.models import AuditEvent
from civicdesk.constituents.models import Person, PersonTag
from civicdesk.imports.models import ImportBatch, ImportState
from civicdesk.imports.tests.helpers import prepared_batch, sample
from civicdesk.imports.tests.test_pipeline import GENERIC, PEOPLE, generic_file
from civicdesk.jobs.models import JobState


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_people_prints_the_shape_and_ends_with_the_counts(ward1, capsys):
    out, _ = run("people", str(sample("nc")), "--office", "ward-1", "--mapping", "nc",
                 "--tag", "NC voters")  # fmt: skip
    lines = out.splitlines()
    assert lines[0] == "nc.csv: CSV, utf-8, tab-delimited, with a header, 71 columns"
    assert lines[-1] == "created=100 updated=0 unchanged=0 failed=0"
    assert "100 of 100 rows (100%)" in capsys.readouterr().err  # the progress line
    assert PersonTag.objects.filter(tag__name="NC voters").count() == 100
    batch = ImportBatch.objects.get()
    assert (batch.state, batch.job.state, batch.started_by) == (
        ImportState.FINISHED, JobState.SUCCEEDED, None
    )  # fmt: skip
    out, _ = run("people", str(sample("nc")), "--office", "ward-1", "--mapping", "nc")
    assert out.splitlines()[-1] == "created=0 updated=0 unchanged=100 failed=0"


def test_people_reads_a_headerless_preset_and_a_mapping_file(ward1, tmp_path):
    out, _ = run("people", str(sample("fl")), "--office", "ward-1", "--mapping", "fl")
    assert out.splitlines() == [
        "fl.csv: CSV, utf-8, tab-delimited, no header, 38 columns",
        "created=100 updated=0 unchanged=0 failed=0",
    ]
    mapping = tmp_path / "mine.json"
    mapping.write_text(json.dumps(GENERIC.to_dict()))
    rows = [*PEOPLE, ["V9", "Bad", "Email", "", "x@", "", "", "", ""]]
    out, _ = run("people", str(generic_file(tmp_path, rows)), "--office", "ward-1",
                 "--mapping", str(mapping), "--match", "external_id,email")  # fmt: skip
    assert out.splitlines()[-1] == "created=3 updated=0 unchanged=0 failed=1"
    batch = ImportBatch.objects.latest("pk")
    assert batch.match_rules == ["external_id", "email"]
    out, _ = run("failures", str(batch.pk))
    assert "V9,Bad,Email,,x@,,,,,Email “x@” is not an email address." in out


def test_people_acts_as_the_member_given(ward1, manny, tmp_path):
    mapping = tmp_path / "mine.json"
    mapping.write_text(json.dumps(GENERIC.to_dict()))
    run("people", str(generic_file(tmp_path, PEOPLE)), "--office", "ward-1",
        "--mapping", str(mapping), "--by", "MANNY@ward1.example")  # fmt: skip
    started = AuditEvent.objects.get(action="import.started")
    assert started.actor == manny
    assert Person.objects.filter(created_by=manny).count() == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--office", "nowhere", "--mapping", "nc"], "No office with slug 'nowhere'."),
        (["--office", "ward-1", "--mapping", "zz"], "“zz” is neither a preset"),
        (["--office", "ward-1", "--mapping", "nc", "--match", "shoe"], "Unknown match rule shoe"),
        (["--office", "ward-1", "--mapping", "nc", "--by", "who@x.org"], "who@x.org is not"),
        (["--office", "ward-1", "--mapping", "ny"], "reads column 44 but the file has 1 column:"),
        (["--office", "ward-1", "--mapping", "oh"], "The file has no column"),
    ],
)
def test_people_says_what_is_wrong(ward1, args, message):
    with pytest.raises(CommandError, match=message):
        run("people", str(sample("nc")), *args)
    assert not Person.objects.exists()


def test_an_empty_file_is_a_clear_error(ward1, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(CommandError, match="empty.csv: The file is empty."):
        run("people", str(empty), "--office", "ward-1", "--mapping", "nc")


def test_run_batch_and_resume(ward1, manny, tmp_path):
    batch = prepared_batch(ward1, generic_file(tmp_path, PEOPLE), by=manny, mapping=GENERIC)
    with pytest.raises(CommandError, match="has not been started"):
        run("run-batch", str(batch.pk))
    with pytest.raises(CommandError, match="ready to import: nothing to resume"):
        run("resume", str(batch.pk))
    from civicdesk.imports import services

    services.start_import(batch, by=manny)
    ImportBatch.objects.filter(pk=batch.pk).update(state=ImportState.FAILED)
    out, _ = run("resume", str(batch.pk))
    assert out.startswith(f"Import {batch.pk} (people.csv) queued again: it goes on after row 0")
    out, _ = run("run-batch", str(batch.pk), "--chunk-size", "2")
    assert out.splitlines()[-1] == "created=3 updated=0 unchanged=0 failed=0"
    batch.refresh_from_db()
    assert (batch.state, batch.job.state, batch.job.result["created"]) == (
        ImportState.FINISHED, JobState.SUCCEEDED, 3
    )  # fmt: skip
    with pytest.raises(CommandError, match="No import batch 999999"):
        run("run-batch", "999999")
