"""Dashboard tiles: each leads into work, or — while an office is new — into setting it up.

A tile function takes the current membership and returns a Tile, or None when it has nothing
to show to this person. Later issues append their tiles to TILES.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from civicdesk.accounts import queries as accounts_queries
from civicdesk.audit.models import AuditEvent
from civicdesk.jobs import queries as jobs_queries


@dataclass(frozen=True)
class Tile:
    title: str
    icon: str  # a Bootstrap Icons name
    url: str
    count: int | None = None
    caption: str = ""
    is_setup: bool = False  # a setup step for a new office, shown with a call to action
    tone: str = "primary"


def staff_tile(member) -> Tile | None:
    if not member.can("member.view"):
        return None
    count = accounts_queries.member_list(member.office).count()
    pending = accounts_queries.pending_invitations(member.office).count()
    url = reverse("accounts:staff-list")
    if count <= 1 and member.can("member.invite"):
        return Tile(
            _("Invite your team"),
            "person-plus",
            url,
            caption=_("Add caseworkers, correspondents and volunteers, each with the right role."),
            is_setup=True,
        )
    caption = (
        ngettext("%(n)s invitation waiting", "%(n)s invitations waiting", pending) % {"n": pending}
        if pending
        else _("active staff")
    )
    return Tile(_("Staff"), "people", url, count=count, caption=caption)


def office_profile_tile(member) -> Tile | None:
    office = member.office
    if not member.can("office.edit") or (office.jurisdiction and office.address and office.logo):
        return None
    return Tile(
        _("Complete your office profile"),
        "building",
        reverse("accounts:office-settings"),
        caption=_("Jurisdiction, address and logo appear on letters and the public portal."),
        is_setup=True,
    )


def mfa_tile(member) -> Tile | None:
    if not member.can("office.edit") or member.office.require_mfa_for_all:
        return None
    return Tile(
        _("Require two-factor sign-in"),
        "shield-lock",
        reverse("accounts:office-settings"),
        caption=_("Constituent records are sensitive: ask every staff member for a second factor."),
        is_setup=True,
        tone="warning",
    )


def jobs_tile(member) -> Tile | None:
    running = jobs_queries.running_job_count(member)
    return Tile(
        _("Background jobs"),
        "hourglass-split",
        reverse("jobs:job-list"),
        count=running,
        caption=_("running or queued"),
    )


def audit_tile(member) -> Tile | None:
    if not member.can("audit.view"):
        return None
    since = timezone.now() - timedelta(days=1)
    count = AuditEvent.objects.filter(office=member.office, at__gte=since).count()
    return Tile(
        _("Audit log"),
        "journal-check",
        reverse("audit:event-list"),
        count=count,
        caption=_("events in the last 24 hours"),
    )


def api_tile(member) -> Tile | None:
    if not member.can("api.use"):
        return None
    return Tile(
        _("Connect your tools"),
        "plug",
        reverse("accounts:profile") + "#tokens",
        caption=_("Personal API tokens and the REST API documentation."),
        is_setup=not member.api_tokens.exists(),
    )


def people_tile(member) -> Tile | None:
    from civicdesk.constituents.models import Person

    if not member.can("person.view"):
        return None
    count = Person.objects.for_office(member.office).count()
    url = reverse("constituents:person-list")
    if count == 0:
        if not member.can("person.edit"):
            return None
        return Tile(
            _("Add or import your constituents"),
            "person-vcard",
            url,
            caption=_("Everyone the office hears from, with their districts, issues and history."),
            is_setup=True,
        )
    caption = ngettext("constituent on record", "constituents on record", count)
    return Tile(_("People"), "person-vcard", url, count=count, caption=caption)


def my_work_tile(member) -> Tile | None:
    """The member's to-dos due today or overdue; red while anything is overdue. Left out
    until the office has a case (a new office has nothing to do yet)."""
    from civicdesk.casework import stats

    if not member.can("case.view") or not stats.case_counts(member).total:
        return None
    work = stats.work_counts(member)
    if work.overdue:
        tone = "danger"
        caption = ngettext("%(n)s overdue", "%(n)s overdue", work.overdue) % {"n": work.overdue}
        if work.due_today:
            caption += ", " + _("%(n)s due today") % {"n": work.due_today}
    else:
        tone = "warning" if work.due_today else "primary"
        caption = _("due today") if work.due_today else _("nothing due today")
    return Tile(
        _("My work"), "list-check", reverse("casework:my-work"),
        count=work.due_now, caption=caption, tone=tone,
    )  # fmt: skip


def open_cases_tile(member) -> Tile | None:
    """Open cases the member may see, and how many of them nobody has taken."""
    from civicdesk.casework import stats

    if not member.can("case.view"):
        return None
    counts = stats.case_counts(member)
    if not counts.total:
        return None
    caption = ngettext("%(n)s unassigned", "%(n)s unassigned", counts.unassigned) % {
        "n": counts.unassigned
    }
    return Tile(
        _("Open cases"), "folder2-open", reverse("casework:case-list"),
        count=counts.open, caption=caption,
    )  # fmt: skip


TILES: list[Callable] = [staff_tile, office_profile_tile, mfa_tile, jobs_tile, audit_tile, api_tile]
TILES.append(people_tile)
TILES += [my_work_tile, open_cases_tile]


def tiles_for(member) -> tuple[list[Tile], list[Tile]]:
    """(work tiles, setup tiles) for this person."""
    tiles = [tile for tile in (func(member) for func in TILES) if tile is not None]
    return [t for t in tiles if not t.is_setup], [t for t in tiles if t.is_setup]
