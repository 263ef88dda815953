"""`civicdesk geocode import-points|lookup`: the local geocoder's address file, and a test lookup.

    civicdesk geocode import-points addresses.csv --office ward-1 --address-column FULLADDRESS \\
        --lat-column LATITUDE --lon-column LONGITUDE [--postcode-column ZIPCODE]
    civicdesk geocode lookup "1350 Pennsylvania Ave NW" --office ward-1 [--postcode 20004]

`import-points` replaces the office's address points with the file's. `lookup` asks the
providers of CIVICDESK_GEOCODERS in order, as address geocoding does.
"""

from django.core.management.base import BaseCommand, CommandError

from civicdesk.core.errors import DomainError
from civicdesk.geo import services
from civicdesk.geo.geocoding import geocode

from .districts import office_by_slug


class Command(BaseCommand):
    help = "Import the office's address points (the local geocoder); look an address up."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        points = sub.add_parser("import-points", help="Replace the office's address points.")
        points.add_argument("csv_file", metavar="CSV")
        points.add_argument("--office", required=True, help="The office's slug.")
        points.add_argument("--address-column", required=True, help="e.g. FULLADDRESS.")
        points.add_argument("--lat-column", required=True)
        points.add_argument("--lon-column", required=True)
        points.add_argument("--postcode-column", default="")
        lookup = sub.add_parser("lookup", help="Geocode one address with the configured providers.")
        lookup.add_argument(
            "line1", metavar="ADDRESS", help="Street address, e.g. '1350 Pennsylvania Ave NW'."
        )
        lookup.add_argument("--office", required=True)
        lookup.add_argument("--city", default="")
        lookup.add_argument("--region", default="")
        lookup.add_argument("--postcode", default="")
        lookup.add_argument("--country", default="US")

    def handle(self, *, action: str, office: str, **options):
        office_obj = office_by_slug(office)
        if action == "lookup":
            self.lookup(office_obj, **options)
            return
        try:
            with open(options["csv_file"], newline="", encoding="utf-8-sig") as handle:
                result = services.import_address_points(
                    office_obj,
                    handle,
                    address_column=options["address_column"],
                    lat_column=options["lat_column"],
                    lon_column=options["lon_column"],
                    postcode_column=options["postcode_column"],
                    by=None,
                )
        except OSError as exc:
            raise CommandError(
                f"Cannot read {options['csv_file']}: {exc.strerror or exc}."
            ) from exc
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"Imported {result.count} address points into {office_obj.slug} "
            f"(replacing {result.replaced}; skipped {result.skipped} rows without an address "
            "or a lon/lat position)."
        )

    def lookup(self, office, *, line1, city, region, postcode, country, **options):
        found = geocode(
            office, line1=line1, city=city, region=region, postcode=postcode, country=country
        )
        if found is None:
            raise CommandError(f"Not found: {line1}", returncode=1)
        self.stdout.write(
            f"{found.lat:.6f} {found.lon:.6f} ({found.source}: {found.matched_label})"
        )
