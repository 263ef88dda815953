import pytest

from civicdesk.accounts.models import Membership
from civicdesk.accounts.permissions import Role
from conftest import make_member


@pytest.fixture
def admin_without_mfa(ward1) -> Membership:
    """A second admin of Ward 1 who has not set up a second factor yet."""
    return make_member(ward1, "nadia@ward1.example", Role.ADMIN, "Nadia Novak")
