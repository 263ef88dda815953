"""The REST API of exports: a people list as CSV, XLSX or vCard (the file, or a job for a long
list), one person's vCard, and the full office export (start, follow, download). Every export
is audited, as from the pages."""

from django.http import FileResponse
from ninja import Router, Status

from civicdesk.constituents.models import PERSON_FLAGS
from civicdesk.constituents.queries import PersonFilter, UnknownFlag
from civicdesk.core.api import ErrorOut, needs

from . import queries, services
from .schemas import ExportPeopleIn, ExportPeopleJobOut, OfficeExportOut

router = Router(tags=["Exports"])
REFUSALS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


def _file(export: services.ExportFile) -> FileResponse:
    response = FileResponse(
        export.file, as_attachment=True, filename=export.filename, content_type=export.content_type
    )
    response["Cache-Control"] = "no-store"
    return response


@router.post("/exports/people", response={202: ExportPeopleJobOut, **REFUSALS})
@needs("person.export")
def export_people(request, payload: ExportPeopleIn):
    """The people matching the list's filters, as a file (200, the file itself) when at most
    5,000 match; else 202 with the job writing it: follow GET /jobs/{id}, then download its
    result_url."""
    filters = payload.filters
    unknown = [flag for flag in filters.flags if flag not in PERSON_FLAGS]
    if unknown:
        raise UnknownFlag(
            f"Unknown flags: {', '.join(unknown)}. Use some of {', '.join(PERSON_FLAGS)}.",
            details={"flags": unknown, "known": list(PERSON_FLAGS)},
        )
    made = services.export_people(
        request.auth,
        filter=PersonFilter(
            text=filters.q,
            district_id=filters.district_id,
            tag_ids=tuple(filters.tag_ids),
            tag_mode=filters.tag_mode,
            flags=tuple(filters.flags),
            language=filters.language,
        ),
        format=payload.format,
        order=filters.order,
    )
    if made.job is not None:
        made.job.refresh_from_db()
        return Status(202, {"count": made.count, "job": made.job})
    assert made.file is not None
    return _file(made.file)


@router.get("/people/{person_id}/vcard", response={200: None, **REFUSALS})
@needs("person.view")
def person_vcard(request, person_id: int):
    """One person as a vCard 4.0 file (text/vcard). Audited ("person.exported")."""
    return _file(services.person_vcard(request.auth, person_id))


@router.post("/exports/office", response={202: OfficeExportOut, **REFUSALS})
@needs("office.export")
def start_office_export(request):
    """Start a full export of the office (a ZIP of every table, the case documents and a
    manifest). 409 while another one is under way."""
    export = services.start_office_export(by=request.auth)
    return Status(202, queries.get_office_export(request.auth, export.pk))


@router.get("/exports/office", response=list[OfficeExportOut])
@needs("office.export")
def list_office_exports(request):
    """The office's full exports, newest first (the last 50)."""
    return list(queries.office_export_list(request.auth.office)[:50])


@router.get("/exports/office/{export_id}", response={200: OfficeExportOut, **REFUSALS})
@needs("office.export")
def get_office_export(request, export_id: int):
    return queries.get_office_export(request.auth, export_id)


@router.get("/exports/office/{export_id}/file", response={200: None, **REFUSALS})
@needs("office.export")
def download_office_export(request, export_id: int):
    """The ZIP file of a finished export. Audited ("office.export_downloaded"); 409 while it
    is being written."""
    return _file(services.open_office_export(request.auth, export_id))


@router.delete("/exports/office/{export_id}", response={204: None, **REFUSALS})
@needs("office.export")
def delete_office_export(request, export_id: int):
    """Delete a finished or failed export and its file (409 while it is being written)."""
    export = queries.get_office_export(request.auth, export_id)
    services.delete_office_export(export, by=request.auth)
    return Status(204, None)
