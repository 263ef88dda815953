"""`civicdesk people reindex|assign-districts|geocode --office SLUG`: maintenance of an office's
people, run here and now (the same jobs the worker runs, with their progress recorded).

    civicdesk people reindex --office ward-1            # search text, sort names, typo index
    civicdesk people assign-districts --office ward-1 [--layer ward]   # a name or slug
    civicdesk people geocode --office ward-1            # addresses without a position
"""

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from civicdesk.accounts.models import Office
from civicdesk.constituents import services
from civicdesk.geo.models import DistrictLayer
from civicdesk.jobs.models import JobState
from civicdesk.jobs.services import claim_job, run_claimed_job


class Command(BaseCommand):
    help = "Re-index an office's people for search; put addresses in districts; geocode them."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        for name, text in (
            ("reindex", "Recompute every person's search text and the office's typo index."),
            ("assign-districts", "Put every address into its district of each layer."),
            ("geocode", "Geocode the addresses that have no position yet."),
        ):
            command = sub.add_parser(name, help=text)
            command.add_argument("--office", required=True, help="The office's slug.")
            if name == "assign-districts":
                command.add_argument(
                    "--layer", default="", help="Only this layer (its name or slug)."
                )

    def handle(self, *, action: str, office: str, **options):
        office_obj = Office.objects.filter(slug=office).first()
        if office_obj is None:
            raise CommandError(f"No office with slug {office!r}.")
        if action == "reindex":
            count = services.reindex_people(office_obj)
            self.stdout.write(f"re-indexed {count} people of {office_obj.slug}")
            return
        if action == "assign-districts":
            layer = None
            if options["layer"]:
                layer = _layer(office_obj, options["layer"])
            job = services.start_district_assignment(office_obj, by=None, layer=layer)
        else:
            job = services.start_geocoding(office_obj, by=None)
        claimed = claim_job(job.pk)
        if claimed is None:
            raise CommandError(f"Job {job.pk} was taken by a worker; see its page for progress.")
        finished = run_claimed_job(claimed)
        if finished.state != JobState.SUCCEEDED:
            raise CommandError(f"{finished.title} failed: {finished.error}")
        self.stdout.write(f"{finished.title}: {finished.result}")


def _layer(office: Office, wanted: str) -> DistrictLayer:
    """The office's layer named or slugged `wanted` (either case), or a CommandError listing them."""
    layers = DistrictLayer.objects.for_office(office).order_by("name")
    text = wanted.strip()
    found = list(layers.filter(Q(slug__iexact=text) | Q(name__iexact=text))[:2])
    if len(found) == 1:
        return found[0]
    if found:  # one layer's name is another's slug: the slug wins
        return next((layer for layer in found if layer.slug.lower() == text.lower()), found[0])
    known = ", ".join(f"{layer.name} ({layer.slug})" for layer in layers) or "none yet"
    raise CommandError(f"{office.slug} has no layer {wanted!r}; its layers: {known}.")
