"""Where imported addresses are: their position from the office's own address points (the
local geocoder's table, one query per chunk, no network) and their districts, from the file's
district columns or by point in polygon.

A district column names a district of the office's layer with that slug by its name or its
code ("3", "03", "Ward 3" and a code "3" all find Ward 3). When the office has no such layer,
or none of its districts answers to the value, the value is kept as a custom value of the
person under the layer's slug ("ward": "3"), so that lists and segments can still use it.
"""

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings

from civicdesk.geo import services as geo_services
from civicdesk.geo.geocoding import without_unit
from civicdesk.geo.models import AddressPoint, District, DistrictLayer

from . import bulk, text

LOCAL_SOURCE = "local"
NUMBER_AT_END = re.compile(r"([0-9]+)$")


def district_key(value: str) -> str:
    """The form district names, codes and file values are compared in: case and spaces
    ignored, leading zeros of a number dropped ("03" is "3")."""
    text = " ".join(str(value).split()).casefold()
    if text.isascii() and text.isdigit():
        return str(int(text))
    return text


def postcode5(postcode: str) -> str:
    """A US postcode's first five digits; any other postcode without spaces, in capitals."""
    compact = re.sub(r"\s", "", postcode or "").upper()
    return compact.split("-")[0]


@dataclass(frozen=True)
class Position:
    latitude: float
    longitude: float


class Places:
    """The office's layers and districts, loaded once per import."""

    def __init__(self, office_id: int):
        self.office_id = office_id
        self.layers = list(DistrictLayer.objects.filter(office_id=office_id).order_by("pk"))
        self.layer_by_slug = {layer.slug: layer for layer in self.layers}
        self._districts: dict[int, dict[str, int]] = defaultdict(dict)
        numbered: dict[int, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
        rows = District.objects.filter(office_id=office_id).values_list(
            "pk", "layer_id", "name", "code"
        )
        for pk, layer_id, name, code in rows.order_by("pk"):
            lookup = self._districts[layer_id]
            for label in (code, name):
                if label and district_key(label) not in lookup:
                    lookup[district_key(label)] = pk
            found = NUMBER_AT_END.search(name.strip())
            if found:
                numbered[layer_id][str(int(found.group(1)))].add(pk)
        # "3" also finds "Ward 3" when no district is named or coded "3" and only one ends in 3.
        for layer_id, numbers in numbered.items():
            for number, pks in numbers.items():
                if len(pks) == 1:
                    self._districts[layer_id].setdefault(number, next(iter(pks)))
        self._found: dict[tuple[str, str], tuple[int, int] | None] = {}
        self._normalized: dict[str, tuple[str, ...]] = {}
        self.geocodes = (
            LOCAL_SOURCE in settings.GEOCODERS
            and AddressPoint.objects.filter(office_id=office_id).exists()
        )

    def district(self, slug: str, value: str) -> tuple[int, int] | None:
        """(layer id, district id) that a district column's value names, or None."""
        key = (slug, value)
        try:
            return self._found[key]
        except KeyError:
            pass
        layer = self.layer_by_slug.get(slug)
        found = None
        if layer is not None:
            district_id = self._districts[layer.pk].get(district_key(value))
            found = None if district_id is None else (layer.pk, district_id)
        if len(self._found) < 100_000:
            self._found[key] = found
        return found

    def geocode(self, addresses: Sequence[tuple[str, str]]) -> list[Position | None]:
        """The positions of (line1, postcode) addresses from the office's address points: the
        same answers as geo.geocoding.LocalProvider, in one query for all of them."""
        if not self.geocodes or not addresses:
            return [None] * len(addresses)
        wanted = [self._spellings(line1) for line1, _postcode in addresses]
        keys = {key for options in wanted for key in options}
        points: dict[str, list[tuple[str, float, float]]] = defaultdict(list)
        rows = bulk.fetch(
            "SELECT normalized, postcode, latitude, longitude FROM geo_addresspoint "  # noqa: S608
            f"WHERE office_id = %s AND {bulk.any_of('normalized')} ORDER BY id",
            [self.office_id, bulk.listed(keys)],
        )
        for normalized, postcode, latitude, longitude in rows:
            if len(points[normalized]) < 50:
                points[normalized].append((postcode, latitude, longitude))
        found: list[Position | None] = []
        for options, (_line1, postcode) in zip(wanted, addresses, strict=True):
            position = None
            for key in options:
                candidates = points.get(key)
                if candidates:
                    position = _pick(candidates, postcode)
                    break
            found.append(position)
        return found

    def _spellings(self, line1: str) -> tuple[str, ...]:
        """The address points' spellings of a street line: as a whole, without its unit."""
        found = self._normalized.get(line1)
        if found is None:
            full = text.usps_street(line1)
            found = tuple(dict.fromkeys(filter(None, (full[:300], without_unit(full)[:300]))))
            if len(self._normalized) >= 200_000:
                self._normalized.clear()
            self._normalized[line1] = found
        return found

    def locate(self, positions: Sequence[Any]) -> dict[int, list[int | None]]:
        """{layer id: the district id of each position (None outside every district)}: any
        objects with `latitude` and `longitude`."""
        if not positions or not self.layers:
            return {}
        lons = np.fromiter((p.longitude for p in positions), dtype=np.float64, count=len(positions))
        lats = np.fromiter((p.latitude for p in positions), dtype=np.float64, count=len(positions))
        return {layer.pk: geo_services.assign_points(layer, lons, lats) for layer in self.layers}


def _pick(candidates: list[tuple[str, float, float]], postcode: str) -> Position | None:
    """The one place the points name; the postcode tells apart the same street address in
    two towns, and when it cannot, there is no answer (geo.geocoding.LocalProvider._pick)."""
    wanted = postcode5(postcode)
    same = [c for c in candidates if wanted and postcode5(c[0]) == wanted]
    chosen = same or candidates
    places = {(round(lat, 6), round(lon, 6)) for _code, lat, lon in chosen}
    if len(places) != 1:
        return None
    return Position(chosen[0][1], chosen[0][2])
