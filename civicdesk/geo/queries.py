"""Reads of the geo app: layers, districts, and how many people live in each district."""

import re
from typing import Any

from django.apps import apps
from django.db.models import Count, QuerySet

from civicdesk.core.access import get_for_member

from .models import District, DistrictLayer


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


def feature_collection(layer: DistrictLayer) -> dict[str, Any]:
    """The layer as a GeoJSON FeatureCollection: id, name, code and people per district."""
    counts = people_counts(layer)
    districts = District.objects.filter(layer=layer).only("pk", "name", "code", "geometry")
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": district.pk,
                "geometry": district.geometry,
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
