"""Importing a House CMS export: every line into the staging table (documents copied into
storage), then every staged record whose type has a handler into the office's data.

Reading a line twice changes nothing: a line is stored once (by its fingerprint), and a line
already brought in is counted as unchanged. Work is done in chunks, each in a transaction; a
run that dies half-way is finished by running it again."""

import hashlib
import json
import secrets
from collections.abc import Callable, Iterable

from django.core.files import File
from django.db import transaction

from civicdesk.accounts.models import Membership, Office
from civicdesk.casework.documents import extension

from .bringing import CMS_SYSTEM, bring_in_staged
from .layout import DOCUMENT_FIELDS, ORDER
from .models import InterchangeRun, StagedRecord
from .reading import ExportFolder, Line, Oddity
from .report import Report

CHUNK = 500


def fingerprint(line: Line) -> str:
    payload = json.dumps([line.record_type, line.key, line.fields], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def _chunks(items: Iterable[Line | Oddity], report: Report) -> Iterable[list[Line]]:
    chunk: list[Line] = []
    for item in items:
        if isinstance(item, Oddity):
            report.odd(item)
            if item.kind == "blank line":
                continue  # not a record
            report.count(item.file.split(".")[0].upper(), "read")
            report.count(item.file.split(".")[0].upper(), "skipped")
            continue
        for oddity in item.oddities:
            report.odd(oddity)
        chunk.append(item)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class Stager:
    """Puts the lines of one export into the staging table."""

    def __init__(self, office: Office, folder: ExportFolder, run: InterchangeRun, report: Report):
        self.office, self.folder, self.run, self.report = office, folder, run, report
        self.referenced: dict[str, set[str]] = {}  # constituent id -> record types naming it

    def _attach(self, row: StagedRecord, line: Line) -> None:
        """Copy the file the record names into storage; report it when it is not there."""
        shown, path = self.folder.find_document(line.document)
        if path is None:
            self.report.odd(Oddity(line.source_file, line.number, "document missing",
                                   f"{shown} not found"))  # fmt: skip
            self.report.documents["missing"] += 1
            return
        with path.open("rb") as handle:
            # A random name in storage, as casework's documents: the name may say what it is about.
            row.document.save(f"{secrets.token_hex(12)}{extension(path.name)}", File(handle),
                              save=False)  # fmt: skip
        self.report.documents["copied"] += 1

    @transaction.atomic
    def stage(self, lines: list[Line]) -> None:
        prints = [fingerprint(line) for line in lines]
        existing = {
            (row.record_type, row.fingerprint): row
            for row in StagedRecord.objects.filter(
                office=self.office,
                record_type__in={line.record_type for line in lines},
                fingerprint__in=prints,
            )
        }
        new: list[StagedRecord] = []
        again: list[int] = []
        for line, print_ in zip(lines, prints, strict=True):
            record_type = line.record_type
            self.report.count(record_type, "read")
            constituent_id = str(line.fields.get("Constituent ID", ""))
            if constituent_id:
                self.referenced.setdefault(constituent_id, set()).add(record_type)
            found = existing.get((record_type, print_))
            if found is None:
                row = StagedRecord(
                    office=self.office,
                    record_type=record_type,
                    key=line.key[:255],
                    parent_key=line.key.rpartition(":")[0][:255],
                    fields=line.fields,
                    fingerprint=print_,
                    source_file=line.source_file[:100],
                    line_number=line.number,
                    run=self.run,
                )
                if record_type in DOCUMENT_FIELDS and line.document:
                    self._attach(row, line)
                existing[(record_type, print_)] = row
                new.append(row)
            elif found.pk is None or found.run_id == self.run.pk:
                self.report.odd(Oddity(line.source_file, line.number, "repeated line",
                                       "the same record as an earlier line: read once"))  # fmt: skip
                self.report.count(record_type, "unchanged")
            elif found.brought_in_at is not None:
                self.report.count(record_type, "unchanged")
            else:
                if not found.document and record_type in DOCUMENT_FIELDS and line.document:
                    self._attach(found, line)  # the file may be there this time
                    found.save(update_fields=["document"])
                found.run = self.run
                again.append(found.pk)
        StagedRecord.objects.bulk_create(new, batch_size=CHUNK)
        if again:
            StagedRecord.objects.filter(pk__in=again).update(run=self.run)


def import_folder(
    office: Office,
    folder: ExportFolder,
    *,
    by: Membership | None,
    run: InterchangeRun,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Import an export (see the module's docstring). Returns the report; auditing and the
    run's state are the caller's (services.import_folder)."""
    report = Report(kind="import")
    for oddity in folder.oddities:
        report.odd(oddity)
    lines = folder.line_count()
    total = 2 * lines  # reading, then bringing in
    stager = Stager(office, folder, run, report)
    done = 0
    for chunk in _chunks(folder.lines(), report):
        stager.stage(chunk)
        done += len(chunk)
        if progress:
            progress(done, total)

    def brought(count: int) -> None:
        if progress:
            progress(lines + min(count, lines), total)

    bring_in_staged(office, by=by, run=run, report=report, progress=brought)
    _orphans(office, stager.referenced, report)
    made = report.counts.get("1B", {}).pop("people made", 0)
    if made:
        report.note(
            f"{made} {'people were' if made != 1 else 'person was'} made from 1B addresses: "
            "the export has no 1A record for them, so they have no name yet."
        )
    _shared_addresses(office, run, report)
    report.sort_oddities()
    if progress:
        progress(total, total)
    return report


def _shared_addresses(office: Office, run: InterchangeRun, report: Report) -> None:
    """A note when people of this import share an address: one household, or duplicates?"""
    from civicdesk.constituents.models import Address

    addresses = StagedRecord.objects.filter(
        office=office, run=run, record_type="1B", object_type="constituents.address"
    ).values("object_id")
    people: dict[tuple[str, str], set[int]] = {}
    for line1, postcode, person_id in Address.objects.filter(pk__in=addresses).values_list(
        "line1", "postcode", "person_id"
    ):
        people.setdefault((" ".join(line1.split()), postcode), set()).add(person_id)
    shared = sorted(
        ((where, len(ids)) for where, ids in people.items() if len(ids) > 1),
        key=lambda item: -item[1],
    )
    if shared:
        (line1, postcode), count = shared[0]
        report.note(
            f"{len(shared)} address{'es are' if len(shared) > 1 else ' is'} shared by several "
            f"people of this import ({line1} {postcode}: {count} people): one household, or "
            "the same person twice? The duplicates review can tell."
        )


def _orphans(office: Office, referenced: dict[str, set[str]], report: Report) -> None:
    """Constituent ids that records name but no person has (no 1A nor 1B record)."""
    from civicdesk.constituents.models import ExternalId

    known = set(
        ExternalId.objects.for_office(office)
        .filter(system=CMS_SYSTEM)
        .values_list("value", flat=True)
    )  # fmt: skip
    report.orphans = {
        constituent_id: sorted(types, key=ORDER.index)
        for constituent_id, types in sorted(referenced.items())
        if constituent_id not in known
    }
