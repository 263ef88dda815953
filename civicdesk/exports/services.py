"""Exports: people lists (CSV, XLSX, vCard), one person's vCard, and the full office export.

Every export is audited: "people.exported" (with the filter, format and count),
"person.exported" (one vCard), "office.export_started", "office.export_downloaded" and
"office.export_deleted".
A list of at most INLINE_LIMIT people is written at once; a longer one runs as a job
(`exports.people`) whose result file the job page offers. Every cell goes through
`tabular.writing.safe_cell`: a text starting with = + - @ never runs as a formula."""

import dataclasses
import datetime as dt
import io
import tempfile
from dataclasses import dataclass
from typing import IO, Any

from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.text import slugify

from civicdesk import audit
from civicdesk.accounts.models import Membership
from civicdesk.constituents.models import Person
from civicdesk.constituents.queries import PersonFilter, filtered_people
from civicdesk.core.errors import DomainError
from civicdesk.jobs.models import Job, JobState
from civicdesk.jobs.services import start_job
from civicdesk.tabular.writing import write_csv, write_xlsx

from . import office_export, vcard
from .models import OfficeExport
from .people import ORDERS, PeopleSheet, iter_people, with_details

__all__ = [
    "FORMATS",
    "INLINE_LIMIT",
    "ExportFile",
    "ExportRefused",
    "PeopleExport",
    "export_people",
    "person_vcard",
    "run_office_export",
    "run_people_export",
    "start_office_export",
    "open_office_export",
    "delete_office_export",
    "write_people",
]

INLINE_LIMIT = 5000  # people: more than this runs as a job
STALE_AFTER = dt.timedelta(hours=1)  # an unfinished office export older than this blocks nothing


@dataclass(frozen=True)
class Format:
    label: str
    extension: str
    content_type: str


FORMATS = {
    "csv": Format("CSV", "csv", "text/csv; charset=utf-8"),
    "xlsx": Format(
        "XLSX", "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ),
    "vcard": Format("vCard", "vcf", "text/vcard; charset=utf-8"),
}


class ExportRefused(DomainError):
    """An export that cannot be made as asked (an unknown format, an export already running)."""

    code = "export_refused"


@dataclass
class ExportFile:
    """A finished export to hand to the person: an open binary file at its start."""

    file: IO[bytes]
    filename: str
    content_type: str
    count: int


@dataclass
class PeopleExport:
    """What export_people made: the file (a short list) or the job (a long one)."""

    count: int
    file: ExportFile | None = None
    job: Job | None = None


# ---------------------------------------------------------------- people lists


def _check_format(format: str) -> Format:
    if format not in FORMATS:
        raise ExportRefused(
            f"“{format}” is not a format we export; use one of {', '.join(FORMATS)}.",
            details={"formats": list(FORMATS)},
        )
    return FORMATS[format]


def _check_filter(member: Membership, filter: PersonFilter, order: str) -> None:
    if "is_of_concern" in filter.flags and not member.can("person.view_concern"):
        raise PermissionDenied
    if order not in ORDERS:
        raise ExportRefused(f"order must be one of {', '.join(ORDERS)}, not “{order}”.")


def _filename(stem: str, fmt: Format) -> str:
    return f"{stem}-{timezone.localdate():%Y-%m-%d}.{fmt.extension}"


def _sheet_rows(sheet: PeopleSheet, people: Any) -> Any:
    """The header, then a row per person; write_csv and write_xlsx pass each cell through
    safe_cell."""
    yield sheet.header()
    for details in people:
        yield sheet.row(details)


def write_people(
    office: Any,
    filter: PersonFilter,
    out: IO[bytes],
    *,
    format: str,
    order: str = "name",
    may_see_concern: bool = False,
    progress: Any = None,
) -> int:
    """Write the office's people matching `filter` to a binary stream, in `order`; returns how
    many people were written."""
    _check_format(format)
    people = iter_people(office, filter, order=order, progress=progress)
    if format == "xlsx":
        sheet = PeopleSheet(office, may_see_concern=may_see_concern)
        return write_xlsx(_sheet_rows(sheet, people), out, sheet="People") - 1
    # CSV with a byte order mark: Excel reads UTF-8 names (José, Nguyễn) right only with it.
    text = io.TextIOWrapper(out, encoding="utf-8-sig" if format == "csv" else "utf-8", newline="")
    if format == "csv":
        sheet = PeopleSheet(office, may_see_concern=may_see_concern)
        count = write_csv(_sheet_rows(sheet, people), text) - 1
    else:
        count = vcard.write_vcards(people, text)
    text.flush()
    text.detach()  # the caller keeps `out` open
    return count


def _filter_details(filter: PersonFilter, order: str) -> dict[str, Any]:
    details = dataclasses.asdict(filter)
    details["tag_ids"] = list(details["tag_ids"])
    details["flags"] = list(details["flags"])
    details["order"] = order
    return details


def export_people(
    member: Membership, *, filter: PersonFilter, format: str, order: str = "name"
) -> PeopleExport:
    """Export the member's office's people matching `filter` (the people list's filters).
    At most INLINE_LIMIT people: the file, written now. More: a job (kind "exports.people")
    whose result file the job page offers. PermissionDenied without "person.export"."""
    if not member.can("person.export"):
        raise PermissionDenied
    fmt = _check_format(format)
    _check_filter(member, filter, order)
    count = filtered_people(member.office, filter).count()
    details = {"filter": _filter_details(filter, order), "format": format, "count": count}
    if count > INLINE_LIMIT:
        with transaction.atomic():
            job = start_job(
                member.office,
                kind="exports.people",
                title=f"Export {count:,} people as {fmt.label}",
                by=member,
                params={"filter": details["filter"], "format": format},
            )
            Job.objects.filter(pk=job.pk).update(total=count)
            audit.record(member, "people.exported", job, changes={**details, "delivery": "job"})
        return PeopleExport(count=count, job=job)
    # Not a `with`: the file goes out in the response, which closes it once it is sent.
    out = tempfile.TemporaryFile()  # noqa: SIM115
    try:
        written = write_people(
            member.office,
            filter,
            out,
            format=format,
            order=order,
            may_see_concern=member.can("person.view_concern"),
        )
    except BaseException:
        out.close()
        raise
    out.seek(0)
    details["count"] = written
    audit.record(
        member,
        "people.exported",
        office=member.office,
        object_repr=f"{written} people",
        changes={**details, "delivery": "download"},
    )
    return PeopleExport(
        count=written,
        file=ExportFile(out, _filename("people", fmt), fmt.content_type, written),
    )


def run_people_export(job: Job, *, progress: Any = None) -> dict[str, Any]:
    """The `exports.people` job: write the file and attach it to the job. Refused if the one
    who started it may no longer export people."""
    member = job.started_by
    if member is None or not member.can("person.export"):
        raise ExportRefused("The person who started this export may no longer export people.")
    params = job.params
    filter_values = dict(params["filter"])
    order = filter_values.pop("order", "name")
    filter = PersonFilter(**filter_values)
    fmt = _check_format(params["format"])
    total = job.total

    def report(done: int) -> None:
        if progress is not None:
            progress(done, total)

    with tempfile.TemporaryFile() as out:
        count = write_people(
            job.office,
            filter,
            out,
            format=params["format"],
            order=order,
            may_see_concern=member.can("person.view_concern"),
            progress=report,
        )
        out.seek(0)
        job.result_file.save(_filename("people", fmt), File(out), save=False)
    Job.objects.filter(pk=job.pk).update(result_file=job.result_file.name)
    if progress is not None:
        progress(count, count)
    return {"count": count, "format": params["format"]}


# ---------------------------------------------------------------- one person's vCard


def person_vcard(member: Membership, person_id: int) -> ExportFile:
    """One of the office's people as a vCard 4.0 file: 404 if missing or another office's, 403
    without "person.view". Writes "person.exported"."""
    if not member.can("person.view"):
        raise PermissionDenied
    people = Person.objects.for_office(member.office).defer("search_text", "concern_reason")
    person = get_object_or_404(people, pk=person_id)
    [details] = with_details([person])
    content = vcard.person_vcard(details).encode()
    audit.record(member, "person.exported", person, changes={"format": "vcard"})
    stem = slugify(person.display_name) or f"person-{person.pk}"
    return ExportFile(io.BytesIO(content), f"{stem}.vcf", FORMATS["vcard"].content_type, 1)


# ---------------------------------------------------------------- the full office export


def _unfinished(office: Any) -> OfficeExport | None:
    since = timezone.now() - STALE_AFTER
    return (
        OfficeExport.objects.for_office(office)
        .filter(finished_at__isnull=True, created_at__gte=since)
        .exclude(job__state=JobState.FAILED)
        .first()
    )


@transaction.atomic
def start_office_export(*, by: Membership) -> OfficeExport:
    """Start a full export of the member's office (job kind "exports.office"). Refused while
    another one is under way. PermissionDenied without "office.export"."""
    if not by.can("office.export"):
        raise PermissionDenied
    if _unfinished(by.office) is not None:
        raise ExportRefused("An export of this office is already under way; wait for it to end.")
    export = OfficeExport.objects.create(office=by.office, started_by=by)
    export.job = start_job(
        by.office,
        kind="exports.office",
        title="Export the whole office",
        by=by,
        params={"export_id": export.pk},
    )
    export.save(update_fields=["job", "updated_at"])
    audit.record(by, "office.export_started", export)
    return export


def run_office_export(export: OfficeExport, *, progress: Any = None) -> dict[str, Any]:
    """The `exports.office` job: write the ZIP and keep it with the export."""
    by = export.started_by
    with tempfile.TemporaryFile() as out:
        summary = office_export.write_office_export(
            export.office,
            out,
            exported_by=by.user.email if by is not None else "system",
            progress=progress,
        )
        out.seek(0)
        export.file.save(export.filename, File(out), save=False)
    export.size = summary.size
    export.table_count = summary.tables
    export.row_count = summary.rows
    export.document_count = summary.documents
    export.finished_at = timezone.now()
    export.save()
    return {
        "tables": summary.tables,
        "rows": summary.rows,
        "documents": summary.documents,
        "missing_documents": summary.missing_documents,
        "size": summary.size,
    }


def open_office_export(member: Membership, export_id: int) -> ExportFile:
    """The file of one of the office's finished exports, to download: 404 if missing or
    another office's, 403 without "office.export", ExportRefused while it is being made.
    Writes "office.export_downloaded"."""
    if not member.can("office.export"):
        raise PermissionDenied
    export = get_object_or_404(OfficeExport.objects.for_office(member.office), pk=export_id)
    if not export.is_ready:
        raise ExportRefused("This export is not finished yet.")
    try:
        handle = export.file.open("rb")
    except FileNotFoundError as exc:
        raise ExportRefused("The file of this export is missing from storage.") from exc
    audit.record(member, "office.export_downloaded", export)
    return ExportFile(handle, export.filename, "application/zip", export.row_count)


@transaction.atomic
def delete_office_export(export: OfficeExport, *, by: Membership) -> None:
    """Delete a finished (or failed) export and its file: a full copy of the office's data
    should not lie around longer than needed. Refused while it is being written."""
    if not by.can("office.export"):
        raise PermissionDenied
    assert by.office_id == export.office_id  # doors fetch it through the office
    if export.state == "running":
        raise ExportRefused("This export is still being written; delete it once it has ended.")
    audit.record(by, "office.export_deleted", export)
    name = export.file.name
    storage = export.file.storage
    export.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))
