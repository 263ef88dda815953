"""The export jobs: a long people list, and the full office export. They take the job, reload
what it names and call a service."""

from typing import Any

from civicdesk.jobs.registry import job_handler
from civicdesk.jobs.services import JobContext

from . import services
from .models import OfficeExport


@job_handler("exports.people")
def export_people(context: JobContext) -> dict[str, Any]:
    """Write a people list too long to download at once; the job page offers the file."""
    return services.run_people_export(context.job, progress=context.progress)


@job_handler("exports.office")
def export_office(context: JobContext) -> dict[str, Any]:
    """Write the full office export; the Office export page offers the file."""
    export = OfficeExport.objects.select_related("office", "started_by__user").get(
        pk=context.params["export_id"], office=context.office
    )
    result = services.run_office_export(export, progress=context.progress)
    context.log(
        f"Exported {result['rows']:,} rows of {result['tables']} tables and "
        f"{result['documents']} documents; download it from the Office export page."
    )
    if result["missing_documents"]:
        context.log(
            f"{result['missing_documents']} documents were missing from storage; "
            "manifest.json lists them."
        )
    return result
