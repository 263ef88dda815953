"""What the isolation walk (accounts/tests/test_isolation.py) needs to know about
constituents: one person, address, household, organization and custom field of an office."""

from typing import Any

from civicdesk.constituents import services
from civicdesk.constituents.models import Address, CustomField, Household, Organization, Person
from civicdesk.constituents.validation import AddressIn


def _person(side, made: dict[str, Any]) -> Person:
    if "household_id" in made:  # /households/{household_id}/members/{person_id}: a member
        return made["household_id"].members.get()
    return services.create_person(
        side.office,
        by=None,
        fields={"first_name": "Pat", "last_name": f"Walker {side.label}"},
        addresses=[
            AddressIn(line1="12 Elm Street", city="Riverton", latitude=45.0, longitude=-93.0)
        ],
    )


def _address(side, made: dict[str, Any]) -> Address:
    return Address.objects.filter(person=_person(side, made)).get()


def _household(side, made: dict[str, Any]) -> Household:
    member = _person(side, {})
    return services.create_household(
        side.office, by=None, name=f"Walker household {side.label}", member_ids=[member.pk]
    )


def _organization(side, made: dict[str, Any]) -> Organization:
    return services.create_organization(
        side.office, by=None, fields={"name": f"Riverton Food Bank {side.label}"}
    )


def _custom_field(side, made: dict[str, Any]) -> CustomField:
    return services.define_custom_field(
        side.office,
        by=None,
        key=f"ward_captain_{side.label}".lower(),
        label="Ward captain",
        field_type="text",
    )


OBJECT_MAKERS = {
    "person_id": _person,
    "address_id": _address,
    "household_id": _household,
    "organization_id": _organization,
    "field_id": _custom_field,
}

API_BODIES = {
    "update_person": lambda side, made: {"version": made["person_id"].version},
    "log_interaction": lambda side, made: {
        "kind": "call",
        "occurred_at": "2026-03-02T10:00:00Z",
        "subject": "Walk",
    },
    "add_household_member": lambda side, made: {"person_id": _person(side, {}).pk},
}
