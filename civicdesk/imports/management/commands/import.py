"""`civicdesk import ...`: import people from a file here and now, and look after imports.

    civicdesk import people FILE --office SLUG --mapping PRESET_OR_FILE [--tag NAME]
                            [--match external_id,email] [--by EMAIL]
                            [--header | --no-header] [--delimiter TAB] [--encoding cp1252]
    civicdesk import run-batch BATCH_ID     # run (or go on with) a batch in this process
    civicdesk import resume BATCH_ID        # queue a stalled or failed batch for the worker
    civicdesk import failures BATCH_ID [--output FILE]   # its failed rows, as CSV

`people` runs the same pipeline as the background job, in this process: it prints the file's
detected shape, a progress line on stderr, and ends with the line
`created=N updated=N unchanged=N failed=N`.
"""

import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicdesk.accounts.models import Membership, Office
from civicdesk.core.errors import DomainError
from civicdesk.imports import services
from civicdesk.imports.models import DEFAULT_MATCH_RULES, ImportBatch, ImportState, MatchRule
from civicdesk.jobs.services import claim_job
from civicdesk.tabular.mapping import PRESETS, MappingError, load_mapping
from civicdesk.tabular.reading import FileShape

DELIMITERS = {"tab": "\t", "\\t": "\t", "comma": ",", "pipe": "|", "semicolon": ";"}
DELIMITER_NAMES = {"\t": "tab", ",": "comma", "|": "pipe", ";": "semicolon"}


def describe(shape: FileShape) -> str:
    """ "CSV, utf-8, tab-delimited, with a header, 71 columns"."""
    if shape.format == "xlsx":
        parts = ["XLSX", f"sheet {shape.sheet!r}" if shape.sheet else "first sheet"]
    else:
        delimiter = DELIMITER_NAMES.get(shape.delimiter, repr(shape.delimiter))
        parts = ["CSV", shape.encoding, f"{delimiter}-delimited"]
    parts.append("with a header" if shape.has_header else "no header")
    parts.append(f"{len(shape.columns)} columns")
    return ", ".join(parts)


def phases(timings: dict[str, float]) -> str:
    """ "read 1.2, map 3.4, ...": the chunk transaction's own share is what its phases leave."""
    inner = ("match", "apply", "place", "search", "write")
    shown = dict(timings)
    if "transaction" in shown:
        shown["commit"] = shown.pop("transaction") - sum(shown.get(p, 0.0) for p in inner)
    return ", ".join(f"{phase} {seconds:.1f}" for phase, seconds in shown.items())


class Progress:
    """The progress line on stderr: rewritten in place on a terminal, a line every few
    seconds otherwise."""

    def __init__(self, stream):
        self.stream = stream
        self.is_tty = stream.isatty()
        self.started = time.monotonic()
        self.last = 0.0
        self.first_done: int | None = None
        self.printed: int | None = None

    def __call__(self, done: int, total: int | None = None, *, force: bool = False) -> None:
        now = time.monotonic()
        if self.first_done is None:
            self.first_done, self.started = done, now
        if done in (self.first_done, self.printed) or (
            not force and now - self.last < (0.5 if self.is_tty else 5)
        ):
            return
        self.last, self.printed = now, done
        rate = (done - self.first_done) / max(now - self.started, 1e-6)
        share = f" ({100 * done // total}%)" if total else ""
        line = (
            f"{done:,} of {total:,} rows{share}, {rate:,.0f} rows/s" if total else f"{done:,} rows"
        )
        if self.is_tty:
            self.stream.write(f"\r{line}   ")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def end(self) -> None:
        if self.is_tty:
            self.stream.write("\n")
            self.stream.flush()


class Command(BaseCommand):
    help = "Import people from a CSV, TSV or XLSX file; run, resume and inspect import batches."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        people = sub.add_parser("people", help="Import people from a file into an office.")
        people.add_argument("file", help="The CSV, TSV, pipe-delimited or XLSX file.")
        people.add_argument("--office", required=True, help="The office's slug.")
        people.add_argument(
            "--mapping",
            required=True,
            help=f"A preset ({', '.join(PRESETS)}) or a JSON file of a column mapping.",
        )
        people.add_argument("--tag", default="", help="Tag every person of the file with this.")
        people.add_argument(
            "--match",
            default="",
            help="Match rules in order, comma-separated (default: "
            f"{','.join(DEFAULT_MATCH_RULES)}); any of {', '.join(MatchRule.values)}.",
        )
        people.add_argument("--by", default="", help="The email of the staff member importing.")
        header = people.add_mutually_exclusive_group()
        header.add_argument("--header", dest="has_header", action="store_const", const=True)
        header.add_argument("--no-header", dest="has_header", action="store_const", const=False)
        people.add_argument(
            "--delimiter", default=None, help="tab, comma, pipe, semicolon or a character."
        )
        people.add_argument("--encoding", default=None, help="utf-8, utf-8-sig, cp1252 or latin-1.")
        people.add_argument("--chunk-size", type=int, default=None, help="Rows per transaction.")

        run = sub.add_parser("run-batch", help="Run a batch here, from its checkpoint on.")
        run.add_argument("batch_id", type=int)
        run.add_argument("--chunk-size", type=int, default=None, help="Rows per transaction.")
        # Seconds to wait inside each chunk's transaction: the resume tests kill workers there.
        run.add_argument("--pause", type=float, default=0.0, help="(testing) wait in each chunk.")

        resume = sub.add_parser("resume", help="Queue a stalled or failed batch for the worker.")
        resume.add_argument("batch_id", type=int)
        resume.add_argument(
            "--force", action="store_true", help="Even if its worker reported recently."
        )

        failures = sub.add_parser("failures", help="Write a batch's failed rows as CSV.")
        failures.add_argument("batch_id", type=int)
        failures.add_argument("--output", default="", help="A file (default: standard output).")

    def handle(self, *, action: str, **options) -> None:
        self.verbosity = options["verbosity"]
        try:
            if action == "people":
                self.import_people(**options)
            elif action == "run-batch":
                batch = _batch(options["batch_id"])
                self.run(batch, chunk_size=options["chunk_size"], pause=options["pause"])
            elif action == "resume":
                batch = _batch(options["batch_id"])
                job = services.resume_batch(batch, by=None, force=options["force"])
                self.stdout.write(
                    f"Import {batch.pk} ({batch.filename}) queued again: it goes on after row "
                    f"{batch.rows_done:,} (job {job.pk})."
                )
            else:
                self.write_failures(_batch(options["batch_id"]), options["output"])
        except DomainError as exc:
            raise CommandError(exc.message) from None

    # ------------------------------------------------------------ people

    def import_people(self, *, file: str, office: str, mapping: str, tag: str, match: str,
                      by: str, has_header, delimiter, encoding, chunk_size, **options) -> None:  # fmt: skip
        office_obj = Office.objects.filter(slug=office).first()
        if office_obj is None:
            raise CommandError(f"No office with slug {office!r}.")
        member = _member(office_obj, by) if by else None
        try:
            chosen = load_mapping(mapping)
        except MappingError as exc:
            raise CommandError(str(exc)) from None
        hint = PRESETS[mapping].shape_hint if mapping in PRESETS else {}
        if has_header is None and "header" in hint:
            has_header = hint["header"]
        if delimiter is None:
            delimiter = hint.get("delimiter")
        delimiter = DELIMITERS.get(delimiter.lower(), delimiter) if delimiter else None
        rules = [rule.strip() for rule in match.split(",") if rule.strip()] if match else None
        if not Path(file).is_file():
            raise CommandError(f"There is no file {file}.")
        batch = services.create_batch(office_obj, by=member, uploaded=Path(file))
        if has_header is not None or delimiter or encoding:
            batch = services.change_shape(
                batch, by=member, has_header=has_header, delimiter=delimiter, encoding=encoding
            )
        self.stdout.write(f"{batch.filename}: {describe(FileShape.from_dict(batch.shape))}")
        services.set_mapping(batch, by=member, mapping=chosen, match_rules=rules, tag_name=tag)
        job = services.start_import(batch, by=member)
        if claim_job(job.pk) is None:
            raise CommandError(f"Job {job.pk} was taken by a worker; see its page for progress.")
        batch.refresh_from_db()
        self.run(batch, chunk_size=chunk_size)

    def run(self, batch: ImportBatch, *, chunk_size: int | None, pause: float = 0.0) -> None:
        if batch.state in (ImportState.UPLOADED, ImportState.MAPPED):
            raise CommandError(f"Import {batch.pk} has not been started; start it first.")
        progress = Progress(sys.stderr)
        batch = services.run_here(batch, progress=progress, chunk_size=chunk_size, pause=pause)
        progress.end()
        if self.verbosity >= 2 and getattr(batch, "timings", None):
            sys.stderr.write(f"seconds by phase: {phases(batch.timings)}\n")
        if batch.failed:
            rows = "1 row" if batch.failed == 1 else f"{batch.failed:,} rows"
            sys.stderr.write(
                f"{rows} failed: `civicdesk import failures {batch.pk}` lists them with the "
                "reason.\n"
            )
        self.stdout.write(batch.summary)
        if batch.state == ImportState.FAILED:
            raise CommandError(batch.error)

    def write_failures(self, batch: ImportBatch, output: str) -> None:
        content = services.failures_csv(batch)
        if output:
            Path(output).write_bytes(content)
            self.stdout.write(
                f"{batch.failures.filter(is_fixed=False).count():,} rows written to {output}"
            )
        else:
            self.stdout.write(content.decode("utf-8-sig"), ending="")


def _batch(batch_id: int) -> ImportBatch:
    batch = ImportBatch.objects.select_related("office").filter(pk=batch_id).first()
    if batch is None:
        raise CommandError(f"No import batch {batch_id}.")
    return batch


def _member(office: Office, email: str) -> Membership:
    member = (
        Membership.objects.select_related("user", "office")
        .filter(office=office, user__email__iexact=email.strip(), is_active=True)
        .first()
    )
    if member is None:
        raise CommandError(f"{email} is not an active member of {office.slug}.")
    return member
