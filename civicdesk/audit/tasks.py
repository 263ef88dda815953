"""Background work of the audit log."""

from civicdesk.jobs.registry import job_handler
from civicdesk.jobs.services import JobContext

from .log import verify_chain


@job_handler("audit.verify")
def verify_office_chain(context: JobContext) -> dict:
    problems = verify_chain(
        context.office.pk, progress=lambda done, total: context.progress(done, total)
    )
    for problem in problems[:200]:
        context.log(str(problem))
    return {
        "ok": not problems,
        "problem_count": len(problems),
        "problems": [str(p) for p in problems[:200]],
    }
