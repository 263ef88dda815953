"""The search box, on whichever database the run uses (CI runs both)."""

import pytest

from civicdesk.constituents import queries, services
from civicdesk.constituents.search import deletion_keys, within_one_edit
from civicdesk.constituents.tests.conftest import make_person


@pytest.fixture
def crowd(ward1, john):
    """John Smith (conftest) among people who look like him."""
    return {
        "john": john,
        "jon": make_person(ward1, "Jon", "Smyth", email="jsmyth@example.net"),
        "joan": make_person(ward1, "Joan", "Smithers", phone="+1 202 555 0123"),
        "mary": make_person(
            ward1,
            "Mary",
            "Okafor",
            email="mary.okafor@example.com",
            address={"line1": "77 Kenyon Street NW", "postcode": "20010-1234"},
        ),  # fmt: skip
    }


def found(office, text: str) -> list[tuple[str, str]]:
    return [
        (hit.person.display_name, hit.matched_on) for hit in queries.search_people(office, text)
    ]


def test_typos_in_both_names_still_find_the_person_first(ward1, crowd):
    assert found(ward1, "Jonh Smtih")[0] == ("John Smith", "name")
    assert found(ward1, "smiht")[0][0] in {"John Smith", "Joan Smithers"}
    assert found(ward1, "Okafro Mray") == [("Mary Okafor", "name")]


def test_exact_names_come_before_near_ones(ward1, crowd):
    assert [name for name, _ in found(ward1, "John Smith")][:1] == ["John Smith"]
    assert [name for name, _ in found(ward1, "Jon Smyth")][:1] == ["Jon Smyth"]


def test_a_name_prefix_finds_people(ward1, crowd):
    assert {name for name, _ in found(ward1, "smi")} == {"John Smith", "Joan Smithers"}
    assert found(ward1, "ok") == [("Mary Okafor", "name")]


@pytest.mark.parametrize(
    "typed", ["(202) 555-0147", "202.555.0147", "+1 202 555 0147", "2025550147", "555-0147"]
)
def test_a_phone_number_in_any_format(ward1, crowd, typed):
    assert found(ward1, typed) == [("John Smith", "phone")]


def test_an_email_address_whole_or_in_part(ward1, crowd):
    assert found(ward1, "Mary.Okafor@Example.com") == [("Mary Okafor", "email")]
    assert found(ward1, "jsmyth@") == [("Jon Smyth", "email")]


def test_a_postcode_finds_everyone_there(ward1, crowd):
    assert found(ward1, "20009") == [("John Smith", "postcode")]
    assert found(ward1, "20010") == [("Mary Okafor", "postcode")]


def test_an_address_in_other_words(ward1, crowd):
    assert found(ward1, "1420 U Street Northwest") == [("John Smith", "address")]
    assert found(ward1, "77 kenyon st") == [("Mary Okafor", "address")]


def test_an_external_id(ward1, crowd, alice):
    services.add_external_id(crowd["mary"], by=alice, system="voter", value="DC-778899")
    assert found(ward1, "DC-778899") == [("Mary Okafor", "external_id")]


def test_another_offices_people_are_never_found(ward1, ward2, crowd, wren):
    assert found(ward1, "Wren") == []
    assert found(ward1, "wren@example.org") == []
    assert found(ward1, "202-555-0199") == []
    assert found(ward2, "John Smith") == [("Wren Smith", "name")]


def test_nothing_typed_finds_nothing(ward1, crowd):
    assert found(ward1, "   ") == []
    assert found(ward1, "zzzzqqq") == []


def test_the_limit_is_respected(ward1, crowd):
    assert len(queries.search_people(ward1, "s", limit=2)) == 2


def test_an_edit_is_searchable_at_once(ward1, crowd, alice):
    services.update_person(crowd["mary"], by=alice, version=1, fields={"last_name": "Mensah"})
    assert found(ward1, "mensah") == [("Mary Mensah", "name")]
    assert found(ward1, "okafor") == [("Mary Mensah", "email")]  # still her email address


def test_one_edit_distance():
    assert within_one_edit("jonh", "john")  # swap
    assert within_one_edit("smth", "smith")  # deletion
    assert within_one_edit("smitth", "smith")  # insertion
    assert within_one_edit("smyth", "smith")  # substitution
    assert not within_one_edit("jhno", "john")
    assert not within_one_edit("smith", "jones")
    assert deletion_keys("abc") == {"abc"}
    assert deletion_keys("john") == {"john", "ohn", "jhn", "jon", "joh"}
