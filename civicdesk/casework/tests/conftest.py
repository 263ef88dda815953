"""Fixtures of the casework tests: case types (one needing a privacy release, one sensitive),
a template, an agency and Ward 1's constituent John with an open case; Ward 2's case for the
isolation tests. Everything is made through the services, as users make it."""

import pytest

from civicdesk.accounts.models import Membership
from civicdesk.accounts.permissions import Role
from civicdesk.casework import services
from civicdesk.casework.models import Case, CaseTemplate, CaseType
from civicdesk.constituents import services as constituent_services
from civicdesk.constituents.models import Organization, Person
from civicdesk.constituents.tests.conftest import make_person
from conftest import make_member


@pytest.fixture
def manny(ward1) -> Membership:
    """A manager in Ward 1: sees sensitive cases, reassigns in bulk."""
    return make_member(ward1, "manny@ward1.example", Role.MANAGER, "Manny Moreno")


@pytest.fixture
def bella(ward1) -> Membership:
    """A second caseworker in Ward 1."""
    return make_member(ward1, "bella@ward1.example", Role.CASEWORKER, "Bella Brown")


def make_case_type(office, name: str, **fields) -> CaseType:
    return services.create_case_type(office, by=None, name=name, **fields)


@pytest.fixture
def housing(ward1) -> CaseType:
    return make_case_type(ward1, "Housing")


@pytest.fixture
def veterans(ward1) -> CaseType:
    """Needs the constituent's privacy release before the agency is contacted."""
    return make_case_type(ward1, "Veterans benefits", needs_privacy_release=True)


@pytest.fixture
def immigration(ward1) -> CaseType:
    """Sensitive: only the assignee and managers see these cases."""
    return make_case_type(ward1, "Immigration", is_sensitive=True, needs_privacy_release=True)


@pytest.fixture
def va(ward1) -> Organization:
    return constituent_services.create_organization(
        ward1,
        by=None,
        fields={"name": "Department of Veterans Affairs", "kind": "agency",
                "email": "inquiries@va.example.gov", "address": "810 Vermont Ave NW\nWashington, DC 20420"},
    )  # fmt: skip


@pytest.fixture
def veterans_template(ward1, veterans) -> CaseTemplate:
    return services.save_template(
        ward1,
        by=None,
        case_type=veterans,
        name="Disability claim",
        steps=[("Get the privacy release", "privacy_release", 2),
               ("Follow up with the VA", "agency_inquiry", 14)],
        documents_needed=["DD-214"],
    )  # fmt: skip


@pytest.fixture
def john(ward1) -> Person:
    return make_person(
        ward1, "John", "Smith", email="john.smith@example.org", phone="(202) 555-0147",
        address={"line1": "1420 U Street NW", "city": "Washington", "region": "DC",
                 "postcode": "20009"},
    )  # fmt: skip


@pytest.fixture
def case(ward1, alice, john, veterans, va) -> Case:
    """John's veterans case, assigned to Alice, with the VA as its agency."""
    return services.open_case(
        ward1, by=alice, person=john, case_type=veterans, subject="Disability claim delayed",
        description="Filed in March; no answer.", assignee=alice, agency=va,
    )  # fmt: skip


@pytest.fixture
def wren_case(ward2) -> Case:
    """Ward 2's case: never visible from Ward 1."""
    wren = make_person(ward2, "Wren", "Smith", email="wren@example.org")
    case_type = make_case_type(ward2, "Housing")
    return services.open_case(ward2, by=None, person=wren, case_type=case_type, subject="Heat")
