"""Starting jobs and reporting their progress."""

import logging
import time
from functools import partial
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from .models import Job, JobState
from .registry import JOB_HANDLERS

logger = logging.getLogger(__name__)


@transaction.atomic
def start_job(office: Any, *, kind: str, title: str, by: Any, params: dict | None = None) -> Job:
    """Create a queued job and hand it to the worker once the transaction commits."""
    if kind not in JOB_HANDLERS:
        raise KeyError(f"No job handler for {kind!r}.")
    job = Job.objects.create(
        office=office, kind=kind, title=title, started_by=by, params=params or {}
    )
    from .tasks import run_job  # tasks import this module

    transaction.on_commit(partial(run_job.enqueue, job_id=job.pk))
    return job


class JobContext:
    """What a handler sees: the job's office and params, and ways to report progress."""

    PROGRESS_WRITE_EVERY = 0.5  # seconds: progress bars poll each second; fewer writes is faster

    def __init__(self, job: Job):
        self.job = job
        self.office = job.office
        self.params = job.params
        self._last_write = 0.0

    def progress(self, done: int, total: int | None = None, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_write < self.PROGRESS_WRITE_EVERY:
            return
        self._last_write = now
        fields = {"done": done}
        if total is not None:
            fields["total"] = total
        Job.objects.filter(pk=self.job.pk).update(**fields)
        self.job.done, self.job.total = done, total if total is not None else self.job.total

    def log(self, message: str) -> None:
        self.job.messages = [
            *self.job.messages,
            {"at": timezone.now().isoformat(), "text": message},
        ]
        Job.objects.filter(pk=self.job.pk).update(messages=self.job.messages)

    def save_result_file(self, filename: str, content: bytes) -> None:
        self.job.result_file.save(filename, ContentFile(content), save=False)
        Job.objects.filter(pk=self.job.pk).update(result_file=self.job.result_file.name)


def claim_job(job_id: int) -> Job | None:
    """Move a queued job to running. None if another worker claimed it or it already ran."""
    claimed = Job.objects.filter(pk=job_id, state=JobState.QUEUED).update(
        state=JobState.RUNNING, started_at=timezone.now()
    )
    return Job.objects.select_related("office").get(pk=job_id) if claimed else None


def run_claimed_job(job: Job) -> Job:
    context = JobContext(job)
    try:
        result = JOB_HANDLERS[job.kind](context) or {}
    except Exception as exc:
        logger.exception("job %s (%s) failed", job.pk, job.kind)
        Job.objects.filter(pk=job.pk).update(
            state=JobState.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=timezone.now(),
        )
    else:
        total = context.job.total if context.job.total is not None else context.job.done
        Job.objects.filter(pk=job.pk).update(
            state=JobState.SUCCEEDED,
            result=result,
            done=max(context.job.done, total or 0),
            total=total,
            finished_at=timezone.now(),
        )
    job.refresh_from_db()
    return job
