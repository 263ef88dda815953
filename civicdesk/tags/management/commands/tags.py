"""`civicdesk tags seed --office SLUG` (the starter vocabulary) and `civicdesk tags recount`."""

from django.core.management.base import BaseCommand, CommandError

from civicdesk.accounts.models import Office
from civicdesk.tags import services
from civicdesk.tags.demo import seed_vocabulary


class Command(BaseCommand):
    help = "Seed an office's tag vocabulary with a starter set, or recount tag usage."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        seed = sub.add_parser("seed", help="Add the starter vocabulary (safe to run twice).")
        seed.add_argument("--office", required=True, help="The office's short name (slug).")
        recount = sub.add_parser("recount", help="Recount how many records carry each tag.")
        recount.add_argument("--office", help="One office's slug; every office if left out.")

    def handle(self, *, action: str, office: str | None, **options):
        offices = Office.objects.order_by("slug")
        if office is not None:
            offices = offices.filter(slug=office)
            if not offices.exists():
                raise CommandError(f"No office with slug {office!r}.")
        for office_obj in offices:
            if action == "seed":
                tags = seed_vocabulary(office_obj)
                self.stdout.write(f"{office_obj.slug}: {len(tags)} tags in the starter vocabulary")
            else:
                changed = services.refresh_usage_counts(office_obj)
                self.stdout.write(f"{office_obj.slug}: {changed} usage counts corrected")
