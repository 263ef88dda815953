"""Writes of the geo app (district layers, address points) and point-in-polygon assignment.

`assign_points(layer, lons, lats)` and `assign_point(office, lon, lat)` are what the
constituents app calls to put addresses into districts; it never has to touch shapely.
"""

import csv
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TextIO

import numpy as np
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from shapely.geometry import shape

from civicdesk import audit
from civicdesk.core.errors import NotAllowed
from civicdesk.jobs.registry import JOB_HANDLERS
from civicdesk.jobs.services import start_job

from .errors import AddressFileRefused, LayerNameRequired
from .geocoding import normalize_address
from .geojson import DistrictFile, geometry_json, read_district_file
from .models import AddressPoint, District, DistrictLayer
from .shapes import LayerShapes, keys_to_list

# The constituents app registers this job (its handler calls assign_points for every address).
REASSIGN_JOB = "constituents.assign_districts"


def _require(by: Any, permission: str, office: Any) -> None:
    if by is not None and (by.office_id != office.pk or not by.can(permission)):
        raise NotAllowed("Your role does not allow this.")


# ---------------------------------------------------------------- district layers


@dataclass(frozen=True)
class LayerImport:
    layer: DistrictLayer
    district_count: int
    replaced_count: int  # districts the layer had before; 0 for a new layer
    repaired_count: int  # invalid polygons repaired with make_valid
    is_new: bool
    job: Any  # the re-assignment Job, or None when no handler is installed


def layer_slug(name: str) -> str:
    return slugify(name.strip())[:60]


def import_layer(
    office: Any,
    *,
    name: str,
    source: bytes | str | dict,
    name_property: str,
    code_property: str = "",
    srid: int | None = None,
    filename: str = "",
    by: Any,
) -> LayerImport:
    """Import a GeoJSON district map as the layer `name`, or replace that layer's districts.

    All or nothing: a file with any bad feature is refused (DistrictFileRefused) and nothing
    changes. After the import, addresses are re-assigned by a job, when one is installed.
    """
    _require(by, "district.manage", office)
    slug = layer_slug(name)
    if not slug:
        raise LayerNameRequired(_("A layer needs a name, such as “Ward” or “Voting precinct”."))
    parsed = read_district_file(
        source, name_property=name_property, code_property=code_property, srid=srid
    )
    return _store_layer(
        office,
        name=name.strip()[:100],
        slug=slug,
        parsed=parsed,
        name_property=name_property,
        code_property=code_property,
        filename=filename,
        by=by,
    )


LAYER_FIELDS = ("name", "name_property", "code_property", "source_srid", "source_filename")


@transaction.atomic
def _store_layer(
    office: Any,
    *,
    name: str,
    slug: str,
    parsed: DistrictFile,
    name_property: str,
    code_property: str,
    filename: str,
    by: Any,
) -> LayerImport:
    layer = DistrictLayer.objects.select_for_update().filter(office=office, slug=slug).first()
    is_new = layer is None
    if layer is None:
        layer, before, replaced_count = DistrictLayer(office=office, slug=slug), {}, 0
    else:
        before = audit.snapshot(layer, LAYER_FIELDS)
        replaced_count = layer.districts.count()
        layer.districts.all().delete()
    layer.name, layer.name_property, layer.code_property = name, name_property, code_property
    layer.source_srid, layer.source_filename = parsed.source_srid, filename[:200]
    layer.imported_at = timezone.now()
    layer.save()
    District.objects.bulk_create(
        [_district(layer, district) for district in parsed.districts], batch_size=200
    )
    changes = audit.changes_between(before, audit.snapshot(layer, LAYER_FIELDS))
    changes["districts"] = [None if is_new else replaced_count, len(parsed.districts)]
    action = "district_layer.imported" if is_new else "district_layer.replaced"
    audit.record(by, action, layer, office=office, changes=changes)
    forget_layer_shapes(layer.pk)
    return LayerImport(
        layer=layer,
        district_count=len(parsed.districts),
        replaced_count=replaced_count,
        repaired_count=parsed.repaired_count,
        is_new=is_new,
        job=start_reassignment(layer, by=by),
    )


def _district(layer: DistrictLayer, district: Any) -> District:
    min_lon, min_lat, max_lon, max_lat = district.geometry.bounds
    return District(
        office_id=layer.office_id,
        layer=layer,
        name=district.name,
        code=district.code,
        geometry=geometry_json(district.geometry),
        properties=district.properties,
        min_lon=min_lon,
        min_lat=min_lat,
        max_lon=max_lon,
        max_lat=max_lat,
    )


def start_reassignment(layer: DistrictLayer, *, by: Any) -> Any:
    """Queue the job that puts every address of the office into this layer's districts, if
    the constituents app has registered it; None otherwise."""
    if REASSIGN_JOB not in JOB_HANDLERS:
        return None
    return start_job(
        layer.office,
        kind=REASSIGN_JOB,
        title=_("Assign addresses to the districts of “%(layer)s”") % {"layer": layer.name},
        by=by,
        params={"layer_id": layer.pk},
    )


@transaction.atomic
def delete_layer(layer: DistrictLayer, *, by: Any) -> None:
    """Delete a layer, its districts and every address's link to them."""
    _require(by, "district.manage", layer.office)
    count = layer.districts.count()
    audit.record(
        by, "district_layer.deleted", layer, office=layer.office, changes={"districts": [count, 0]}
    )
    layer_id = layer.pk
    layer.delete()
    forget_layer_shapes(layer_id)


# ---------------------------------------------------------------- point in polygon

MAX_CACHED_LAYERS = 32
_shapes: OrderedDict[int, tuple[str, LayerShapes]] = OrderedDict()
_shapes_lock = threading.Lock()


def _version(layer: DistrictLayer) -> str:
    return layer.imported_at.isoformat() if layer.imported_at else ""


def layer_shapes(layer: DistrictLayer) -> LayerShapes:
    """The layer's prepared polygons, loaded once per process and kept until the layer is
    re-imported (a new `imported_at`) or deleted. Shared by threads; never mutated."""
    version = _version(layer)
    with _shapes_lock:
        cached = _shapes.get(layer.pk)
        if cached is not None and cached[0] == version:
            _shapes.move_to_end(layer.pk)
            return cached[1]
    rows = list(
        District.objects.filter(layer_id=layer.pk).order_by("pk").values_list("pk", "geometry")
    )
    loaded = LayerShapes([pk for pk, _ in rows], [shape(geometry) for _, geometry in rows])
    with _shapes_lock:
        _shapes[layer.pk] = (version, loaded)
        _shapes.move_to_end(layer.pk)
        while len(_shapes) > MAX_CACHED_LAYERS:
            _shapes.popitem(last=False)
    return loaded


def forget_layer_shapes(layer_id: int) -> None:
    with _shapes_lock:
        _shapes.pop(layer_id, None)


def assign_points(
    layer: DistrictLayer, lons: np.ndarray | Sequence[float], lats: np.ndarray | Sequence[float]
) -> list[int | None]:
    """The id of the district of `layer` each point (longitude, latitude) falls in; None for a
    point outside every district or with a missing (NaN) coordinate.

    A point on a boundary gets one of the districts it touches, never None. Vectorised, with
    the layer's prepared shapes cached per process: several million points a second on one
    core (bench/bench_districts.py).
    """
    return keys_to_list(layer_shapes(layer).keys_at(lons, lats))


def assign_point(office: Any, lon: float, lat: float) -> dict[int, District | None]:
    """{layer id: the district the point falls in, or None} for every layer of the office."""
    layers = list(DistrictLayer.objects.for_office(office).order_by("name", "pk"))
    found = {layer.pk: assign_points(layer, [lon], [lat])[0] for layer in layers}
    districts = District.objects.defer("geometry").in_bulk(
        [district_id for district_id in found.values() if district_id is not None]
    )
    return {
        layer_id: None if district_id is None else districts[district_id]
        for layer_id, district_id in found.items()
    }


# ---------------------------------------------------------------- address points (local geocoder)


@dataclass(frozen=True)
class AddressPointImport:
    count: int
    skipped: int  # rows without an address or a usable position
    replaced: int  # the office's points before the import


def _coordinate(text: str | None, limit: float) -> float | None:
    try:
        value = float((text or "").strip())
    except ValueError:
        return None
    return value if -limit <= value <= limit else None


@transaction.atomic
def import_address_points(
    office: Any,
    csv_file: TextIO,
    *,
    address_column: str,
    lat_column: str,
    lon_column: str,
    postcode_column: str = "",
    by: Any,
) -> AddressPointImport:
    """Replace the office's address points (the local geocoder's source) with a CSV file's:
    an admin's setting-up of the office, like its district maps."""
    _require(by, "district.manage", office)
    reader = csv.DictReader(csv_file)
    wanted = [
        address_column,
        lat_column,
        lon_column,
        *([postcode_column] if postcode_column else []),
    ]
    missing = [column for column in wanted if column not in (reader.fieldnames or [])]
    if missing:
        raise AddressFileRefused(
            f"The file has no column {', '.join(map(repr, missing))}; "
            f"its columns are: {', '.join(reader.fieldnames or []) or 'none'}."
        )
    replaced = AddressPoint.objects.for_office(office).delete()[0]
    count = skipped = 0
    batch: list[AddressPoint] = []
    for row in reader:
        label = (row[address_column] or "").strip()
        lat, lon = _coordinate(row[lat_column], 90), _coordinate(row[lon_column], 180)
        normalized = normalize_address(label)
        if not normalized or lat is None or lon is None:
            skipped += 1
            continue
        postcode = (row[postcode_column] or "").strip()[:20] if postcode_column else ""
        batch.append(
            AddressPoint(
                office=office,
                normalized=normalized[:300],
                label=label[:300],
                postcode=postcode,
                latitude=lat,
                longitude=lon,
            )
        )
        count += 1
        if len(batch) == 5000:
            AddressPoint.objects.bulk_create(batch)
            batch = []
    AddressPoint.objects.bulk_create(batch)
    if skipped and not count:
        raise AddressFileRefused(
            f"None of the {skipped} rows has an address and a longitude/latitude position "
            f"(columns {lat_column!r} and {lon_column!r} must be decimal degrees)."
        )
    audit.record(
        by,
        "address_points.imported",
        None,
        office=office,
        changes={"count": [replaced, count], "skipped": [None, skipped]},
        object_repr=_("Address points"),
    )
    return AddressPointImport(count=count, skipped=skipped, replaced=replaced)
