"""`civicdesk demo --seed N`: build a deterministic demo office."""

from django.core.management.base import BaseCommand, CommandError

from civicdesk.accounts.models import Office
from civicdesk.demo.services import build_demo_office


class Command(BaseCommand):
    help = "Build a demo office with realistic data. The same seed always builds the same office."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *, seed: int, **options):
        if Office.objects.filter(slug=f"demo-{seed}").exists():
            raise CommandError(f"The demo office for seed {seed} (demo-{seed}) already exists.")
        result = build_demo_office(seed=seed)
        self.stdout.write(
            f"built demo office {result.office.slug} ({result.office.name}) with {result.staff_count} staff"
        )
