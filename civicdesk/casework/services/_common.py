"""Small checks every casework service shares."""

from typing import Any

from django.utils.translation import gettext as _

from civicdesk.accounts.models import Membership
from civicdesk.casework.errors import CaseRefused
from civicdesk.core.errors import NotAllowed


def require(by: Membership | None, permission: str, office_id: int) -> None:
    """The actor's role must hold `permission`; `None` is the system, which may do anything."""
    assert by is None or by.office_id == office_id  # doors check this; a mismatch is a bug
    if by is not None and not by.can(permission):
        raise NotAllowed(_("Your role does not allow this."))


def same_office(obj: Any, office_id: int, what: str) -> None:
    if obj is None or obj.office_id != office_id:
        raise CaseRefused(_("That %(what)s is not in this office.") % {"what": what})


def text(value: Any) -> str:
    """One line of text: surrounding and repeated whitespace removed."""
    return " ".join(str(value or "").split())
