"""Writes of imports: a file uploaded and its shape, its column mapping, the preview, the
background import and its resumption, failed rows fixed one at a time, saved mappings.

Every function that takes `by` checks that the member may run imports ("import.run") in the
batch's office; `by=None` is the system (the command line). Refusals raise ImportRefused with
a sentence for people. The pipeline itself is in pipeline/ (run.py for the checkpointed loop,
chunks.py for a chunk's matching and writing).
"""

import io
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from civicdesk import audit
from civicdesk.accounts.models import Membership, Office
from civicdesk.core.access import require
from civicdesk.core.errors import DomainError
from civicdesk.dedupe.services import similar_people
from civicdesk.jobs.models import Job, JobState
from civicdesk.jobs.services import start_job
from civicdesk.tabular.mapping import Mapping, MappingError, PersonRecord, RowMapper, is_target
from civicdesk.tabular.reading import FileShape, Row, TableError, detect_shape, read_rows
from civicdesk.tabular.writing import safe_cell, write_csv
from civicdesk.tags import services as tag_services
from civicdesk.tags.models import Tag, TagAlias, normalize

from .models import (
    DEFAULT_MATCH_RULES,
    ImportBatch,
    ImportFailure,
    ImportState,
    MatchRule,
    SavedMapping,
)
from .pipeline import run as pipeline
from .pipeline.chunks import Importer, kept_cells

__all__ = [
    "IMPORT_JOB",
    "ImportRefused",
    "PreviewRow",
    "change_shape",
    "create_batch",
    "delete_mapping",
    "failures_csv",
    "mapping_problems",
    "preview",
    "resume_batch",
    "resume_stalled",
    "retry_failure",
    "run_batch",
    "run_here",
    "save_mapping",
    "set_mapping",
    "stalled_batches",
    "start_import",
    "summary",
]

logger = logging.getLogger(__name__)

IMPORT_JOB = "imports.people"
STALE_SECONDS = 120
NAME_TARGETS = {"first_name", "last_name", "full_name"}
EDITABLE = (ImportState.UPLOADED, ImportState.MAPPED)


class ImportRefused(DomainError):
    code = "import_refused"


def stale_seconds() -> int:
    return int(getattr(settings, "IMPORT_STALE_SECONDS", STALE_SECONDS))


# ---------------------------------------------------------------- the file


def create_batch(
    office: Office, *, by: Membership | None, uploaded: UploadedFile | Path
) -> ImportBatch:
    """Store the file under media/imports/ and detect its shape (format, encoding, delimiter,
    header). A file that is not a table (empty, binary, an unreadable spreadsheet) is refused
    and nothing is kept."""
    require(by, "import.run", office.pk)
    if isinstance(uploaded, str | Path):
        path = Path(uploaded)
        if not path.is_file():
            raise ImportRefused(f"There is no file {path}.")
        name = path.name
        with path.open("rb") as handle:
            return _store(office, by, name, File(handle, name=name))
    name = Path(uploaded.name or "upload.csv").name
    return _store(office, by, name, uploaded)


def _store(office: Office, by: Membership | None, name: str, content: File) -> ImportBatch:
    batch = ImportBatch(office=office, filename=name[:255], started_by=by)
    batch.file.save(name, content, save=False)
    batch.file_size = batch.file.size
    try:
        shape = detect_shape(batch.file.path)
    except TableError as exc:
        batch.file.delete(save=False)
        raise ImportRefused(f"{name}: {exc}") from None
    batch.shape = shape.to_dict()
    with transaction.atomic():
        batch.save()
        audit.record(
            by, "import.uploaded", batch, office=office,
            changes={"filename": [None, batch.filename], "size": [None, batch.file_size]},
        )  # fmt: skip
    return batch


def change_shape(
    batch: ImportBatch,
    *,
    by: Membership | None,
    has_header: bool | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
) -> ImportBatch:
    """Read the file again with the given header, delimiter or encoding (None: detect). A
    mapping that names columns the new shape does not have is dropped."""
    require(by, "import.run", batch.office_id)
    _editable(batch)
    try:
        shape = detect_shape(
            batch.file.path, has_header=has_header, delimiter=delimiter, encoding=encoding
        )
    except TableError as exc:
        raise ImportRefused(str(exc)) from None
    if batch.mapping and not _mapping_fits(Mapping.from_dict(batch.mapping), shape):
        batch.mapping, batch.state = {}, ImportState.UPLOADED
    batch.shape = shape.to_dict()
    batch.save(update_fields=["shape", "mapping", "state", "updated_at"])
    return batch


def _editable(batch: ImportBatch) -> None:
    if batch.state not in EDITABLE:
        raise ImportRefused(
            f"This import is {batch.get_state_display().lower()}: its file and mapping can no "
            "longer change. Upload the file again to import it differently."
        )


# ---------------------------------------------------------------- the mapping


def _mapping_fits(mapping: Mapping, shape: FileShape) -> bool:
    return not RowMapper(mapping, shape).missing


def mapping_problems(mapping: Mapping, shape: FileShape) -> list[str]:
    """What is wrong with a mapping for this file, for people; [] when it can be used."""
    problems = [
        f"“{target}” is not a field people can be imported into."
        for target in mapping.columns
        if not is_target(target)
    ]
    mapper = RowMapper(mapping, shape)
    if mapper.missing:
        names = ", ".join(f"“{name}”" for name in mapper.missing)
        problems.append(f"The file has no column {names}, which the mapping names.")
    elif mapper.need > len(shape.columns):
        problems.append(
            f"The mapping reads column {mapper.need} but the file has "
            f"{len(shape.columns)} column{'' if len(shape.columns) == 1 else 's'}: is it the right layout?"
        )
    if not NAME_TARGETS & {target for target, columns in mapping.columns.items() if columns}:
        problems.append("Map a column to the first name, the last name or the full name.")
    return problems


def _mapping(mapping: Mapping | dict) -> Mapping:
    """The mapping checked as Mapping.from_dict checks a stored or uploaded one."""
    try:
        return Mapping.from_dict(mapping.to_dict() if isinstance(mapping, Mapping) else mapping)
    except MappingError as exc:
        raise ImportRefused(str(exc)) from None


def _rules(match_rules: list[str] | None) -> list[str]:
    if match_rules is None:
        return [str(rule) for rule in DEFAULT_MATCH_RULES]
    unknown = [rule for rule in match_rules if rule not in MatchRule.values]
    if unknown:
        raise ImportRefused(
            f"Unknown match rule {', '.join(unknown)}; use some of {', '.join(MatchRule.values)}."
        )
    return list(dict.fromkeys(match_rules))


def set_mapping(
    batch: ImportBatch,
    *,
    by: Membership | None,
    mapping: Mapping | dict,
    match_rules: list[str] | None = None,
    tag_name: str = "",
) -> ImportBatch:
    """Choose the columns' fields, the match rules (in order; None: the default ones) and the
    tag every person of the batch gets (created when the office has none of that name)."""
    require(by, "import.run", batch.office_id)
    _editable(batch)
    chosen = _mapping(mapping)
    problems = mapping_problems(chosen, FileShape.from_dict(batch.shape))
    if problems:
        raise ImportRefused(" ".join(problems), details={"problems": problems})
    rules = _rules(match_rules)
    with transaction.atomic():
        batch.tag = _batch_tag(batch.office, tag_name, by) if tag_name.strip() else None
        batch.mapping = chosen.to_dict()
        batch.match_rules = rules
        batch.state = ImportState.MAPPED
        batch.save(update_fields=["tag", "mapping", "match_rules", "state", "updated_at"])
    return batch


def _batch_tag(office: Office, name: str, by: Membership | None) -> Tag:
    """The office's tag of that name or alias (a merged tag stands for the one it was merged
    into), or a new top-level tag."""
    wanted = normalize(name)
    tag = (
        Tag.objects.for_office(office).filter(normalized=wanted).order_by("parent_id", "pk").first()
    )
    if tag is None:
        alias = TagAlias.objects.for_office(office).filter(normalized=wanted).first()
        tag = alias.tag if alias else None
    seen: set[int] = set()
    while tag is not None and tag.merged_into_id is not None and tag.pk not in seen:
        seen.add(tag.pk)
        tag = Tag.objects.filter(pk=tag.merged_into_id).first()
    if tag is None:
        try:
            return tag_services.create_tag(office, name=name, by=by)
        except DomainError as exc:
            raise ImportRefused(exc.message) from None
    if tag.is_deprecated:
        raise ImportRefused(f"The tag “{tag.path}” is deprecated: pick another name.")
    return tag


# ---------------------------------------------------------------- the preview


@dataclass
class PreviewRow:
    number: int
    cells: list[str]
    record: PersonRecord
    problems: list[str]
    match: str  # "new", "update of Jane Smith", "no change to Jane Smith", "same person as row 3"
    # For a new person: the office's people most like them (dedupe.services.similar_people:
    # {"id", "name", "address", "probability", "percent", "url"}), best first.
    similar: list[dict] = field(default_factory=list)


def preview(batch: ImportBatch, *, limit: int = 20) -> list[PreviewRow]:
    """The first rows as the import would take them: the record, its problems, and whom it
    matches. Writes nothing."""
    if not batch.mapping:
        raise ImportRefused("Choose which columns go to which fields first.")
    shape = FileShape.from_dict(batch.shape)
    try:
        rows = list(islice(read_rows(batch.file.path, shape), max(0, limit)))
    except (TableError, OSError) as exc:
        raise ImportRefused(str(exc)) from None
    result = Importer(batch).process(rows, write=False)
    return [
        PreviewRow(
            number=outcome.number,
            cells=list(outcome.cells),
            record=outcome.record or PersonRecord(),
            problems=list(outcome.problems),
            match=_match_text(outcome),
            # A new person who resembles someone already there (the duplicates warning).
            similar=similar_people(batch.office, outcome.record)
            if outcome.action == "created"
            else [],
        )
        for outcome in result.outcomes
    ]


def _match_text(outcome: Any) -> str:
    state = outcome.state
    if outcome.action == "failed" or state is None:
        return "fails"
    if state.is_new and outcome.action != "created":
        return f"same person as row {state.first_row}"
    if outcome.action == "created":
        return "new"
    if outcome.action == "updated":
        return f"update of {state.stored_name}"
    return f"no change to {state.stored_name}"


# ---------------------------------------------------------------- running


@transaction.atomic
def start_import(batch: ImportBatch, *, by: Membership | None) -> Job:
    """Queue the import as a background job (its page shows the progress)."""
    require(by, "import.run", batch.office_id)
    batch = ImportBatch.objects.select_for_update().select_related("office").get(pk=batch.pk)
    if batch.state != ImportState.MAPPED:
        raise ImportRefused(
            f"This import is {batch.get_state_display().lower()}; only an import ready to run "
            "can start."
        )
    job = start_job(
        batch.office,
        kind=IMPORT_JOB,
        title=f"Import people from {batch.filename}"[:200],
        by=by,
        params={"batch_id": batch.pk},
    )
    batch.state, batch.job, batch.started_by = ImportState.QUEUED, job, by
    batch.save(update_fields=["state", "job", "started_by", "updated_at"])
    mapping = Mapping.from_dict(batch.mapping)
    audit.record(
        by,
        "import.started",
        batch,
        office=batch.office,
        changes={
            "filename": batch.filename,
            "fields": sorted(target for target, columns in mapping.columns.items() if columns),
            "match_rules": batch.match_rules,
            "tag": batch.tag.path if batch.tag else None,
        },
    )
    return job


def run_batch(batch: ImportBatch, *, progress: Any = None) -> ImportBatch:
    """The import itself, from the batch's checkpoint to the end of the file (resumable: see
    pipeline/run.py). `progress(done, total, force=False)` hears of each chunk."""
    return pipeline.run_batch(batch, progress=progress)


def run_here(
    batch: ImportBatch,
    *,
    progress: Any = None,
    chunk_size: int | None = None,
    pause: float = 0.0,
) -> ImportBatch:
    """Run the batch in this process (the command line), keeping its job's row as a worker
    would: running, its progress, then finished or failed. A batch whose worker died is taken
    over; a live worker on the same batch is safe, as only one of the two can write a chunk."""
    from civicdesk.jobs.services import JobContext

    context = None
    if batch.job_id is not None:
        Job.objects.filter(pk=batch.job_id).update(
            state=JobState.RUNNING, started_at=timezone.now(), finished_at=None, error=""
        )
        context = JobContext(Job.objects.select_related("office").get(pk=batch.job_id))

    def report(done: int, total: int | None = None, *, force: bool = False) -> None:
        if context is not None:
            context.progress(done, total, force=force)
        if progress is not None:
            progress(done, total, force=force)

    try:
        batch = pipeline.run_batch(batch, progress=report, chunk_size=chunk_size, pause=pause)
    except Exception as exc:
        if context is not None:
            _close_job(batch.job_id, JobState.FAILED, error=f"{type(exc).__name__}: {exc}")
        raise
    if context is not None and batch.state in (ImportState.FINISHED, ImportState.FAILED):
        failed = batch.state == ImportState.FAILED
        _close_job(
            batch.job_id,
            JobState.FAILED if failed else JobState.SUCCEEDED,
            error=batch.error if failed else "",
            result={"batch_id": batch.pk, **summary(batch)},
            done=batch.rows_done,
        )
    return batch


def summary(batch: ImportBatch) -> dict[str, int]:
    return {
        "created": batch.created,
        "updated": batch.updated,
        "unchanged": batch.unchanged,
        "failed": batch.failed,
    }


def _close_job(job_id: int, state: str, *, error: str = "", **fields: Any) -> None:
    Job.objects.filter(pk=job_id).update(
        state=state, error=error[:2000], finished_at=timezone.now(), **fields
    )


@transaction.atomic
def resume_batch(batch: ImportBatch, *, by: Membership | None, force: bool = False) -> Job:
    """Queue a stopped import again: it goes on after its checkpoint. A batch that is still
    running (a heartbeat within the stale period) is refused unless `force`."""
    require(by, "import.run", batch.office_id)
    batch = ImportBatch.objects.select_for_update().select_related("office").get(pk=batch.pk)
    if batch.state in EDITABLE or batch.state == ImportState.FINISHED:
        raise ImportRefused(
            f"This import is {batch.get_state_display().lower()}: nothing to resume."
        )
    fresh = batch.heartbeat_at and timezone.now() - batch.heartbeat_at < timedelta(
        seconds=stale_seconds()
    )
    if batch.state == ImportState.RUNNING and fresh and not force:
        raise ImportRefused(
            f"This import is running (its worker reported {batch.heartbeat_at:%H:%M:%S}); "
            "it can be resumed once it has been silent for "
            f"{stale_seconds()} seconds."
        )
    job = batch.job
    if job is None:
        job = start_job(
            batch.office, kind=IMPORT_JOB, title=f"Import people from {batch.filename}"[:200],
            by=by, params={"batch_id": batch.pk},
        )  # fmt: skip
    else:
        from civicdesk.jobs.tasks import run_job

        Job.objects.filter(pk=job.pk).update(state=JobState.QUEUED, error="", finished_at=None)
        transaction.on_commit(partial(run_job.enqueue, job_id=job.pk))
    batch.state, batch.job = ImportState.QUEUED, job
    batch.save(update_fields=["state", "job", "updated_at"])
    audit.record(
        by, "import.resumed", batch, office=batch.office, changes={"rows_done": batch.rows_done}
    )
    return job


def stalled_batches(now: Any = None) -> list[ImportBatch]:
    """Running imports whose worker has been silent longer than IMPORT_STALE_SECONDS, and
    queued ones whose job a worker took and then went silent."""
    cutoff = (now or timezone.now()) - timedelta(seconds=stale_seconds())
    running = Q(state=ImportState.RUNNING) & (
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True)
    )
    taken = Q(state=ImportState.QUEUED, job__state=JobState.RUNNING, job__started_at__lt=cutoff)
    return list(ImportBatch.objects.filter(running | taken).order_by("pk"))


def resume_stalled(now: Any = None) -> list[int]:
    """Queue every stalled import again (the periodic task `imports.resume_stalled`)."""
    resumed = []
    for batch in stalled_batches(now):
        try:
            resume_batch(batch, by=None, force=True)
        except ImportRefused:
            continue  # finished or taken meanwhile
        logger.warning(
            "import batch %s had stalled after %s rows; queued again", batch.pk, batch.rows_done
        )
        resumed.append(batch.pk)
    return resumed


# ---------------------------------------------------------------- failed rows


def failures_csv(batch: ImportBatch) -> bytes:
    """The rows that failed and are not fixed yet: the file's columns and a "reason" column,
    every cell neutralized against formula injection. UTF-8 with a BOM (Excel reads it)."""
    header = [*FileShape.from_dict(batch.shape).columns, "reason"]

    def rows():
        yield [safe_cell(name) for name in header]
        failures = batch.failures.filter(is_fixed=False).order_by("row_number")
        for cells, reason in failures.values_list("cells", "reason").iterator(chunk_size=2000):
            yield [safe_cell(cell) for cell in cells] + [safe_cell(reason)]

    out = io.StringIO()
    write_csv(rows(), out)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def retry_failure(
    failure: ImportFailure, *, by: Membership | None, cells: list[str]
) -> ImportBatch:
    """Import a failed row again with its cells corrected: it counts in its batch (failed
    goes down by one) and the failure is marked fixed. Still wrong: ImportRefused with the
    reasons, and nothing changes."""
    batch = ImportBatch.objects.select_related("office", "started_by").get(pk=failure.batch_id)
    require(by, "import.run", batch.office_id)
    if batch.state in EDITABLE:
        raise ImportRefused("This import has not run yet.")
    importer = Importer(batch)
    if by is not None:
        importer.by_id = by.pk
    row = Row(number=failure.row_number, cells=[str(cell).strip() for cell in cells])
    with transaction.atomic():
        locked = ImportFailure.objects.select_for_update().get(pk=failure.pk)
        if locked.is_fixed:
            raise ImportRefused(f"Row {locked.row_number} was imported already.")
        outcome = importer.process([row]).outcomes[0]
        if outcome.action == "failed":
            raise ImportRefused(" ".join(outcome.problems), details={"problems": outcome.problems})
        ImportFailure.objects.filter(pk=failure.pk).update(
            is_fixed=True, cells=kept_cells(row.cells)
        )
        ImportBatch.objects.filter(pk=batch.pk).update(
            failed=F("failed") - 1, **{outcome.action: F(outcome.action) + 1}
        )
        if batch.tag_id is not None:
            tag_services.refresh_usage_counts(
                batch.office, tags=Tag.objects.filter(pk=batch.tag_id)
            )
        audit.record(
            by, "import.row_fixed", batch, office=batch.office,
            changes={"row": locked.row_number, "result": outcome.action},
        )  # fmt: skip
    failure.is_fixed = True
    batch.refresh_from_db()
    return batch


# ---------------------------------------------------------------- saved mappings


def save_mapping(
    office: Office, *, by: Membership | None, name: str, mapping: Mapping | dict
) -> SavedMapping:
    """Keep a mapping under a name for the next files; the same name replaces it."""
    require(by, "import.run", office.pk)
    name = " ".join(name.split())
    if not name or len(name) > 100:
        raise ImportRefused("A saved mapping needs a name of 1 to 100 characters.")
    chosen = _mapping(mapping)
    with transaction.atomic():
        saved, created = SavedMapping.objects.update_or_create(
            office=office, name=name, defaults={"mapping": chosen.to_dict(), "created_by": by}
        )
        audit.record(
            by, "import.mapping_saved", saved, office=office,
            changes={"name": [None if created else name, name]},
        )  # fmt: skip
    return saved


@transaction.atomic
def delete_mapping(saved: SavedMapping, *, by: Membership | None) -> None:
    require(by, "import.run", saved.office_id)
    audit.record(
        by,
        "import.mapping_deleted",
        saved,
        office=saved.office,
        changes={"name": [saved.name, None]},
    )
    saved.delete()
