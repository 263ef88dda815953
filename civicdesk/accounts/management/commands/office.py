"""`civicdesk office create --name NAME --slug SLUG` and `civicdesk office list`."""

from django.core.management.base import BaseCommand, CommandError

from civicdesk.accounts.models import Office, OfficeKind
from civicdesk.accounts.services import create_office
from civicdesk.core.errors import DomainError


class Command(BaseCommand):
    help = "Create and list offices."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create an office.")
        create.add_argument("--name", required=True)
        create.add_argument(
            "--slug", required=True, help="Short name used by scripts, e.g. ward-3."
        )
        create.add_argument("--kind", choices=OfficeKind.values, default=OfficeKind.OTHER)
        create.add_argument("--jurisdiction", default="")
        create.add_argument("--time-zone", default="UTC")
        sub.add_parser("list", help="One office a line: slug, then name.")

    def handle(self, *, action: str, **options):
        if action == "list":
            for office in Office.objects.order_by("slug"):
                self.stdout.write(f"{office.slug}\t{office.name}\t{office.get_kind_display()}")
            return
        try:
            office = create_office(
                name=options["name"],
                slug=options["slug"],
                kind=options["kind"],
                jurisdiction=options["jurisdiction"],
                time_zone=options["time_zone"],
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"created office {office.slug}")
