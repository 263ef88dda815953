"""Background jobs of the interchange: the import of an uploaded export, the export of the
office. Both take the run's id, reload it and call a service; progress goes on the job."""

from typing import Any

from civicdesk.jobs.registry import job_handler
from civicdesk.jobs.services import JobContext

from . import services
from .models import InterchangeRun
from .report import Report


def _run(context: JobContext) -> InterchangeRun:
    return InterchangeRun.objects.select_related("office", "started_by__user").get(
        office=context.office, pk=context.params["run_id"]
    )


def _result(run: InterchangeRun) -> dict[str, Any]:
    report = Report.from_dict(run.report)
    return {"run_id": run.pk, **report.totals()}


@job_handler(services.IMPORT_JOB)
def import_export(context: JobContext) -> dict[str, Any]:
    """Import the run's ZIP (params {"run_id"})."""
    run = services.run_import(_run(context), progress=context.progress)
    return _result(run)


@job_handler(services.EXPORT_JOB)
def export_office(context: JobContext) -> dict[str, Any]:
    """Export the office into a ZIP on the run (params {"run_id"})."""
    run = services.run_export(_run(context), progress=context.progress)
    return _result(run)
