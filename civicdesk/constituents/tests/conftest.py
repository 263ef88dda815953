"""Fixtures of the constituents tests: a manager, tags, and a few people of Ward 1 and Ward 2,
made through the services as users make them."""

import pytest
from django.utils import timezone

from civicdesk.accounts.models import Membership
from civicdesk.accounts.permissions import Role
from civicdesk.constituents import services
from civicdesk.constituents.models import Person
from civicdesk.constituents.validation import AddressIn, EmailIn, PhoneIn
from civicdesk.geo.models import District, DistrictLayer
from civicdesk.tags.models import Tag
from conftest import make_member


@pytest.fixture
def manny(ward1) -> Membership:
    """A manager in Ward 1 (may see and set the person-of-concern flag, may delete)."""
    return make_member(ward1, "manny@ward1.example", Role.MANAGER, "Manny Moreno")


def make_tag(office, name: str) -> Tag:
    slug = name.lower().replace(" ", "-")
    return Tag.objects.create(office=office, name=name, slug=slug, path=name)


def make_person(office, first: str, last: str, *, by=None, email=None, phone=None, address=None,
                **fields) -> Person:  # fmt: skip
    return services.create_person(
        office,
        by=by,
        fields={"first_name": first, "last_name": last, **fields},
        emails=[EmailIn(email)] if email else [],
        phones=[PhoneIn(phone)] if phone else [],
        addresses=[AddressIn(**address)] if address else [],
    )


@pytest.fixture
def potholes(ward1) -> Tag:
    return make_tag(ward1, "Potholes")


@pytest.fixture
def parks(ward1) -> Tag:
    return make_tag(ward1, "Parks")


@pytest.fixture
def john(ward1) -> Person:
    return make_person(
        ward1,
        "John",
        "Smith",
        email="john.smith@example.org",
        phone="(202) 555-0147",
        address={"line1": "1420 U Street NW", "city": "Washington", "region": "DC",
                 "postcode": "20009"},
    )  # fmt: skip


@pytest.fixture
def wren(ward2) -> Person:
    """Ward 2's constituent: never visible from Ward 1."""
    return make_person(ward2, "Wren", "Smith", email="wren@example.org", phone="202-555-0199")


def _square(lon0: float, lat0: float, size: float = 0.01) -> dict:
    ring = [[lon0, lat0], [lon0 + size, lat0], [lon0 + size, lat0 + size], [lon0, lat0 + size]]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def square_layer(office, name: str = "Ward"):
    """A layer of two stacked squares near (-77.025, 38.905): "South" holds (lon -77.03…-77.02,
    lat 38.90…38.91), "North" the one above it. Returns (layer, south, north)."""
    layer = DistrictLayer.objects.create(
        office=office, name=name, slug=name.lower(), name_property="NAME",
        imported_at=timezone.now(),
    )  # fmt: skip
    districts = []
    for district_name, lat0 in (("South", 38.90), ("North", 38.91)):
        districts.append(
            District.objects.create(
                office=office,
                layer=layer,
                name=district_name,
                geometry=_square(-77.03, lat0),
                min_lon=-77.03,
                min_lat=lat0,
                max_lon=-77.02,
                max_lat=lat0 + 0.01,
            )  # fmt: skip
        )
    return layer, *districts
