"""The worker's scheduler: enqueue each periodic task when due, on exactly one worker."""

import logging
import threading

from django.db import close_old_connections, transaction
from django.db.models import F
from django.utils import timezone

from .models import PeriodicLease
from .registry import PERIODIC

logger = logging.getLogger(__name__)


def tick(worker_id: str) -> list[str]:
    """Claim and enqueue every due periodic task. Returns the names this worker enqueued."""
    from .tasks import run_periodic

    now = timezone.now()
    enqueued = []
    for name, periodic in PERIODIC.items():
        # First sight of a task: due now. Several workers may race here; the PK makes one win.
        PeriodicLease.objects.get_or_create(name=name, defaults={"next_run_at": now})
        with transaction.atomic():
            claimed = PeriodicLease.objects.filter(name=name, next_run_at__lte=now).update(
                next_run_at=now + periodic.every, last_enqueued_at=now, last_worker=worker_id[:64]
            )
            if claimed:
                run_periodic.enqueue(name=name)
                enqueued.append(name)
    if enqueued:
        PeriodicLease.objects.filter(name__in=enqueued).update(run_count=F("run_count") + 1)
    return enqueued


class SchedulerThread(threading.Thread):
    """Ticks in the background of a worker process until stopped."""

    def __init__(self, worker_id: str, every_seconds: float):
        super().__init__(name="civicdesk-scheduler", daemon=True)
        self.worker_id = worker_id
        self.every_seconds = every_seconds
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                tick(self.worker_id)
            except Exception:
                logger.exception("scheduler tick failed; trying again next tick")
            finally:
                close_old_connections()
            self.stopped.wait(self.every_seconds)
