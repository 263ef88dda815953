"""What the isolation walk (accounts/tests/test_isolation.py) needs to know about jobs."""

from typing import Any

from django.core.files.base import ContentFile

from civicdesk.jobs.models import Job
from civicdesk.jobs.tests.factories import JobFactory


def _job(side, made: dict[str, Any]) -> Job:
    job = JobFactory(started_by=side.admin, title=f"Export for {side.label}", state="succeeded")
    job.result_file.save("result.csv", ContentFile(b"name\nsomeone\n"), save=True)  # downloadable
    return job


OBJECT_MAKERS = {"job_id": _job}
