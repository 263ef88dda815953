"""Attach the signed-in person's current membership to the request; enforce required MFA."""

from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from civicdesk.core.net import client_ip

from .models import Membership

SESSION_OFFICE_KEY = "civicdesk_office_id"


def current_membership(request: HttpRequest) -> Membership | None:
    """The active membership for the office chosen in this session, else the first one."""
    if not request.user.is_authenticated:
        return None
    memberships = (
        Membership.objects.active().filter(user=request.user).select_related("office", "user")
    )
    chosen = request.session.get(SESSION_OFFICE_KEY)
    member = memberships.filter(office_id=chosen).first() if chosen else None
    return member or memberships.order_by("office__name").first()


class CurrentMembershipMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        member = current_membership(request)
        if member is not None:
            member.client_ip = client_ip(request)
            member.client_agent = request.headers.get("user-agent", "")[:300]
        request.member = member
        if member is None:
            return self.get_response(request)
        # Dates and times show in the office's own time zone.
        with timezone.override(member.office.time_zone):
            return self.get_response(request)


def has_mfa(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(
        user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
    ).exists()


class RequireMfaMiddleware:
    """Admins, and everyone in an office that asks for it, must set up a second factor before
    anything but the account pages (where they set it up) and static files. Someone whose
    password was chosen for them (a one-time password) must then choose their own."""

    ALLOWED_PREFIXES = (
        "/accounts/",
        "/static/",
        "/healthz",
        "/api/",
        "/open311/",
        "/invite/",
        "/i18n/",
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        member = getattr(request, "member", None)
        if (
            member is not None
            and member.needs_mfa
            and not request.path.startswith(self.ALLOWED_PREFIXES)
            and not request.path.startswith(settings.STATIC_URL)
            and request.path != reverse("accounts:mfa-required")  # else it redirects to itself
            and not has_mfa(request.user)
        ):
            return redirect("accounts:mfa-required")
        if (
            request.user.is_authenticated
            and request.user.password_change_required
            and not request.path.startswith(self.ALLOWED_PREFIXES)
        ):
            return redirect("account_change_password")
        return self.get_response(request)
