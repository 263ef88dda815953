"""Pages: the jobs list and one job's live progress (htmx polls the progress partial)."""

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from civicdesk.core.access import require_member
from civicdesk.core.htmx import partial_or_page

from . import queries


@require_member("dashboard.view")
def job_list(request: HttpRequest) -> HttpResponse:
    return render(request, "jobs/job_list.html", {"jobs": queries.job_list(request.member)[:100]})


@require_member("dashboard.view")
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = queries.get_job(request.member, job_id)
    template = partial_or_page(request, "jobs/job_detail.html", "job-progress")
    return render(request, template, {"job": job})


@require_member("dashboard.view")
def job_download(request: HttpRequest, job_id: int) -> FileResponse:
    job = queries.get_job(request.member, job_id)
    if not job.result_file:
        raise Http404
    return FileResponse(
        job.result_file.open("rb"),
        as_attachment=True,
        filename=job.result_file.name.rsplit("/", 1)[-1],
    )
