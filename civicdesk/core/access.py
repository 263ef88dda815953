"""Who may open which page. Every view carries exactly one of these decorators:

- `require_member("perm")`: signed in, working in an office, and the role holds "perm"
  (`accounts/permissions.py` is the table); the view reads `request.member`.
- `login_only`: signed in, in no particular office (profile, office switcher).
- `public_view`: anyone (health check, invitation links, public pages).

The isolation test (accounts/tests/test_isolation.py) fails on a route without a policy, and on
a policy naming a permission the table does not know. `request.member` is set by
`accounts.middleware`; this module only relies on its `.can()` and `.office`, so that every
app may use it without importing accounts.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from civicdesk.core.errors import NotAllowed

POLICY_ATTRIBUTE = "civicdesk_access_policy"
M = TypeVar("M", bound=Model)


def mark_policy(view: Callable[..., Any], policy: str) -> Callable[..., Any]:
    setattr(view, POLICY_ATTRIBUTE, policy)
    return view


def policy_of(view: Callable[..., Any]) -> str | None:
    # Class-based views keep the marker on the view class; functions on themselves.
    view_class = getattr(view, "view_class", None)
    return getattr(view, POLICY_ATTRIBUTE, None) or getattr(view_class, POLICY_ATTRIBUTE, None)


def require_member(permission: str) -> Callable:
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            member = getattr(request, "member", None)
            if member is None:
                return render(request, "no_office.html", status=403)
            if not member.can(permission):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return mark_policy(wrapped, f"member:{permission}")

    return decorator


def login_only(view: Callable) -> Callable:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return mark_policy(wrapped, "login")


def public_view(view: Callable) -> Callable:
    return mark_policy(view, "public")


def get_for_member(member: Any, queryset: QuerySet[M], pk: Any, *, need: str) -> M:
    """Fetch one of the member's office's objects: 403 if the role lacks `need`, 404 if the
    object is missing *or belongs to another office* — the two look the same from outside."""
    if not member.can(need):
        raise PermissionDenied
    return get_object_or_404(queryset.filter(office=member.office), pk=pk)


def require(by: Any, permission: str, office_id: int) -> None:
    """For services: the acting membership's role must hold `permission`; `None` is the system
    (a command, a job), which may do anything. Doors look records up in the member's own office
    first, so a membership of another office here is a bug, not a refusal."""
    assert by is None or by.office_id == office_id
    if by is not None and not by.can(permission):
        raise NotAllowed(_("Your role does not allow this."))
