"""API: background jobs and their progress."""

from datetime import datetime
from typing import Any

from ninja import Router, Schema
from ninja.pagination import CursorPagination, paginate

from civicdesk.core.api import needs

from . import queries
from .models import Job

router = Router(tags=["jobs"])


class JobOut(Schema):
    id: int
    kind: str
    title: str
    state: str
    done: int
    total: int | None
    percent: int | None
    messages: list[dict[str, Any]]
    result: dict[str, Any]
    result_url: str | None
    error: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @staticmethod
    def resolve_result_url(obj: Job) -> str | None:
        return f"/jobs/{obj.pk}/download/" if obj.result_file else None


@router.get("/jobs", response=list[JobOut])
@needs("dashboard.view")
@paginate(CursorPagination, ordering=("-id",))
def list_jobs(request, state: str | None = None):
    jobs = queries.job_list(request.auth).order_by("-id")
    return jobs.filter(state=state) if state else jobs


@router.get("/jobs/{job_id}", response=JobOut)
@needs("dashboard.view")
def get_job(request, job_id: int):
    return queries.get_job(request.auth, job_id)
