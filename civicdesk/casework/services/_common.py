"""Small checks every casework service shares."""

from typing import Any

from django.utils.translation import gettext as _

from civicdesk.casework.errors import CaseRefused
from civicdesk.core.access import require  # noqa: F401  (the services import it from here)


def same_office(obj: Any, office_id: int, what: str) -> None:
    if obj is None or obj.office_id != office_id:
        raise CaseRefused(_("That %(what)s is not in this office.") % {"what": what})


def text(value: Any) -> str:
    """One line of text: surrounding and repeated whitespace removed."""
    return " ".join(str(value or "").split())
