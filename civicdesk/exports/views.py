"""Pages of exports: the people list's Export menu (a file, or a job for a long list), a
person's vCard, and the Office export page. Thin doors over services.py and queries.py."""

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civicdesk.core.access import require_member
from civicdesk.core.errors import DomainError
from civicdesk.core.htmx import partial_or_page

from . import queries, services


def _download(export: services.ExportFile) -> FileResponse:
    response = FileResponse(
        export.file, as_attachment=True, filename=export.filename, content_type=export.content_type
    )
    response["Cache-Control"] = "no-store"  # people's details: never kept by a shared cache
    return response


@require_POST
@require_member("person.export")
def people_export(request: HttpRequest) -> HttpResponse:
    """The people list's Export menu: the list's filters ride in the query string, the format
    in the form. A short list downloads now; a long one becomes a job with a progress bar."""
    member = request.member
    filter, order = queries.people_filter(member, request.GET)
    back = reverse("constituents:person-list") + (
        f"?{request.GET.urlencode()}" if request.GET else ""
    )
    try:
        made = services.export_people(
            member, filter=filter, format=request.POST.get("format", ""), order=order
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    if made.job is not None:
        messages.info(
            request,
            _(
                "%(count)s people is a long list: it is being written in the background. "
                "Download it here when the bar is full."
            )
            % {"count": f"{made.count:,}"},
        )
        return redirect("jobs:job-detail", job_id=made.job.pk)
    assert made.file is not None
    return _download(made.file)


@require_GET
@require_member("person.view")
def person_vcard(request: HttpRequest, person_id: int) -> FileResponse:
    return _download(services.person_vcard(request.member, person_id))


@require_http_methods(["GET", "POST"])
@require_member("office.export")
def office_export(request: HttpRequest) -> HttpResponse:
    """The Office export page: start a full export; the past ones with their download links.
    While one runs, htmx polls the table of exports."""
    member = request.member
    if request.method == "POST":
        try:
            services.start_office_export(by=member)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("The export has started. It appears below, ready to download, when it ends."),
            )
        return redirect("exports:office-export")
    exports = list(queries.office_export_list(member.office)[:50])
    context = {
        "exports": exports,
        "is_running": any(export.state == "running" for export in exports),
    }
    template = partial_or_page(request, "exports/office_export.html", "export-table")
    return render(request, template, context)


@require_GET
@require_member("office.export")
def office_export_download(request: HttpRequest, export_id: int) -> HttpResponse:
    try:
        export = services.open_office_export(request.member, export_id)
    except services.ExportRefused as exc:
        messages.error(request, exc.message)
        return redirect("exports:office-export")
    return _download(export)


@require_POST
@require_member("office.export")
def office_export_delete(request: HttpRequest, export_id: int) -> HttpResponse:
    export = queries.get_office_export(request.member, export_id)
    try:
        services.delete_office_export(export, by=request.member)
    except services.ExportRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The export and its file are deleted."))
    return redirect("exports:office-export")
