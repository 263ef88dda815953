"""Reads for jobs: a person sees their own jobs; managers see the office's."""

from typing import Any

from django.db.models import QuerySet

from .models import Job


def job_list(member: Any) -> QuerySet[Job]:
    jobs = Job.objects.for_office(member.office).select_related("started_by__user")
    if not member.can("job.view_all"):
        jobs = jobs.filter(started_by=member)
    return jobs.order_by("-created_at", "-id")


def get_job(member: Any, job_id: int) -> Job:
    from django.shortcuts import get_object_or_404

    return get_object_or_404(job_list(member), pk=job_id)


def running_job_count(member: Any) -> int:
    return job_list(member).filter(state__in=["queued", "running"]).count()
