"""Audit writes other than `record`: verification as a background job."""

from typing import Any

from civicdesk.jobs.models import Job
from civicdesk.jobs.services import start_job

from .log import record


def start_verification(*, by: Any) -> Job:
    """Start checking the office's audit chain; the job's result lists any problem found."""
    job = start_job(by.office, kind="audit.verify", title="Verify the audit log", by=by)
    record(by, "audit.verify_started", job)
    return job
