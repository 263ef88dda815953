"""Scanning an office: the real FEBRL dataset 1 loaded into Ward 1 and scanned through the
database, decisions that last across scans, automatic merges above the threshold only, the
job and the command."""

import io

import pytest
from django.core.management import CommandError, call_command

from civicdesk.audit.models import AuditEvent
from civicdesk.constituents.models import Person
from civicdesk.dedupe import services
from civicdesk.dedupe.models import DedupeSettings, DuplicatePair, Merge, PairStatus
from civicdesk.jobs.models import JobState
from civicdesk.jobs.services import claim_job, run_claimed_job

from .conftest import febrl_truth, load_febrl, make_pair


@pytest.fixture
def febrl(ward1) -> dict[int, str]:
    """Ward 1 holding FEBRL dataset 1: 1,000 people, 500 true duplicate pairs."""
    return load_febrl(ward1)


def found_pairs(ids: dict[int, str], **filters) -> set[frozenset[str]]:
    rows = DuplicatePair.objects.filter(**filters).values_list("person_a_id", "person_b_id")
    return {frozenset((ids[a], ids[b])) for a, b in rows}


def test_febrl_through_the_database_finds_the_true_pairs(ward1, febrl):
    truth = febrl_truth()

    result = services.scan_office(ward1)

    found = found_pairs(febrl)
    right = len(found & truth)
    precision, recall = right / len(found), right / len(truth)
    assert (result.people, result.pairs, result.new) == (1000, len(found), len(found))
    assert precision >= 0.95, precision
    assert recall >= 0.95, recall
    settings = DedupeSettings.objects.get(office=ward1)
    assert settings.learned_at is not None
    assert settings.model["learned"] is True
    assert settings.last_scan == result.to_dict()
    explained = DuplicatePair.objects.order_by("-probability").first().fields
    assert {"field", "level", "weight"} <= set(explained[0])


def test_decisions_last_across_scans(ward1, febrl, manny):
    services.scan_office(ward1)
    refused, later = DuplicatePair.objects.order_by("-probability", "id")[:2]
    services.decide_pair(refused, by=manny, decision="not_duplicate")
    services.decide_pair(later, by=manny, decision="later")
    people = list(Person.objects.order_by("pk")[:2])
    stale = make_pair(*people, 0.6)  # a pending pair the data no longer supports

    again = services.scan_office(ward1)

    refused.refresh_from_db()
    later.refresh_from_db()
    assert (refused.status, later.status) == (PairStatus.NOT_DUPLICATE, PairStatus.LATER)
    assert again.new == 0
    assert not DuplicatePair.objects.filter(pk=stale.pk).exists()
    assert DuplicatePair.objects.filter(status=PairStatus.PENDING).count() == again.pairs - 2


def test_automatic_merges_only_at_or_above_the_threshold(ward1, febrl, adam):
    services.set_auto_merge_threshold(ward1, by=adam, threshold=0.9999)

    result = services.scan_office(ward1)

    merges = Merge.objects.filter(office=ward1)
    assert result.auto_merged == merges.count() > 0
    assert all(m.is_automatic and m.by is None and m.probability >= 0.9999 for m in merges)
    pending = DuplicatePair.objects.filter(status=PairStatus.PENDING)
    assert pending.exists()
    assert all(p.probability < 0.9999 for p in pending)
    assert Person.objects.filter(office=ward1).count() == 1000 - result.auto_merged
    automatic = AuditEvent.objects.filter(action="person.merged", actor=None)
    assert automatic.count() == 2 * result.auto_merged
    assert automatic.first().changes["automatic"] is True


def test_the_threshold_must_be_above_the_shipped_one(ward1, adam):
    from civicdesk.dedupe.errors import SettingsRefused

    with pytest.raises(SettingsRefused):
        services.set_auto_merge_threshold(ward1, by=adam, threshold=0.3)
    with pytest.raises(SettingsRefused):
        services.set_auto_merge_threshold(ward1, by=adam, threshold=1.2)
    assert not DedupeSettings.objects.filter(office=ward1).exists()


def test_the_scan_job_reports_progress_and_its_counts(ward1, adam, john, johnny):
    job = services.start_scan(ward1, by=adam)
    assert services.start_scan(ward1, by=adam) == job  # one at a time

    job = run_claimed_job(claim_job(job.pk))

    assert job.state == JobState.SUCCEEDED
    assert (job.done, job.total) == (100, 100)
    assert job.result == {"people": 2, "pairs": job.result["pairs"], "new": job.result["new"],
                          "auto_merged": 0}  # fmt: skip
    assert AuditEvent.objects.filter(action="dedupe.scan_started", actor=adam).count() == 1


def test_the_command_prints_progress_and_the_summary(ward1, john, johnny):
    out = io.StringIO()

    call_command("dedupe", "scan", "--office", "ward-1", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0].startswith("load")
    assert lines[-1].startswith("pairs=")
    assert "new=" in lines[-1]
    assert "auto_merged=0" in lines[-1]


def test_the_command_refuses_an_unknown_office(db):
    with pytest.raises(CommandError, match="No office"):
        call_command("dedupe", "scan", "--office", "nowhere", stdout=io.StringIO())


def test_evaluate_scores_a_labelled_file(tmp_path):
    from .conftest import FEBRL

    mapping = tmp_path / "febrl.json"
    mapping.write_text(
        '{"columns": {"id": ["rec_id"], "first_name": ["given_name"], "last_name": ["surname"],'
        ' "line1": ["street_number", "address_1"], "city": ["suburb"], "postcode": ["postcode"],'
        ' "birth_date": ["date_of_birth"]}, "date_order": "YMD"}'
    )
    out = io.StringIO()

    call_command(
        "dedupe", "evaluate", str(FEBRL / "dataset1.csv"),
        "--truth", str(FEBRL / "true_matches_dataset1.csv"), "--mapping", str(mapping), stdout=out,
    )  # fmt: skip

    last = out.getvalue().splitlines()[-1]
    scores = dict(part.split("=") for part in last.split())
    assert list(scores) == ["precision", "recall", "f1"]
    assert float(scores["f1"]) >= 0.95


def test_evaluate_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError):
        call_command(
            "dedupe", "evaluate", str(tmp_path / "nothing.csv"), "--truth", str(tmp_path / "t.csv"),
            "--mapping", "generic", stdout=io.StringIO(),
        )  # fmt: skip
