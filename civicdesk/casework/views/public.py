"""The constituent's status page: a private, expiring link (no sign-in) showing their case's
status and the updates meant for them, never internal notes. Nothing of the office's pages
around it; not indexed by search engines, and the address (a credential) is never sent on as
a Referer."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _

from civicdesk.casework import queries, services
from civicdesk.casework.errors import StatusLinkInvalid
from civicdesk.casework.models import CaseStatus
from civicdesk.core.access import public_view

UPDATES_SHOWN = 50

# What each status means, said to the constituent.
STATUS_EXPLANATIONS = {
    CaseStatus.OPEN: _("We are working on your case."),
    CaseStatus.WAITING_AGENCY: _(
        "We have contacted the agency on your behalf and are waiting for their answer."
    ),
    CaseStatus.WAITING_CONSTITUENT: _(
        "We are waiting for something from you. Please check your messages, or get in touch "
        "with us."
    ),
    CaseStatus.RESOLVED: _("Your case has been resolved."),
    CaseStatus.CLOSED: _("Your case is closed. If you still need help, please get in touch."),
}


def _private(response: HttpResponse) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    add_never_cache_headers(response)
    return response


def _first_name(case) -> str:
    """The caseworker's first name only: enough to ask for them by name."""
    user = case.assignee.user if case.assignee_id else None
    return user.full_name.split()[0] if user is not None and user.full_name.strip() else ""


@public_view
def status_page(request: HttpRequest, secret: str) -> HttpResponse:
    try:
        link = services.open_status_link(secret)
    except StatusLinkInvalid as exc:
        # For a link that was once valid, who sent it: whom to ask for a new one.
        context = {"message": exc.message, "sender": exc.details or {}}
        return _private(render(request, "casework/status_invalid.html", context, status=404))
    case, office = link.case, link.office
    context = {
        "office": office,
        "case": case,
        "status_label": CaseStatus(case.status).label,
        "status_explanation": STATUS_EXPLANATIONS[CaseStatus(case.status)],
        "caseworker": _first_name(case),
        "updates": list(queries.public_history(case)[:UPDATES_SHOWN]),
        "expires_at": link.expires_at,
    }
    # Dates as the office's constituents read them, in its time zone.
    with timezone.override(office.time_zone):
        response = render(request, "casework/status_page.html", context)
    return _private(response)


urlpatterns = [path("status/<str:secret>/", status_page, name="status-page")]
