"""People to merge and find, in Ward 1 (and Ward 2, which must never see them)."""

import csv
import datetime as dt
from pathlib import Path

import pytest

from civicdesk.constituents import services as constituent_services
from civicdesk.constituents.models import Address, ExternalId, Person
from civicdesk.constituents.validation import AddressIn, EmailIn, PhoneIn
from civicdesk.dedupe.models import DuplicatePair

FEBRL = Path(__file__).resolve().parents[3] / "tests" / "data" / "record-linkage" / "febrl"


def make_person(
    office, first="John", last="Smith", *, emails=(), phones=(), addresses=(), **fields
):
    return constituent_services.create_person(
        office,
        by=None,
        fields={"first_name": first, "last_name": last, **fields},
        emails=[EmailIn(e) for e in emails],
        phones=[PhoneIn(p) for p in phones],
        addresses=[AddressIn(**a) if isinstance(a, dict) else AddressIn(a) for a in addresses],
    )


def make_pair(a: Person, b: Person, probability: float = 0.97, **extra) -> DuplicatePair:
    low, high = sorted((a, b), key=lambda p: p.pk)
    return DuplicatePair.objects.create(
        office=a.office, person_a=low, person_b=high, probability=probability,
        fields=[{"field": "prior", "level": "1 in 1,000 pairs", "weight": -9.97},
                {"field": "first_name", "level": "exact", "weight": 6.5},
                {"field": "last_name", "level": "exact", "weight": 7.0},
                {"field": "birth_date", "level": "different", "weight": -3.0}],
        found_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC), **extra,
    )  # fmt: skip


@pytest.fixture
def john(ward1):
    return make_person(
        ward1, "John", "Smith", emails=["john.smith@example.org"], phones=["+12025550147"],
        addresses=[{"line1": "1420 U Street NW", "city": "Washington", "postcode": "20009"}],
        birth_date=dt.date(1970, 5, 4),
    )  # fmt: skip


@pytest.fixture
def johnny(ward1):
    return make_person(
        ward1, "Johnny", "Smith", emails=["jsmith@work.example"], phones=["+12025550199"],
        addresses=[{"line1": "1420 U St NW", "city": "Washington", "postcode": "20009"}],
        birth_date=dt.date(1970, 5, 4), gender="male",
    )  # fmt: skip


@pytest.fixture
def pair(john, johnny):
    return make_pair(john, johnny)


def _birth(text: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date()  # noqa: DTZ007
    except ValueError:
        return None


def load_febrl(office, name: str = "dataset1.csv") -> dict[int, str]:
    """FEBRL people as an import would leave them (bulk, then the search fields); returns
    {person id: rec_id}. The social security number becomes a "ssn" external id where no one
    holds it yet (an id is unique in an office)."""
    with (FEBRL / name).open(newline="") as handle:
        rows = list(csv.DictReader(handle, skipinitialspace=True))
    people = Person.objects.bulk_create(
        Person(office=office, first_name=row["given_name"], last_name=row["surname"],
               birth_date=_birth(row["date_of_birth"]))
        for row in rows
    )  # fmt: skip
    Address.objects.bulk_create(
        Address(office=office, person=person, is_primary=True, line1=" ".join(
            part for part in (row["street_number"], row["address_1"]) if part) or "-",
            line2=row["address_2"], city=row["suburb"], postcode=row["postcode"],
            region=row["state"])
        for person, row in zip(people, rows, strict=True)
    )  # fmt: skip
    taken: set[str] = set()
    ids = []
    for person, row in zip(people, rows, strict=True):
        if row["soc_sec_id"] and row["soc_sec_id"] not in taken:
            taken.add(row["soc_sec_id"])
            ids.append(
                ExternalId(office=office, person=person, system="ssn", value=row["soc_sec_id"])
            )
    ExternalId.objects.bulk_create(ids)
    return {person.pk: row["rec_id"] for person, row in zip(people, rows, strict=True)}


def febrl_truth(name: str = "true_matches_dataset1.csv") -> set[frozenset[str]]:
    with (FEBRL / name).open(newline="") as handle:
        return {frozenset((row["rec_id_1"], row["rec_id_2"])) for row in csv.DictReader(handle)}
