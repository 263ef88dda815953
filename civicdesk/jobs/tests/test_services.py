from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from civicdesk.jobs import services
from civicdesk.jobs.models import Job, JobState
from civicdesk.jobs.services import JobContext, claim_job, run_claimed_job, start_job
from civicdesk.jobs.tasks import run_job
from civicdesk.jobs.tests.factories import JobFactory


def run_worker() -> None:
    # Tests that run the worker use `transactional_db`: the worker closes its connection between
    # tasks (close_old_connections), which would end a test's wrapping transaction on PostgreSQL.
    call_command("worker", batch=True, no_scheduler=True)


def test_a_job_is_queued_only_after_the_commit(ward1, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        job = start_job(ward1, kind="test.count", title="Count", by=alice, params={"up_to": 3})
        assert DBTaskResult.objects.count() == 0

    assert (job.state, job.started_by, job.params) == ("queued", alice, {"up_to": 3})
    assert len(callbacks) == 1
    callbacks[0]()
    task = DBTaskResult.objects.get()
    assert (task.task_path, task.args_kwargs) == (
        "civicdesk.jobs.tasks.run_job",
        {"args": [], "kwargs": {"job_id": job.pk}},
    )


def test_an_unknown_kind_of_job_is_refused(ward1, alice):
    with pytest.raises(KeyError, match="No job handler for 'test.nothing'"):
        start_job(ward1, kind="test.nothing", title="?", by=alice)

    assert Job.objects.count() == 0


def test_the_worker_runs_a_job_to_the_end(transactional_db, ward1, alice):
    job = start_job(ward1, kind="test.count", title="Count", by=alice, params={"up_to": 4})

    run_worker()

    job.refresh_from_db()
    assert (job.state, job.done, job.total, job.percent) == ("succeeded", 4, 4, 100)
    assert job.result == {"counted": 4}
    assert [m["text"] for m in job.messages] == ["counted to 4"]
    assert job.started_at <= job.finished_at
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def test_a_failing_job_keeps_its_error_and_progress(transactional_db, ward1, alice):
    job = start_job(ward1, kind="test.fail", title="Import", by=alice)

    run_worker()

    job.refresh_from_db()
    assert (job.state, job.done, job.total, job.percent) == ("failed", 1, 4, 25)
    assert job.error == "ValueError: the spreadsheet has no header row"
    assert (job.result, job.finished_at is not None) == ({}, True)


def test_a_job_runs_once_however_often_it_is_enqueued(alice):
    job = JobFactory(started_by=alice, kind="test.count", params={"up_to": 2})

    assert run_job.call(job_id=job.pk) == "succeeded"
    first = Job.objects.get(pk=job.pk)
    assert run_job.call(job_id=job.pk) == "already claimed"

    job.refresh_from_db()
    assert (job.state, job.finished_at, job.messages) == (
        "succeeded",
        first.finished_at,
        first.messages,
    )


def test_a_claimed_job_cannot_be_claimed_again(alice):
    job = JobFactory(started_by=alice)

    claimed = claim_job(job.pk)

    assert (claimed.state, claimed.started_at is not None) == ("running", True)
    assert claim_job(job.pk) is None


def test_progress_is_written_at_most_twice_a_second(alice, monkeypatch):
    job = JobFactory(started_by=alice)
    clock = iter([100.0, 100.1, 100.6, 100.7])
    monkeypatch.setattr(services, "time", SimpleNamespace(monotonic=lambda: next(clock)))
    context = JobContext(job)

    context.progress(1, 10)  # written
    context.progress(2)  # 0.1 s later: skipped
    stored = Job.objects.get(pk=job.pk)
    assert (stored.done, stored.total) == (1, 10)
    context.progress(3)  # 0.6 s after the last write: written
    context.progress(10, force=True)

    stored = Job.objects.get(pk=job.pk)
    assert (stored.done, stored.total, stored.percent) == (10, 10, 100)


def test_percent_without_a_total():
    assert Job(state=JobState.RUNNING, done=5).percent is None
    assert Job(state=JobState.SUCCEEDED, done=5).percent == 100
    assert Job(state=JobState.RUNNING, done=1, total=3).percent == 33


def test_a_job_saves_its_result_file(alice):
    job = JobFactory(started_by=alice, kind="test.export")

    job = run_claimed_job(claim_job(job.pk))

    assert job.result_file.name.startswith("job-results/people")
    assert job.result_file.read() == b"name\nAlice\n"
