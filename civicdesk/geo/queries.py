"""Reads of the geo app: layers, districts, how many people live in each district, and the
districts' outlines simplified for maps."""

import re
from typing import Any

from django.apps import apps
from django.core.cache import cache
from django.db.models import Count, QuerySet
from django.http import Http404

from civicdesk.core.access import get_for_member

from .geojson import display_outline
from .models import District, DistrictLayer

# Maps draw districts as context: 0.0001° (about 10 m) is under a pixel at the zoom a ward fills,
# and takes the DC wards from 889 KB of GeoJSON to 19 KB.
OUTLINE_TOLERANCE = 0.0001
OUTLINE_GRID = 0.000001  # degrees, about 10 cm: six decimals are plenty for a drawing
OUTLINE_CACHE_SECONDS = 7 * 24 * 3600


def layer_list(office: Any) -> QuerySet[DistrictLayer]:
    return (
        DistrictLayer.objects.for_office(office)
        .annotate(district_count=Count("districts"))
        .order_by("name", "pk")
    )


def get_layer(member: Any, layer_id: int, *, need: str = "district.view") -> DistrictLayer:
    """One of the member's office's layers: 404 if missing or another office's."""
    return get_for_member(member, DistrictLayer.objects.all(), layer_id, need=need)


def natural_key(text: str) -> list[Any]:
    """ "Ward 2" before "Ward 10"."""
    return [
        (0, int(part), "") if part.isdigit() else (1, 0, part.lower())
        for part in re.split(r"(\d+)", text)
    ]


def district_list(layer: DistrictLayer) -> list[District]:
    """The layer's districts without their shapes, in natural order of name."""
    districts = District.objects.filter(layer=layer).defer("geometry")
    return sorted(districts, key=lambda district: (natural_key(district.name), district.pk))


def people_counts(layer: DistrictLayer) -> dict[int, int]:
    """{district id: people with an address there}. The links belong to the constituents app,
    which sits above this one: it is read by model name, never imported."""
    try:
        links = apps.get_model("constituents", "AddressDistrict")
    except LookupError:
        return {}
    rows = (
        links.objects.filter(office_id=layer.office_id, layer=layer)
        .values("district_id")
        .annotate(people=Count("address__person_id", distinct=True))
    )
    return {row["district_id"]: row["people"] for row in rows}


def feature_collection(layer: DistrictLayer, *, simplified: bool = False) -> dict[str, Any]:
    """The layer as a GeoJSON FeatureCollection: id, name, code and people per district.
    `simplified`: the outlines for drawing (layer_outlines) instead of the stored shapes."""
    counts = people_counts(layer)
    districts = District.objects.filter(layer=layer)
    if simplified:
        outlines = layer_outlines(layer)
        districts = districts.only("pk", "name", "code")
    else:
        districts = districts.only("pk", "name", "code", "geometry")
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": district.pk,
                "geometry": outlines[district.pk] if simplified else district.geometry,
                "properties": {
                    "id": district.pk,
                    "name": district.name,
                    "code": district.code,
                    "people": counts.get(district.pk, 0),
                },
            }
            for district in sorted(districts, key=lambda d: (natural_key(d.name), d.pk))
        ],
    }


# ---------------------------------------------------------------- outlines for maps


def layer_version(layer: DistrictLayer) -> str:
    """Changes with every import of the layer (its districts are replaced, with new ids)."""
    return f"{layer.imported_at.timestamp():.6f}" if layer.imported_at else "0"


def layer_outlines(layer: DistrictLayer) -> dict[int, dict[str, Any]]:
    """{district id: its shape simplified for drawing (a GeoJSON geometry)} for every district
    of the layer: computed once per import of the layer, then read from the cache. (A layer
    made without an import has no version to key it by, so it is never cached.)"""
    key = f"geo:outlines:{layer.pk}:{layer_version(layer)}"
    outlines = cache.get(key) if layer.imported_at else None
    if outlines is None:
        rows = District.objects.filter(layer=layer).values_list("pk", "geometry")
        outlines = {
            pk: display_outline(geometry, tolerance=OUTLINE_TOLERANCE, grid=OUTLINE_GRID)
            for pk, geometry in rows
        }
        if layer.imported_at:
            cache.set(key, outlines, OUTLINE_CACHE_SECONDS)
    return outlines


def district_outline(layer: DistrictLayer, district_id: int) -> dict[str, Any]:
    """One district of the layer as a GeoJSON Feature with its simplified outline; 404 when the
    layer has no such district."""
    outline = layer_outlines(layer).get(district_id)
    if outline is None:
        raise Http404
    return {"type": "Feature", "id": district_id, "geometry": outline, "properties": {}}
