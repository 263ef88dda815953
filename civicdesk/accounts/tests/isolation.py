"""What the isolation walk (accounts/tests/test_isolation.py) needs to know about accounts.

Every app whose URLs or API paths take an id has a `tests/isolation.py` like this one, with
`OBJECT_MAKERS`: URL parameter name -> `make(side, made)`, which makes one object of
`side.office` for that parameter (`made` holds the objects already made for the same URL, in
path order, so that `/households/{household_id}/members/{person_id}` gets a member of the
household). Optionally `API_BODIES`: API view function name -> `body(side, made)`, the request
body of an operation whose payload is validated before it looks anything up.
"""

from dataclasses import dataclass
from typing import Any

from civicdesk.accounts.models import ApiToken, Invitation, Membership, Office
from civicdesk.accounts.services import create_api_token, invite_member


@dataclass
class OfficeSide:
    """One office of the walk: its admin walks it (and holds every permission)."""

    office: Office
    admin: Membership
    staff: Membership  # someone else in the office

    @property
    def label(self) -> str:
        return self.office.slug  # in every name the makers give, to spot a leak on a page


def _member(side: OfficeSide, made: dict[str, Any]) -> Membership:
    return side.staff


def _invitation(side: OfficeSide, made: dict[str, Any]) -> Invitation:
    email = f"newcomer{Invitation.objects.count()}@{side.label}.example"
    return invite_member(side.office, email=email, role="caseworker", by=side.admin)[0]


def _token(side: OfficeSide, made: dict[str, Any]) -> ApiToken:
    # The admin's own: a person revokes only their own tokens.
    return create_api_token(side.admin, name=f"script of {side.label}")[0]


OBJECT_MAKERS = {"member_id": _member, "invitation_id": _invitation, "token_id": _token}
