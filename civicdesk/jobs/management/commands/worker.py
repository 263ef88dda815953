"""`civicdesk worker`: run background tasks and the periodic scheduler."""

import logging
import sys

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.crypto import get_random_string

from civicdesk.jobs.scheduler import SchedulerThread, tick

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Run background tasks (database queue, or Redis when REDIS_URL is set) and periodic tasks."
    )

    def add_arguments(self, parser):
        parser.add_argument("--worker-id", default=f"worker-{get_random_string(12)}")
        parser.add_argument(
            "--interval", type=float, default=0.5, help="Seconds between looks at an empty queue."
        )
        parser.add_argument(
            "--batch", action="store_true", help="Run what is queued now, then exit."
        )
        parser.add_argument(
            "--no-scheduler", action="store_true", help="Do not enqueue periodic tasks."
        )

    def handle(
        self, *, worker_id: str, interval: float, batch: bool, no_scheduler: bool, **options
    ):
        logging.getLogger("django_tasks").setLevel(logging.WARNING)
        if batch:
            if not no_scheduler:
                tick(worker_id)
        elif not no_scheduler:
            SchedulerThread(worker_id, settings.SCHEDULER_TICK_SECONDS).start()
        self.stdout.write(f"CivicDesk worker {worker_id} ({self.backend_label()}) is running.")
        sys.stdout.flush()
        if settings.REDIS_URL:
            self.run_rq(worker_id, batch)
        else:
            self.run_database(worker_id, interval, batch)

    @staticmethod
    def backend_label() -> str:
        return "Redis queue" if settings.REDIS_URL else "database queue"

    def run_database(self, worker_id: str, interval: float, batch: bool) -> None:
        from django_tasks_db.management.commands.db_worker import Worker

        worker = Worker(
            queue_names=["*"],
            interval=interval,
            batch=batch,
            backend_name="default",
            startup_delay=not batch,
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        if not batch:
            worker.configure_signals()
        worker.run()

    def run_rq(self, worker_id: str, batch: bool) -> None:
        import django_rq
        from django_tasks_rq.backend import Job
        from rq.worker import SimpleWorker  # forking per task is slow here (STACK.md)

        worker = django_rq.get_worker(
            "default", job_class=Job, worker_class=SimpleWorker, name=worker_id
        )
        worker.work(burst=batch, with_scheduler=True)
