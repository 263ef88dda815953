"""Fixtures of the exports tests: Ward 1's people (one with everything an export shows, one
whose cells are spreadsheet formulas), a manager who may export, and Ward 2's person who must
never appear in a Ward 1 export. Made through the services, as users make them."""

import pytest

from civicdesk.constituents import services
from civicdesk.constituents.models import Person
from civicdesk.constituents.tests.conftest import make_tag, square_layer
from civicdesk.constituents.validation import AddressIn, EmailIn, PhoneIn
from civicdesk.jobs.services import claim_job, run_claimed_job
from civicdesk.tags.models import Tag


def run_job(job):
    """Run a queued job now, in this process, as the worker would."""
    return run_claimed_job(claim_job(job.pk))


@pytest.fixture
def ward_layer(ward1):
    """Ward 1's "Ward" layer: (layer, south, north)."""
    return square_layer(ward1)


@pytest.fixture
def potholes(ward1) -> Tag:
    return make_tag(ward1, "Potholes")


@pytest.fixture
def parks(ward1) -> Tag:
    return make_tag(ward1, "Parks")


@pytest.fixture
def party(ward1):
    return services.define_custom_field(
        ward1, by=None, key="party", label="Party", field_type="choice", choices=["DEM", "REP"]
    )


@pytest.fixture
def john(ward1, ward_layer, potholes, party) -> Person:
    person = services.create_person(
        ward1,
        by=None,
        fields={
            "prefix": "Mr.", "first_name": "John", "middle_name": "Quincy", "last_name": "Smith",
            "suffix": "Jr.", "preferred_name": "Jack", "birth_date": "1961-04-12",
            "gender": "male", "language": "en", "is_vip": True, "custom": {"party": "DEM"},
        },
        emails=[EmailIn("john.smith@example.org", kind="work", is_primary=True),
                EmailIn("jack@example.net")],
        phones=[PhoneIn("(202) 555-0147", kind="mobile", is_primary=True)],
        addresses=[AddressIn("1420 U Street NW", line2="Apt 4", city="Washington", region="DC",
                             postcode="20009", is_primary=True, latitude=38.905,
                             longitude=-77.025)],
        tag_ids=[potholes.pk],
    )  # fmt: skip
    services.add_external_id(person, by=None, system="voter", value="NC-000123")
    return Person.objects.get(pk=person.pk)


@pytest.fixture
def maria(ward1, parks) -> Person:
    return services.create_person(
        ward1,
        by=None,
        fields={"first_name": "María", "last_name": "Gómez", "language": "es"},
        emails=[EmailIn("maria@example.org")],
        tag_ids=[parks.pk],
    )


@pytest.fixture
def mallory(ward1) -> Person:
    """Someone whose record holds spreadsheet formulas (typed in a web form, or imported)."""
    return services.create_person(
        ward1,
        by=None,
        fields={
            "first_name": '=HYPERLINK("http://evil.example","click")',
            "last_name": "+SUM(1,2)",
            "gender": "@cmd",
            "pronouns": "-2+3",
        },
        addresses=[AddressIn("=1+1", city="\tTabbed")],
    )


@pytest.fixture
def wren(ward2) -> Person:
    """Ward 2's constituent: never in a Ward 1 export."""
    return services.create_person(
        ward2,
        by=None,
        fields={"first_name": "Wren", "last_name": "Smith"},
        emails=[EmailIn("wren@example.org")],
    )
