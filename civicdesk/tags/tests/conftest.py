"""A small vocabulary in Ward 1 (and one tag in Ward 2), and a manager."""

import pytest

from civicdesk.accounts.models import Membership
from civicdesk.accounts.permissions import Role
from civicdesk.tags.models import Tag
from civicdesk.tags.services import add_alias, create_tag
from conftest import make_member


@pytest.fixture
def manny(ward1) -> Membership:
    """A manager in Ward 1: may create tags, not manage them."""
    return make_member(ward1, "manny@ward1.example", Role.MANAGER, "Manny Moreno")


@pytest.fixture
def transportation(ward1) -> Tag:
    return create_tag(ward1, name="Transportation", by=None)


@pytest.fixture
def street_repair(ward1, transportation) -> Tag:
    tag = create_tag(ward1, name="Street repair", parent=transportation, by=None)
    add_alias(tag, alias="potholes", by=None)
    return tag


@pytest.fixture
def parking(ward1, transportation) -> Tag:
    return create_tag(ward1, name="Parking", parent=transportation, by=None)


@pytest.fixture
def housing(ward1) -> Tag:
    return create_tag(ward1, name="Housing", by=None)


@pytest.fixture
def ward2_tag(ward2) -> Tag:
    return create_tag(ward2, name="Zoning", by=None)
