"""The worker's entry points: run a job; run a periodic task."""

import logging
from datetime import timedelta

from django.core.management import call_command
from django_tasks import task

from . import services
from .registry import PERIODIC, periodic

logger = logging.getLogger(__name__)


@task()
def run_job(job_id: int) -> str:
    """Run a queued job. Safe to run twice: the second run finds it claimed and does nothing."""
    job = services.claim_job(job_id)
    if job is None:
        return "already claimed"
    return services.run_claimed_job(job).state


@task()
def run_periodic(name: str) -> None:
    logger.info("periodic task %s starting", name)
    PERIODIC[name].func()


@periodic("sessions.clear_expired", every=timedelta(hours=6))
def clear_expired_sessions() -> None:
    call_command("clearsessions")


@periodic("tasks.prune_results", every=timedelta(days=1))
def prune_task_results() -> None:
    """Finished task rows are only useful for a while; jobs keep their own record."""
    from django.conf import settings

    if "django_tasks_db" in settings.TASKS["default"]["BACKEND"]:
        call_command("prune_db_task_results", min_age_days=7, verbosity=0)
