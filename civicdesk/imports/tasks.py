"""Background work of imports: the import job itself, and the periodic look for imports whose
worker died (they are queued again and go on after their checkpoint)."""

from datetime import timedelta
from typing import Any

from civicdesk.jobs.registry import job_handler, periodic
from civicdesk.jobs.services import JobContext

from . import services
from .models import ImportBatch, ImportState


@job_handler(services.IMPORT_JOB)
def import_people(context: JobContext) -> dict[str, Any]:
    """Run an import batch (params {"batch_id"}) from its checkpoint to the end."""
    batch = ImportBatch.objects.get(pk=context.params["batch_id"], office=context.office)
    batch = services.run_batch(batch, progress=context.progress)
    if batch.state == ImportState.FAILED:
        raise services.ImportRefused(batch.error)
    return {"batch_id": batch.pk, **services.summary(batch)}


@periodic("imports.resume_stalled", every=timedelta(minutes=1))
def resume_stalled_imports() -> list[int]:
    return services.resume_stalled()
