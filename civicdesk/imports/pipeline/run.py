"""Running a batch: the file streamed from the checkpoint on, chunk after chunk, each chunk's
people, failed rows and the new checkpoint (`rows_done`, the counts, the heartbeat) committed
in one transaction. A worker killed at any moment loses at most the chunk it was writing,
which the next run reads again: the database ends as after a clean run.

Two workers on one batch (a stalled one that wakes up after another resumed it) cannot both
write a chunk: each chunk's transaction first locks the batch row and checks that the
checkpoint is still where this worker left it; the late one stops.
"""

import gc
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import islice

from django.conf import settings
from django.db import DataError, IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from civicdesk import audit
from civicdesk.constituents.models import Person
from civicdesk.imports.models import ImportBatch, ImportFailure, ImportState
from civicdesk.tabular.reading import FileShape, Row, TableError, count_rows, read_rows
from civicdesk.tags import services as tag_services
from civicdesk.tags.models import Tag

from . import bulk
from .chunks import ChunkResult, Importer, ImportStopped, Prepared, ReferencesChanged, RowOutcome

logger = logging.getLogger(__name__)

CHUNK_ROWS = 5000
Progress = Callable[..., None]


class ImportTakenOver(Exception):  # noqa: N818  (not an error: another worker goes on)
    """Another worker moved the batch's checkpoint: this one stops."""


def chunk_rows() -> int:
    return max(1, int(getattr(settings, "IMPORT_CHUNK_ROWS", CHUNK_ROWS)))


def run_batch(
    batch: ImportBatch,
    *,
    progress: Progress | None = None,
    chunk_size: int | None = None,
    pause: float = 0.0,
) -> ImportBatch:
    """Import the batch's rows from its checkpoint to the end of the file. `pause` (seconds)
    waits inside each chunk's transaction before it commits: tests kill workers there."""
    batch = ImportBatch.objects.select_related("office").get(pk=batch.pk)
    if batch.state == ImportState.FINISHED:
        return batch
    size = chunk_size or chunk_rows()
    now = timezone.now()
    ImportBatch.objects.filter(pk=batch.pk).update(
        state=ImportState.RUNNING,
        heartbeat_at=now,
        started_at=batch.started_at or now,
        finished_at=None,
        error="",
    )
    batch.refresh_from_db()
    shape = FileShape.from_dict(batch.shape)
    path = batch.file.path
    try:
        if batch.rows_total is None:
            batch.rows_total = count_rows(path, shape)
            ImportBatch.objects.filter(pk=batch.pk).update(rows_total=batch.rows_total)
        importer = Importer(batch)
    except (TableError, OSError) as exc:
        return _stop(batch, _message(exc))
    with fewer_collections():
        return _run(batch, importer, path, shape, size, pause, progress)


@contextmanager
def fewer_collections() -> Iterator[None]:
    """The import makes and drops millions of small objects while the caches of names and
    streets stay: without this, Python's collector keeps walking those caches (a third of the
    time of a large import)."""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def _run(
    batch: ImportBatch,
    importer: Importer,
    path: str,
    shape: FileShape,
    size: int,
    pause: float,
    progress: Progress | None,
) -> ImportBatch:
    done = batch.rows_done
    _report(progress, done, batch.rows_total, force=True)
    ahead = ReadAhead(importer, read_rows(path, shape, start=done), size)
    chunks = 0
    try:
        for rows, prepared, broken in ahead:
            if rows:  # a file that breaks keeps the rows read before
                done = _commit(importer, batch.pk, rows, prepared, done, pause)
                _report(progress, done, batch.rows_total)
                chunks += 1
                if chunks & (chunks - 1) == 0:  # after chunks 1, 2, 4, 8...: the tables grew
                    with importer.timed("analyze"):
                        bulk.refresh_statistics()
            if broken is not None:
                return _stop(batch, _message(broken))
    except ImportTakenOver:
        logger.warning("import batch %s: another worker resumed it; this one stops", batch.pk)
        return ImportBatch.objects.get(pk=batch.pk)
    except ImportStopped as exc:
        return _stop(batch, str(exc))
    finally:
        ahead.close()
    bulk.clean_gin_pending_lists(Person)
    _report(progress, done, batch.rows_total, force=True)
    logger.debug(
        "import batch %s: seconds by phase: %s",
        batch.pk,
        ", ".join(f"{phase} {seconds:.1f}" for phase, seconds in importer.timings.items()),
    )
    batch.timings = dict(importer.timings)  # type: ignore[attr-defined]  (for -v 2)
    return _finish(batch, done)


class ReadAhead:
    """Reads and maps the next chunk of the file in a thread while this one is written: the
    database works (and, on SQLite, releases Python's lock) while the rows are parsed. Yields
    (rows, prepared rows, None), and at a broken file (the rows read before, their
    preparation, the error). The thread never touches the database."""

    def __init__(self, importer: Importer, rows: Iterator[Row], size: int):
        self.importer, self.rows, self.size = importer, rows, size
        self.queue: queue.Queue = queue.Queue(maxsize=1)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._read, name="import-read-ahead", daemon=True)
        self.thread.start()

    def _put(self, item: tuple) -> bool:
        while not self.stopped.is_set():
            try:
                self.queue.put(item, timeout=0.2)
            except queue.Full:
                continue
            return True
        return False

    def _read(self) -> None:
        timings = self.importer.timings
        try:
            while True:
                chunk: list[Row] = []
                broken: BaseException | None = None
                started = time.perf_counter()
                try:
                    for row in islice(self.rows, self.size):
                        chunk.append(row)
                except (TableError, OSError) as exc:
                    broken = exc
                timings["read"] += time.perf_counter() - started
                prepared = self.importer.prepare(chunk) if chunk else None
                if not self._put((chunk, prepared, broken)) or broken or not chunk:
                    return
        except BaseException as exc:  # noqa: BLE001  (handed to the importing thread)
            self._put(([], None, exc))

    def __iter__(self) -> Iterator[tuple[list[Row], Prepared | None, BaseException | None]]:
        while True:
            rows, prepared, broken = self.queue.get()
            if broken is not None and not isinstance(broken, TableError | OSError):
                raise broken
            if not rows and broken is None:
                return
            yield rows, prepared, broken
            if broken is not None:
                return

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=5)


def _message(exc: Exception) -> str:
    if isinstance(exc, TableError):
        return str(exc)
    return f"The file could not be read: {exc.strerror or exc}."  # type: ignore[attr-defined]


def _report(progress: Progress | None, done: int, total: int | None, force: bool = False) -> None:
    if progress is not None:
        progress(done, total, force=force)


def _commit(
    importer: Importer,
    batch_id: int,
    rows: list[Row],
    prepared: Prepared | None,
    start: int,
    pause: float,
) -> int:
    """Write one chunk and move the checkpoint past it, in one transaction. A row the database
    refuses (it should not happen: rows are checked first) fails alone: the chunk is written
    again row by row."""
    prepared = prepared or importer.prepare(rows)
    try:
        for attempt in range(3):
            try:
                with importer.timed("transaction"), transaction.atomic():
                    result = _write_chunk(importer, batch_id, prepared, start, pause)
                break
            except ReferencesChanged:
                if attempt == 2:
                    raise ImportStopped(
                        "The district maps or the people keep changing: try again later."
                    ) from None
                logger.info(
                    "import batch %s: a map or a person changed; reading it again", batch_id
                )
                importer.reload_places()
                prepared = importer.prepare(rows)
    except (IntegrityError, DataError):
        logger.exception(
            "import batch %s: a row was refused; writing the chunk row by row", batch_id
        )
        with transaction.atomic():
            result = _write_chunk(importer, batch_id, prepared, start, pause, one_by_one=True)
    importer.remembered |= result.new_words
    return rows[-1].number


def _write_chunk(
    importer: Importer,
    batch_id: int,
    prepared: Prepared,
    start: int,
    pause: float,
    *,
    one_by_one: bool = False,
) -> ChunkResult:
    locked = ImportBatch.objects.select_for_update().only("rows_done", "state").get(pk=batch_id)
    if locked.rows_done != start or locked.state != ImportState.RUNNING:
        raise ImportTakenOver
    bulk.tune_transaction()
    result = _one_by_one(importer, prepared) if one_by_one else importer.process(prepared)
    save_failures(batch_id, result.failures)
    if pause:
        time.sleep(pause)
    ImportBatch.objects.filter(pk=batch_id).update(
        rows_done=prepared.outcomes[-1].number,  # blank rows have numbers too: read_rows' start
        created=F("created") + result.count("created"),
        updated=F("updated") + result.count("updated"),
        unchanged=F("unchanged") + result.count("unchanged"),
        failed=F("failed") + result.count("failed"),
        heartbeat_at=timezone.now(),
    )
    return result


def _one_by_one(importer: Importer, prepared: Prepared) -> ChunkResult:
    result = ChunkResult()
    item_at = {slot: at for at, slot in enumerate(prepared.slots)}
    for slot, outcome in enumerate(prepared.outcomes):
        single = Prepared(outcomes=[outcome])
        if slot in item_at:
            single.items, single.slots = [prepared.items[item_at[slot]]], [0]
        try:
            with transaction.atomic():
                part = importer.process(single)
        except (IntegrityError, DataError) as exc:
            failed = RowOutcome(outcome.number, outcome.cells, None, [], "failed")
            failed.problems = [f"The database refused this row: {str(exc).splitlines()[0]}"]
            part = ChunkResult(outcomes=[failed])
        result.outcomes += part.outcomes
        result.new_words |= part.new_words
    return result


def save_failures(batch_id: int, failures: list[RowOutcome]) -> None:
    ImportFailure.objects.bulk_create(
        [
            ImportFailure(
                batch_id=batch_id,
                row_number=outcome.number,
                cells=list(outcome.cells),
                reason=" ".join(outcome.problems),
            )
            for outcome in failures
        ],
        batch_size=1000,
    )


def _counts(batch: ImportBatch) -> dict[str, int | None]:
    return {
        "rows": batch.rows_done,
        "created": batch.created,
        "updated": batch.updated,
        "unchanged": batch.unchanged,
        "failed": batch.failed,
    }


@transaction.atomic
def _finish(batch: ImportBatch, done: int) -> ImportBatch:
    finished = ImportBatch.objects.filter(
        pk=batch.pk, state=ImportState.RUNNING, rows_done=done
    ).update(state=ImportState.FINISHED, finished_at=timezone.now(), heartbeat_at=timezone.now())
    batch.refresh_from_db()
    if finished:
        if batch.tag_id is not None:
            tag_services.refresh_usage_counts(
                batch.office, tags=Tag.objects.filter(pk=batch.tag_id)
            )
        audit.record(
            batch.started_by, "import.finished", batch, office=batch.office, changes=_counts(batch)
        )
    return batch


@transaction.atomic
def _stop(batch: ImportBatch, message: str) -> ImportBatch:
    """The file cannot be read (any further): what was imported stays, the batch fails."""
    ImportBatch.objects.filter(pk=batch.pk).update(
        state=ImportState.FAILED, error=message[:2000], finished_at=timezone.now()
    )
    batch.refresh_from_db()
    changes = {**_counts(batch), "error": message[:500]}
    audit.record(batch.started_by, "import.finished", batch, office=batch.office, changes=changes)
    return batch
