"""Bringing staged records into the office's data: each record type in the format's order,
through its handler (handlers/), 500 records a transaction. Should a record fail, its chunk is
done again with a savepoint per record, so that one bad record never half-writes nor stops the
others. Safe to run again: a record brought in is never brought in twice, and a record waiting
for its parent is tried again."""

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from civicdesk.accounts.models import Membership, Office
from civicdesk.constituents import services as constituent_services
from civicdesk.constituents.models import ExternalId, Person
from civicdesk.core.errors import DomainError
from civicdesk.tags import services as tag_services
from civicdesk.tags.models import Tag, normalize

from .handlers import HANDLERS, Outcome, Result
from .layout import ORDER
from .models import InterchangeRun, StagedRecord
from .reading import Oddity
from .report import Report

logger = logging.getLogger(__name__)

CMS_SYSTEM = "cms"  # ExternalId.system of a person's House CMS constituent id
CODES_PARENT = "CMS codes"  # the tag under which codes of the 8A table become tags
CHUNK = 500
UPDATE_TRACKED = (
    f"UPDATE {StagedRecord._meta.db_table} SET note = %s, object_type = %s, "  # noqa: S608
    "object_id = %s, brought_in_at = %s, updated_at = %s WHERE id = %s"
)
REINDEX_ABOVE = 200  # and a quarter of the office: rebuild its search index in one go


class BringIn:
    """What handlers see: the office, the actor, the clock, the report, and lookups shared by
    all handlers (people by constituent id, what a record became, tags of codes, staff)."""

    def __init__(self, office: Office, *, by: Membership | None, report: Report, run=None):
        self.office, self.by, self.report, self.run = office, by, report, run
        self.now = timezone.now()
        self.tz = ZoneInfo(office.time_zone or "UTC")
        self.touched_people: set[int] = set()
        self.touched_tags: set[int] = set()
        self.record: StagedRecord | None = None  # the record being brought in
        self._people: dict[str, int] | None = None
        self._linked: dict[str, dict[str, int]] = {}  # record type -> key -> object id
        self._codes: dict[str, set[int]] | None = None
        self._members: dict[str, Membership | None] | None = None
        self._cache: dict[Any, Any] = {}
        self._changed: list[StagedRecord] = []
        self._later: list[Callable[[Report], None]] = []  # for the report, once the chunk is in

    # ------------------------------------------------------------ people

    def _person_ids(self) -> dict[str, int]:
        if self._people is None:
            rows = ExternalId.objects.for_office(self.office).filter(system=CMS_SYSTEM)
            self._people = dict(rows.values_list("value", "person_id"))
        return self._people

    def person_id(self, constituent_id: str) -> int | None:
        return self._person_ids().get(constituent_id)

    def person(self, constituent_id: str, *, loaded: bool = True) -> Person | None:
        """The person with this CMS constituent id; with `loaded=False`, a stand-in holding
        only the id (enough to link a record to the person, without a query)."""
        person_id = self.person_id(constituent_id)
        if person_id is None:
            return None
        if not loaded:
            return Person(pk=person_id, office_id=self.office.pk)
        return Person.objects.for_office(self.office).filter(pk=person_id).first()

    def add_person(self, constituent_id: str, **fields: Any) -> Person:
        """A new person with the CMS constituent id as their ExternalId("cms")."""
        person = Person.objects.create(office=self.office, created_by=self.by, **fields)
        ExternalId.objects.create(
            office=self.office, person=person, system=CMS_SYSTEM, value=constituent_id
        )
        self._person_ids()[constituent_id] = person.pk
        self.touched_people.add(person.pk)
        return person

    # ------------------------------------------------------------ what records became

    def linked(self, record_type: str, key: str) -> int | None:
        """The id of what the record of this type and key became (its newest version). The
        links of a type are read once, in one query, the first time one is asked for."""
        links = self._linked.get(record_type)
        if links is None:
            rows = (
                StagedRecord.objects.filter(
                    office=self.office, record_type=record_type, object_id__isnull=False
                )
                .order_by("pk")
                .values_list("key", "object_id")
            )
            links = self._linked[record_type] = dict(rows.iterator(chunk_size=5000))
        return links.get(key)

    def linked_object(self, model: Any, record_type: str, key: str) -> Any:
        object_id = self.linked(record_type, key)
        if object_id is None:
            return None
        return model.objects.filter(office=self.office, pk=object_id).first()

    def remember(self, record: StagedRecord, obj: Any) -> None:
        if record.record_type in self._linked:
            self._linked[record.record_type][record.key] = obj.pk

    def flush(self) -> None:
        """Write down what came of the records brought in since the last flush (in one
        statement: the handlers' own writes are done one by one already), and put what they
        found in the report."""
        if self._changed:
            # executemany: bulk_update's CASE expressions took as long as the handlers.
            adapt = connection.ops.adapt_datetimefield_value
            rows = [
                (r.note, r.object_type, r.object_id, adapt(r.brought_in_at), adapt(r.updated_at),
                 r.pk)
                for r in self._changed
            ]  # fmt: skip
            with connection.cursor() as cursor:
                cursor.executemany(UPDATE_TRACKED, rows)
            self._changed = []
        for note_down in self._later:
            note_down(self.report)
        self._later = []

    def forget(self) -> None:
        """After a savepoint took back what a handler wrote: drop what the caches learnt."""
        self.flush()
        self._people, self._codes, self._members = None, None, None
        self._linked.clear()
        self._cache.clear()

    def reset(self) -> None:
        """After a chunk's transaction was rolled back: nothing of it happened."""
        self._changed, self._later = [], []
        self.forget()

    def keep(self, key: Any, value: Any) -> None:
        self._cache[key] = value

    def cached(self, key: Any, make: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    # ------------------------------------------------------------ codes and tags

    def codes_parent(self) -> Tag:
        def find_or_make() -> Tag:
            found = Tag.objects.for_office(self.office).filter(
                parent=None, normalized=normalize(CODES_PARENT)
            )
            return found.first() or tag_services.create_tag(
                self.office,
                name=CODES_PARENT,
                description="Codes brought in from a House CMS export (its 8A code table).",
                by=self.by,
            )

        return self.cached("codes-parent", find_or_make)

    def live_tag(self, tag_id: int | None) -> Tag | None:
        """The tag, or the one it was merged into; None when it is gone."""
        seen: set[int] = set()
        while tag_id is not None and tag_id not in seen:
            seen.add(tag_id)
            tag = Tag.objects.for_office(self.office).filter(pk=tag_id).first()
            if tag is None or tag.merged_into_id is None:
                return tag
            tag_id = tag.merged_into_id
        return None

    def tag_named(self, name: str) -> Tag | None:
        """A current tag of the office with this name (any place in the vocabulary)."""
        matches = Tag.objects.for_office(self.office).filter(
            normalized=normalize(name)[:100], is_deprecated=False
        )
        return matches.order_by("path", "pk").first()

    def make_tag(self, name: str, description: str) -> Tag:
        """The office's tag of this name, else a new one under "CMS codes"."""
        existing = self.tag_named(name)
        if existing is not None:
            return existing
        try:
            return tag_services.create_tag(
                self.office,
                name=name[:100],
                parent=self.codes_parent(),
                description=description,
                by=self.by,
            )
        except (tag_services.TagNameTaken, tag_services.TagInvalid):
            # A deprecated tag or an alias has the name, or the name has no letter: the code
            # keeps a name of its own.
            return tag_services.create_tag(
                self.office,
                name=f"{name[:80]} ({description.rsplit(' ', 1)[-1]})",
                parent=self.codes_parent(),
                description=description,
                by=self.by,
            )

    def _code_index(self) -> dict[str, set[int]]:
        """Code -> the tags of the 8A rows with that code (whatever their code type)."""
        if self._codes is None:
            self._codes = {}
            rows = StagedRecord.objects.filter(
                office=self.office, record_type="8A", object_id__isnull=False
            ).values_list("fields", "object_id")
            for fields, tag_id in rows:
                self._codes.setdefault(str(fields.get("Code", "")), set()).add(tag_id)
        return self._codes

    def code_linked(self, code: str, tag: Tag) -> None:
        self._code_index().setdefault(code, set()).add(tag.pk)

    def tag_for(self, code_type: str, code: str) -> Tag:
        """The tag a code stands for: through the 8A table (by code type and code, else by the
        code alone when only one type has it); a code missing from 8A becomes a tag named
        after the code (reported)."""
        known = self._cache.get(("tag", code_type, code))
        if known is not None:
            self.touched_tags.add(known.pk)
            return known
        tag = None
        if code_type:
            tag = self.live_tag(self.linked("8A", f"{code_type}:{code}"))
        if tag is None:
            candidates = self._code_index().get(code, set())
            if len(candidates) == 1:
                tag = self.live_tag(next(iter(candidates)))
        if tag is None:

            def missing() -> Tag:
                self.odd("code not in 8A", f"code {code} is not in the 8A code table: tag “{code}”")
                return self.make_tag(code, f"House CMS code {code_type} {code}".replace("  ", " "))

            tag = self.cached(("code", code_type, code), missing)
        self._cache[("tag", code_type, code)] = tag
        self.touched_tags.add(tag.pk)
        return tag

    # ------------------------------------------------------------ staff and dates

    def member_named(self, name: str) -> Membership | None:
        """The office's active member whose name or email is `name` (any case), if one."""
        if self._members is None:
            self._members = {}
            members = Membership.objects.for_office(self.office).active().select_related("user")
            for member in members:
                for label in (member.user.full_name, member.user.email):
                    if label:
                        self._members.setdefault(label.strip().lower(), member)
        return self._members.get((name or "").strip().lower())

    def at(self, day: dt.date | None) -> dt.datetime | None:
        """Midnight of a day in the office's time zone."""
        if day is None:
            return None
        return dt.datetime.combine(day, dt.time(), tzinfo=self.tz)

    def today(self) -> dt.date:
        return timezone.localtime(self.now, self.tz).date()

    # ------------------------------------------------------------ reporting

    def odd(self, kind: str, message: str) -> None:
        """An oddity of the record being brought in."""
        record = self.record
        file, line = (record.source_file, record.line_number) if record else ("", None)
        oddity = Oddity(file, line, kind, message)
        self._later.append(lambda report: report.odd(oddity))

    def count(self, record_type: str, what: str, n: int = 1) -> None:
        self._later.append(lambda report: report.count(record_type, what, n))

    def orphan(self, constituent_id: str) -> Result:
        """The record names a constituent with no 1A or 1B record: it waits, staged."""
        if self.record is not None:
            record_type = self.record.record_type

            def note_down(report: Report) -> None:
                types = report.orphans.setdefault(constituent_id, [])
                if record_type not in types:
                    types.append(record_type)

            self._later.append(note_down)
        return Result.deferred(f"constituent {constituent_id} has no 1A or 1B record")

    # ------------------------------------------------------------ one record

    def bring(self, handler: Callable, record: StagedRecord, *, careful: bool = False) -> str:
        """Run the handler on one record and write down what came of it. `careful`: in a
        savepoint of its own, so that a failure is the record's only (else the failure goes
        up, and the caller does the chunk again, carefully)."""
        self.record = record
        if not careful:
            return self._outcome(record, Result.of(handler(self, record)))
        try:
            with transaction.atomic():
                result = Result.of(handler(self, record))
        except (DomainError, ValidationError) as exc:
            message = getattr(exc, "message", None) or "; ".join(getattr(exc, "messages", []))
            result = Result.skipped(str(message or exc)[:250])
            self.forget()  # the savepoint took back what the handler wrote: so do the caches
        except Exception as exc:
            # A bug or a value the database refuses: the record stays staged and says so; the
            # log names the record, never its contents.
            logger.exception("interchange: %s %s could not be brought in", record.record_type,
                             record.pk)  # fmt: skip
            result = Result.skipped(f"could not be brought in ({type(exc).__name__})")
            self.forget()
        return self._outcome(record, result)

    def _outcome(self, record: StagedRecord, result: Result) -> str:
        fields = []
        if record.note != result.note[:300]:
            record.note = result.note[:300]
            fields.append("note")
        if result.obj is not None:
            self.remember(record, result.obj)
            if (record.object_type, record.object_id) != (
                result.obj._meta.label_lower,
                result.obj.pk,
            ):
                record.object_type = result.obj._meta.label_lower
                record.object_id = result.obj.pk
                fields += ["object_type", "object_id"]
        if result.outcome == Outcome.IMPORTED:
            record.brought_in_at = self.now
            fields.append("brought_in_at")
        if fields:  # a record tried again to no avail is left as it was
            record.updated_at = timezone.now()
            self._changed.append(record)
        if result.outcome == Outcome.SKIPPED:
            self.odd("not brought in", f"{result.note.rstrip('.')}: kept staged")
        self.record = None
        return result.outcome

    def _office_size(self) -> int:
        return Person.objects.for_office(self.office).count()

    def finish(self) -> None:
        """Search fields of the people touched, usage counts of the tags touched."""
        people = sorted(self.touched_people)
        if len(people) > REINDEX_ABOVE and 4 * len(people) >= self._office_size():
            # Most of the office: rebuilding its search index in bulk is the faster way.
            constituent_services.reindex_people(self.office)
        else:
            for person in Person.objects.for_office(self.office).filter(pk__in=people):
                constituent_services.refresh_search_fields(person)
        if self.touched_tags:
            tag_services.refresh_usage_counts(
                self.office, tags=Tag.objects.filter(pk__in=sorted(self.touched_tags))
            )


# ---------------------------------------------------------------- the loop

COUNTED = {
    Outcome.IMPORTED: "imported",
    Outcome.KEPT: "staged",
    Outcome.DEFERRED: "staged",
    Outcome.SKIPPED: "skipped",
}


def _bring_chunk(
    context: BringIn, handler: Callable, chunk: list[StagedRecord]
) -> tuple[list[StagedRecord], list[str]]:
    """Bring in a chunk of records in one transaction. Should one fail, the chunk is rolled
    back and done again with a savepoint per record (savepoints cost two statements a record:
    only when needed)."""
    try:
        with transaction.atomic():
            outcomes = [context.bring(handler, record) for record in chunk]
            context.flush()
    except Exception:
        context.reset()
        chunk = list(StagedRecord.objects.filter(pk__in=[r.pk for r in chunk]).order_by("pk"))
        with transaction.atomic():
            outcomes = [context.bring(handler, record, careful=True) for record in chunk]
            context.flush()
    return chunk, outcomes


def bring_in_staged(
    office: Office,
    *,
    by: Membership | None,
    run: InterchangeRun | None = None,
    report: Report | None = None,
    progress: Callable[[int], None] | None = None,
) -> Report:
    """Bring in every staged record of the office whose type has a handler now, parents first.
    Records of types without one stay staged. With `run`, only the records this run read are
    counted as staged or skipped (those brought in are counted whichever run read them)."""
    report = report or Report(kind="bring_in")
    context = BringIn(office, by=by, report=report, run=run)
    done = 0
    for record_type in ORDER:
        waiting = StagedRecord.objects.filter(
            office=office, record_type=record_type, brought_in_at__isnull=True
        )
        handler = HANDLERS.get(record_type)
        if handler is None:
            counted = waiting.filter(run=run) if run is not None else waiting
            if staged := counted.count():
                report.count(record_type, "staged", staged)
            continue
        last_id = 0
        while True:
            chunk = list(waiting.filter(pk__gt=last_id).order_by("pk")[:CHUNK])
            if not chunk:
                break
            chunk, outcomes = _bring_chunk(context, handler, chunk)
            for record, outcome in zip(chunk, outcomes, strict=True):
                if run is None or record.run_id == run.pk or outcome == Outcome.IMPORTED:
                    report.count(record_type, COUNTED[outcome])
            last_id = chunk[-1].pk
            done += len(chunk)
            if progress:
                progress(done)
    context.finish()
    return report
