"""Scanning an office for duplicate people: read everyone in bulk, learn the field weights from
the office's own data, find the likely pairs, keep the new ones for review, and merge those
above the office's automatic threshold when it set one."""

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from civicdesk import audit
from civicdesk.accounts.models import Membership, Office
from civicdesk.constituents.models import Person
from civicdesk.core.access import require
from civicdesk.dedupe import engine, queries
from civicdesk.dedupe.models import DedupeSettings, DuplicatePair, PairStatus
from civicdesk.dedupe.services.merging import merge
from civicdesk.jobs.models import Job, JobState
from civicdesk.jobs.services import start_job

__all__ = ["SCAN_JOB", "SCAN_STAGES", "ScanResult", "scan_office", "start_scan"]

SCAN_JOB = "dedupe.scan"
# The stages of a scan and the share of its progress bar each takes (percent, from, to).
SCAN_STAGES: dict[str, tuple[int, int]] = {
    "load": (0, 10),
    "compare": (10, 90),  # learning the field weights included: one engine pass
    "store": (90, 95),
    "merge": (95, 100),
}
# With fewer people than this, weights learned would be noise: the stored (or default) ones.
LEARN_AT_LEAST = 50
BATCH = 1000

Progress = Callable[[str, int, int], None]


@dataclass
class ScanResult:
    people: int = 0
    pairs: int = 0  # likely pairs found by this scan
    new: int = 0  # of which not known before
    auto_merged: int = 0

    @property
    def summary(self) -> str:
        """The line the command ends with."""
        return f"pairs={self.pairs} new={self.new} auto_merged={self.auto_merged}"

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def _silent(stage: str, done: int, total: int) -> None:
    return None


def start_scan(office: Office, *, by: Membership | None) -> Job:
    """Start a scan as a background job ("dedupe.scan"); a scan already queued or running is
    returned instead of starting a second one."""
    require(by, "dedupe.configure", office.pk)
    running = (
        Job.objects.for_office(office)
        .filter(kind=SCAN_JOB, state__in=[JobState.QUEUED, JobState.RUNNING])
        .order_by("-created_at")
        .first()
    )
    if running is not None:
        return running
    job = start_job(office, kind=SCAN_JOB, title=_("Look for duplicate people"), by=by)
    audit.record(by, "dedupe.scan_started", job, office=office)
    return job


def _stored_model(settings: DedupeSettings, people: int) -> Any | None:
    """The model to score with when the office is too small to learn from (None: learn now)."""
    if people >= LEARN_AT_LEAST:
        return None
    return engine.Model.from_dict(settings.model) if settings.model else engine.Model.default()


def scan_office(
    office: Office, *, by: Membership | None = None, progress: Progress | None = None
) -> ScanResult:
    """Look for duplicates among all the office's people; see the module's docstring. Pairs
    already decided "not a duplicate" are never proposed again; pending pairs the scan no
    longer finds are dropped. `progress(stage, done, total)` follows SCAN_STAGES."""
    report = progress or _silent
    settings = DedupeSettings.objects.filter(office=office).first() or DedupeSettings(office=office)
    values = queries.person_values(office)
    total = len(values)
    records = []
    for done, pk in enumerate(list(values), start=1):
        records.append(engine.record_from_values(values.pop(pk)))
        if done % 50_000 == 0:
            report("load", done, total)
    report("load", total, total)
    result = ScanResult(people=total)
    model = _stored_model(settings, total)
    learned_at = settings.learned_at if model is not None else timezone.now()
    found = []  # engine.scan learns (when model is None) and finds in one pass
    if len(records) >= 2:
        model, found = engine.scan(
            records,
            model=model,
            threshold=engine.SHIPPED_THRESHOLD,
            progress=lambda done, total: report("compare", done, total),
        )
    elif model is None:
        model = engine.Model.default()
    del records
    now = timezone.now()
    with transaction.atomic():
        result.pairs, result.new = _store_pairs(office, found, now)
        settings.model, settings.learned_at = model.to_dict(), learned_at
        settings.last_scan_at = now
        settings.save()
    report("store", 1, 1)
    result.auto_merged = _auto_merge(office, settings.auto_merge_threshold, report)
    settings.last_scan = result.to_dict()
    settings.save(update_fields=["last_scan"])
    audit.record(by, "dedupe.scanned", None, office=office, changes=result.to_dict(),
                 object_repr=result.summary)  # fmt: skip
    return result


def _explained(pair: Any) -> list[dict]:
    return [
        {"field": score.field, "level": score.level, "weight": round(float(score.weight), 3)}
        for score in pair.fields
    ]


def _store_pairs(office: Office, found: list, now: datetime) -> tuple[int, int]:
    """Keep the pairs found: new ones pending; known open ones rescored; decided ones as they
    are. Returns (pairs found, new ones)."""
    known = {
        (a, b): (pk, status)
        for pk, a, b, status in DuplicatePair.objects.for_office(office)
        .filter(person_a__isnull=False, person_b__isnull=False)
        .values_list("pk", "person_a_id", "person_b_id", "status")
    }
    # People deleted or merged while the scan compared: their pairs are dropped.
    alive = set(Person.objects.for_office(office).values_list("pk", flat=True).iterator(20_000))
    seen: set[tuple[int, int]] = set()
    new, rescored, created = [], [], 0

    def flush() -> None:  # in batches: a million pairs never sit in memory as rows
        DuplicatePair.objects.bulk_create(new, batch_size=BATCH)
        DuplicatePair.objects.bulk_update(rescored, ["probability", "fields"], batch_size=BATCH)
        new.clear()
        rescored.clear()

    for pair in found:
        low, high = sorted((int(pair.a), int(pair.b)))
        if (low, high) in seen or low not in alive or high not in alive:
            continue
        seen.add((low, high))
        if (low, high) not in known:
            created += 1
            new.append(DuplicatePair(
                office=office, person_a_id=low, person_b_id=high, probability=pair.probability,
                fields=_explained(pair), found_at=now,
            ))  # fmt: skip
        elif known[low, high][1] in (PairStatus.PENDING, PairStatus.LATER):
            rescored.append(DuplicatePair(
                pk=known[low, high][0], probability=pair.probability, fields=_explained(pair),
            ))  # fmt: skip
        if len(new) + len(rescored) >= 10 * BATCH:
            flush()
    flush()
    stale = [
        pk
        for key, (pk, status) in known.items()
        if status == PairStatus.PENDING and key not in seen
    ]
    for start in range(0, len(stale), BATCH):
        DuplicatePair.objects.filter(pk__in=stale[start : start + BATCH]).delete()
    # A person deleted since: their open pairs and decisions mean nothing any more.
    DuplicatePair.objects.for_office(office).filter(
        Q(person_a__isnull=True) | Q(person_b__isnull=True)
    ).exclude(status=PairStatus.MERGED).delete()
    return len(seen), created


def _auto_merge(office: Office, threshold: float | None, report: Progress) -> int:
    """Merge the pending pairs at or above the threshold, best first; the older record (lower
    id) survives. A person merged away in this run leaves their other pairs to the next scan."""
    if threshold is None:
        report("merge", 1, 1)
        return 0
    pairs = list(
        DuplicatePair.objects.for_office(office)
        .filter(status=PairStatus.PENDING, probability__gte=threshold)
        .filter(person_a__isnull=False, person_b__isnull=False)
        .order_by("-probability", "id")
        .values_list("person_a_id", "person_b_id")
    )
    gone: set[int] = set()
    for done, (a, b) in enumerate(pairs, start=1):
        if a in gone or b in gone:
            continue
        people = Person.objects.in_bulk([a, b])
        if len(people) == 2:
            merge(people[a], people[b], by=None, automatic=True)
            gone.add(b)
        report("merge", done, len(pairs))
    report("merge", 1, 1)
    return len(gone)
