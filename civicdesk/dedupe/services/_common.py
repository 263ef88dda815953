"""Checks every duplicates service shares."""

from django.utils.translation import gettext as _

from civicdesk.accounts.models import Membership
from civicdesk.core.errors import NotAllowed


def require(by: Membership | None, permission: str, office_id: int) -> None:
    """The actor's role must hold `permission`; `None` is the system, which may do anything."""
    assert by is None or by.office_id == office_id  # doors check this; a mismatch is a bug
    if by is not None and not by.can(permission):
        raise NotAllowed(_("Your role does not allow this."))
