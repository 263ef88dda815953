"""`civicdesk districts import|assign-points`: bring in district maps, and check them against data.

    civicdesk districts import ward-2012.geojson --office ward-1 --layer Ward \\
        --name-property NAME --code-property WARD [--srid 26985]
    civicdesk districts assign-points requests.csv --office ward-1 --layer Ward \\
        --lat-column LATITUDE --lon-column LONGITUDE > requests-with-ward.csv
    civicdesk districts assign-points requests.csv --geojson ward-2012.geojson \\
        --name-property NAME --lat-column YCOORD --lon-column XCOORD --points-srid 26985

`assign-points` prints the CSV with a `district` column added (the district's name, empty when
a point is outside every district) and a summary on standard error. With `--geojson` it reads
the map straight from a file, without importing it: a way to check a map against labelled data.
"""

import csv
import os
import sys
from itertools import islice
from pathlib import Path

import numpy as np
from django.core.management.base import BaseCommand, CommandError
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from civicdesk.accounts.models import Office
from civicdesk.core.errors import DomainError
from civicdesk.geo import services
from civicdesk.geo.geojson import WGS84, is_lonlat, read_district_file
from civicdesk.geo.models import District, DistrictLayer
from civicdesk.geo.shapes import OUTSIDE, LayerShapes

CHUNK_ROWS = 100_000


def office_by_slug(slug: str) -> Office:
    office = Office.objects.filter(slug=slug).first()
    if office is None:
        raise CommandError(f"No office with slug {slug!r}.")
    return office


def read_bytes(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc.strerror or exc}.") from exc


def stored_layer(office: Office, name: str) -> DistrictLayer:
    layer = DistrictLayer.objects.for_office(office).filter(slug=services.layer_slug(name)).first()
    if layer is None:
        names = ", ".join(DistrictLayer.objects.for_office(office).values_list("name", flat=True))
        raise CommandError(
            f"{office.slug} has no layer {name!r}; its layers: {names or 'none yet'}."
        )
    return layer


def stop_on_closed_output() -> None:
    """Standard output was closed early (`... | head`): end quietly, as Unix tools do, with the
    status of a SIGPIPE death (141). Python's docs ("Note on SIGPIPE") show the pattern: send
    what is still buffered to /dev/null, so the interpreter's own flush at exit cannot fail."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    raise SystemExit(141)


def to_floats(values: list[str]) -> np.ndarray:
    numbers = np.full(len(values), np.nan)
    for at, value in enumerate(values):
        try:
            numbers[at] = float(value)
        except (TypeError, ValueError):
            continue
    return numbers


class Command(BaseCommand):
    help = "Import district maps (GeoJSON); assign the points of a CSV file to districts."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="Import a GeoJSON file as a layer (or replace it).")
        imp.add_argument("file", help="A GeoJSON FeatureCollection of Polygons/MultiPolygons.")
        imp.add_argument("--office", required=True, help="The office's slug.")
        imp.add_argument("--layer", required=True, help="The layer's name, e.g. Ward.")
        imp.add_argument("--name-property", required=True, help="e.g. NAME, or codes.gss.")
        imp.add_argument("--code-property", default="")
        imp.add_argument(
            "--srid", type=int, help="EPSG code of the file's coordinates when not lon/lat."
        )
        points = sub.add_parser("assign-points", help="Add a district column to a CSV file.")
        points.add_argument(
            "csv_file", metavar="CSV", help="A CSV file with a header row; - for standard input."
        )
        points.add_argument("--lat-column", required=True)
        points.add_argument("--lon-column", required=True)
        points.add_argument(
            "--points-srid", type=int, help="EPSG code of the CSV's coordinates when not lon/lat."
        )
        points.add_argument("--column", default="district", help="Name of the added column.")
        points.add_argument("--office", help="The office's slug (with --layer).")
        points.add_argument("--layer", help="A layer stored in the office.")
        points.add_argument("--geojson", help="Or: a GeoJSON district file, not imported.")
        points.add_argument("--name-property", help="With --geojson: the district name property.")
        points.add_argument(
            "--srid", type=int, help="With --geojson: EPSG code of its coordinates."
        )

    def handle(self, *, action: str, **options):
        try:
            if action == "import":
                self.import_layer(**options)
            else:
                self.assign_points(**options)
                self.stdout.flush()  # a closed pipe shows here, not at the interpreter's exit
        except BrokenPipeError:
            stop_on_closed_output()
        except DomainError as exc:
            raise CommandError(exc.message) from exc

    def import_layer(self, *, file, office, layer, name_property, code_property, srid, **options):
        result = services.import_layer(
            office_by_slug(office),
            name=layer,
            source=read_bytes(file),
            name_property=name_property,
            code_property=code_property,
            srid=srid,
            filename=Path(file).name,
            by=None,
        )
        how = "new layer" if result.is_new else f"replacing {result.replaced_count} districts"
        self.stdout.write(
            f"Imported {result.district_count} districts into layer {result.layer.name!r} "
            f"({result.layer.slug}, {how})."
        )
        if result.layer.source_srid != WGS84:
            self.stdout.write(f"Converted from EPSG:{result.layer.source_srid} to lon/lat.")
        if result.repaired_count:
            self.stdout.write(f"Repaired {result.repaired_count} invalid polygons.")
        if result.job is not None:
            self.stdout.write(f"Re-assigning the office's addresses: job {result.job.pk}.")

    def assign_points(
        self, *, csv_file: str, lat_column, lon_column, points_srid, column, **options
    ):
        shapes, names = self.shapes_and_names(**options)
        handle = sys.stdin if csv_file == "-" else self.open_csv(csv_file)
        counts = {"rows": 0, "positioned": 0, "placed": 0}
        with handle:
            reader = csv.DictReader(handle)
            fields = list(reader.fieldnames or [])
            missing = [name for name in (lat_column, lon_column) if name not in fields]
            if missing:
                raise CommandError(
                    f"The CSV has no column {', '.join(map(repr, missing))}; "
                    f"its columns: {', '.join(fields) or 'none'}."
                )
            writer = csv.DictWriter(
                self.stdout, [*fields, *([column] if column not in fields else [])],
                lineterminator="\n",
            )  # fmt: skip
            self.stdout.ending = ""
            # In chunks, so that a file of millions of rows never sits in memory whole; the
            # first chunk decides whether the coordinates are longitude/latitude.
            while rows := list(islice(reader, CHUNK_ROWS)):
                lons = to_floats([row[lon_column] for row in rows])
                lats = to_floats([row[lat_column] for row in rows])
                lons, lats = self.points_to_lonlat(
                    lons, lats, points_srid, check=not counts["rows"]
                )
                keys = shapes.keys_at(lons, lats)
                if not counts["rows"]:
                    writer.writeheader()
                for row, key in zip(rows, keys.tolist(), strict=True):
                    row[column] = "" if key == OUTSIDE else names[key]
                    writer.writerow(row)
                counts["rows"] += len(rows)
                counts["placed"] += int(np.count_nonzero(keys != OUTSIDE))
                counts["positioned"] += int(np.count_nonzero(np.isfinite(lons) & np.isfinite(lats)))
        if not counts["rows"]:
            writer.writeheader()
        outside = counts["positioned"] - counts["placed"]
        self.stderr.write(
            f"{counts['rows']} rows: {counts['placed']} in a district, {outside} outside every "
            f"district, {counts['rows'] - counts['positioned']} without a position."
        )

    def open_csv(self, path: str):
        try:
            return open(path, newline="", encoding="utf-8-sig")  # noqa: SIM115  (closed by caller)
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}.") from exc

    def shapes_and_names(self, *, office, layer, geojson, name_property, srid, **options):
        if geojson:
            if not name_property:
                raise CommandError("--geojson needs --name-property.")
            parsed = read_district_file(read_bytes(geojson), name_property=name_property, srid=srid)
            names = [district.name for district in parsed.districts]
            geometries = [district.geometry for district in parsed.districts]
            return LayerShapes(range(len(names)), geometries), names
        if not (office and layer):
            raise CommandError("Name a stored layer (--office and --layer) or a --geojson file.")
        stored = stored_layer(office_by_slug(office), layer)
        names = dict(District.objects.filter(layer=stored).values_list("pk", "name"))
        return services.layer_shapes(stored), names

    @staticmethod
    def points_to_lonlat(xs: np.ndarray, ys: np.ndarray, srid: int | None, *, check: bool):
        known = np.isfinite(xs) & np.isfinite(ys)
        if srid in (None, WGS84):
            if check and not is_lonlat(xs[known], ys[known]):
                raise CommandError(
                    "The points' coordinates are not longitude/latitude — name their EPSG "
                    "code with --points-srid (for example 26985 for Maryland State Plane)."
                )
            return xs, ys
        try:
            transformer = Transformer.from_crs(CRS.from_epsg(srid), WGS84, always_xy=True)
        except CRSError as exc:
            raise CommandError(f"EPSG:{srid} is not a coordinate system CivicDesk knows.") from exc
        return transformer.transform(xs, ys)
