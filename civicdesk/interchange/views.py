"""Pages of the interchange (admins: "interchange.run"): upload a ZIP of a House CMS export to
import, start an export, follow a run and read its report, download an export, bring in staged
records. Imports and exports run as jobs; a run's page follows its job (htmx polls)."""

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from civicdesk.core.access import require_member
from civicdesk.core.errors import DomainError
from civicdesk.core.htmx import partial_or_page

from . import queries, services
from .forms import ExportUploadForm
from .report import Report


def _home(request: HttpRequest, form: ExportUploadForm, status: int = 200) -> HttpResponse:
    office = request.member.office
    staged = queries.staged_summary(office)
    context = {
        "form": form,
        "runs": list(queries.run_list(office)[:20]),
        "staged": staged,
        "can_bring_in": any(row["has_handler"] for row in staged),
    }
    return render(request, "interchange/home.html", context, status=status)


@require_GET
@require_member("interchange.run")
def home(request: HttpRequest) -> HttpResponse:
    return _home(request, ExportUploadForm())


@require_POST
@require_member("interchange.run")
def import_upload(request: HttpRequest) -> HttpResponse:
    form = ExportUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            run = services.start_import(
                request.member.office, by=request.member, upload=form.cleaned_data["file"]
            )
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            return redirect("interchange:run-detail", run_id=run.pk)
    return _home(request, form, status=400)


@require_POST
@require_member("interchange.run")
def export_start(request: HttpRequest) -> HttpResponse:
    run = services.start_export(request.member.office, by=request.member)
    return redirect("interchange:run-detail", run_id=run.pk)


@require_POST
@require_member("interchange.run")
def bring_in(request: HttpRequest) -> HttpResponse:
    report = services.bring_in(request.member.office, by=request.member)
    brought = report.totals()["imported"]
    messages.success(
        request,
        _("%(count)s staged records brought in.") % {"count": brought}
        if brought
        else _("Nothing could be brought in yet: the records still wait for their modules."),
    )
    return redirect("interchange:home")


@require_GET
@require_member("interchange.run")
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = queries.get_run(request.member, run_id)
    template = partial_or_page(request, "interchange/run_detail.html", "run-progress")
    report = Report.from_dict(run.report or {"kind": run.kind})
    return render(request, template, {"run": run, "report": report})


@require_GET
@require_member("interchange.run")
def run_download(request: HttpRequest, run_id: int) -> FileResponse:
    run = queries.get_run(request.member, run_id)
    if not run.result:
        raise Http404
    handle = services.download_export(run, by=request.member)
    return FileResponse(handle, as_attachment=True, filename=run.filename)
