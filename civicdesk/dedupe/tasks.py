"""Background work of duplicates: the scan job, with its progress bar on /jobs/<id>/."""

from collections.abc import Callable

from civicdesk.jobs.registry import job_handler
from civicdesk.jobs.services import JobContext

from . import services


def job_progress(context: JobContext) -> Callable[[str, int, int], None]:
    """progress(stage, done, total) of a scan, drawn on the job's bar (0 to 100)."""

    def report(stage: str, done: int, total: int) -> None:
        start, end = services.SCAN_STAGES[stage]
        share = done / total if total else 1
        context.progress(round(start + (end - start) * share), 100, force=share >= 1)

    return report


@job_handler(services.SCAN_JOB)
def scan(context: JobContext) -> dict:
    result = services.scan_office(
        context.office, by=context.job.started_by, progress=job_progress(context)
    )
    context.log(result.summary)
    return result.to_dict()
