from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from civicdesk.jobs import registry, scheduler, tasks
from civicdesk.jobs.models import PeriodicLease
from civicdesk.jobs.registry import PeriodicTask

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def ran() -> list[str]:
    return []


@pytest.fixture
def schedule(monkeypatch, ran) -> dict[str, PeriodicTask]:
    """Two periodic tasks of these tests only, instead of the installation's."""
    periodic = {
        "test.hourly": PeriodicTask(
            "test.hourly", timedelta(hours=1), lambda: ran.append("hourly")
        ),
        "test.daily": PeriodicTask("test.daily", timedelta(days=1), lambda: ran.append("daily")),
    }
    monkeypatch.setattr(scheduler, "PERIODIC", periodic)
    monkeypatch.setattr(tasks, "PERIODIC", periodic)
    return periodic


@pytest.fixture
def clock(monkeypatch):
    """clock(moment): from now on the scheduler sees `moment` as the time."""

    def set_to(moment: datetime) -> None:
        monkeypatch.setattr(scheduler.timezone, "now", lambda: moment)

    return set_to


def enqueued() -> list[str]:
    rows = DBTaskResult.objects.filter(task_path="civicdesk.jobs.tasks.run_periodic")
    return sorted(row.args_kwargs["kwargs"]["name"] for row in rows)


def test_two_workers_ticking_at_once_enqueue_each_task_once(db, schedule, clock):
    clock(START)

    first = scheduler.tick("worker-a")
    second = scheduler.tick("worker-b")

    assert (sorted(first), second) == (["test.daily", "test.hourly"], [])
    assert enqueued() == ["test.daily", "test.hourly"]
    leases = PeriodicLease.objects.order_by("name")
    assert [
        (lease.name, lease.next_run_at, lease.last_worker, lease.run_count) for lease in leases
    ] == [
        ("test.daily", START + timedelta(days=1), "worker-a", 1),
        ("test.hourly", START + timedelta(hours=1), "worker-a", 1),
    ]


def test_a_task_runs_again_only_after_its_interval(db, schedule, clock):
    clock(START)
    scheduler.tick("worker-a")

    clock(START + timedelta(minutes=59, seconds=59))
    assert scheduler.tick("worker-b") == []

    clock(START + timedelta(hours=1))
    assert scheduler.tick("worker-b") == ["test.hourly"]
    assert scheduler.tick("worker-a") == []

    lease = PeriodicLease.objects.get(name="test.hourly")
    assert (lease.last_worker, lease.run_count, lease.last_enqueued_at) == (
        "worker-b",
        2,
        START + timedelta(hours=1),
    )
    assert enqueued() == ["test.daily", "test.hourly", "test.hourly"]


def test_a_lease_left_by_an_earlier_run_is_respected(db, schedule, clock):
    PeriodicLease.objects.create(name="test.daily", next_run_at=START + timedelta(hours=3))
    clock(START)

    assert scheduler.tick("worker-a") == ["test.hourly"]


def test_the_worker_runs_what_the_scheduler_enqueued(transactional_db, schedule, ran, clock):
    clock(START)

    call_command("worker", batch=True, worker_id="worker-a")

    assert sorted(ran) == ["daily", "hourly"]
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
    assert PeriodicLease.objects.filter(last_worker="worker-a").count() == 2


def test_the_installations_periodic_tasks_run(transactional_db):
    assert {"sessions.clear_expired", "tasks.prune_results"} <= set(registry.PERIODIC)

    call_command("worker", batch=True, worker_id="worker-a")

    statuses = DBTaskResult.objects.filter(task_path="civicdesk.jobs.tasks.run_periodic")
    assert set(statuses.values_list("status", flat=True)) == {"SUCCESSFUL"}
    assert statuses.count() == len(registry.PERIODIC)
