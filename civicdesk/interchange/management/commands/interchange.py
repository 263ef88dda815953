"""`civicdesk interchange import DIR --office SLUG`, `civicdesk interchange export DIR --office
SLUG` and `civicdesk interchange bring-in --office SLUG`: the US House CMS Data Interchange
format (docs/interchange.md)."""

from django.core.management.base import BaseCommand, CommandError

from civicdesk.accounts.models import Office
from civicdesk.interchange import services
from civicdesk.interchange.report import Report


class Command(BaseCommand):
    help = "Import or export an office in the US House CMS Data Interchange format."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imports = sub.add_parser("import", help="Import an export: a folder, or a ZIP of one.")
        imports.add_argument("path", metavar="DIR", help="The export's folder (or a .zip).")
        imports.add_argument("--office", required=True, help="The office's short name (slug).")
        exports = sub.add_parser("export", help="Export the office into a new or empty folder.")
        exports.add_argument("path", metavar="DIR", help="The folder to write the export into.")
        exports.add_argument("--office", required=True, help="The office's short name (slug).")
        bring = sub.add_parser(
            "bring-in", help="Bring in staged records whose module exists now (safe to re-run)."
        )
        bring.add_argument("--office", required=True, help="The office's short name (slug).")

    def handle(self, *, action: str, office: str, **options):
        office_obj = Office.objects.filter(slug=office).first()
        if office_obj is None:
            raise CommandError(f"No office with slug {office!r}.")
        try:
            if action == "import":
                run = services.import_folder(office_obj, options["path"], by=None)
            elif action == "export":
                run = services.export_folder(office_obj, options["path"], by=None)
            else:
                self._print(services.bring_in(office_obj, by=None))
                return
        except services.InterchangeRefused as exc:
            raise CommandError(exc.message) from exc
        self._print(Report.from_dict(run.report))

    def _print(self, report: Report) -> None:
        columns = report.columns
        self.stdout.write("type " + "".join(f"{column:>11}" for column in columns))
        for record_type, counts in report.rows():
            self.stdout.write(f"{record_type:<5}" + "".join(f"{n:>11}" for n in counts))
        if report.kind == "export":
            self.stdout.write(f"documents: {report.documents['written']} files")
        elif report.documents:
            self.stdout.write(
                f"documents: {report.documents['copied']} copied, "
                f"{report.documents['missing']} missing"
            )
        lines = report.oddity_lines()
        if lines:
            self.stdout.write(f"oddities ({sum(report.oddity_counts.values())}):")
            for line in lines:
                self.stdout.write(f"  {line}")
            if hidden := report.hidden_oddities():
                self.stdout.write(f"  ... and {hidden} more of the same kinds")
        if sentence := report.orphan_sentence():
            self.stdout.write(f"orphans: {sentence}")
        for note in report.notes:
            self.stdout.write(f"note: {note}")
        self.stdout.write(report.summary())
