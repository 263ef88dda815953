"""`civicdesk dedupe scan --office SLUG`: look for duplicate people now, printing the progress
and, last, `pairs=N new=N auto_merged=N`.

`civicdesk dedupe evaluate FILE --truth PAIRS --mapping MAPPING`: run the same detection on a
CSV of people outside any office and print precision, recall and F1 against the true pairs."""

import time

from django.core.management.base import BaseCommand, CommandError

from civicdesk.accounts.models import Office
from civicdesk.dedupe import services
from civicdesk.dedupe.evaluate import EvaluationError, evaluate


class Command(BaseCommand):
    help = "Find duplicate people of an office (scan), or measure detection on a file (evaluate)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        scan = sub.add_parser("scan", help="Scan an office for duplicate people.")
        scan.add_argument("--office", required=True, help="The office's slug.")
        evaluate = sub.add_parser("evaluate", help="Precision, recall and F1 on a labelled CSV.")
        evaluate.add_argument("file", help="A CSV of people.")
        evaluate.add_argument("--truth", required=True, help="A CSV of true duplicate id pairs.")
        evaluate.add_argument(
            "--mapping",
            required=True,
            help="An import mapping (preset or JSON file) naming the id column.",
        )

    def handle(self, *, action: str, **options):
        if action == "scan":
            self.scan(options["office"])
        else:
            self.evaluate(options["file"], options["truth"], options["mapping"])

    def scan(self, slug: str) -> None:
        office = Office.objects.filter(slug=slug).first()
        if office is None:
            raise CommandError(f"No office with slug {slug!r}.")
        started = time.monotonic()
        shown: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            percent = 100 * done // total if total else 100
            if percent - shown.get(stage, -100) >= 25 or (
                percent == 100 and shown.get(stage) != 100
            ):
                shown[stage] = percent
                elapsed = time.monotonic() - started
                self.stdout.write(f"{stage:<8} {percent:>3}%  ({elapsed:.1f} s)")

        result = services.scan_office(office, progress=progress)
        self.stdout.write(f"{result.people} people compared in {time.monotonic() - started:.1f} s")
        self.stdout.write(result.summary)

    def evaluate(self, path: str, truth: str, mapping: str) -> None:
        try:
            evaluate(path, truth, mapping, out=self.stdout)
        except EvaluationError as exc:
            raise CommandError(str(exc)) from exc
