"""Reads for casework. Every read starts from a membership: another office's case is a 404 like
a missing one, and a sensitive case is visible only to its assignee and to those whose role
may see sensitive cases. Viewing a case is audited ("case.viewed") from every door."""

import base64
import binascii
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from civicdesk import audit
from civicdesk.accounts.models import Membership, Office
from civicdesk.constituents.models import Organization
from civicdesk.constituents.validation import words
from civicdesk.core.errors import BadRequest

from .models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    ActionState,
    Case,
    CaseAction,
    CaseStatus,
    CaseTemplate,
    CaseType,
    LetterTemplate,
    PrivacyRelease,
    Team,
)

# The queues of the case list: name → what it holds (see `queue_filter`).
QUEUES = ("all", "mine", "team", "unassigned", "due_week", "overdue", "waiting_agency", "closed")


class BadCaseCursor(BadRequest):
    """A cursor this list did not make."""

    code = "bad_cursor"


# ---------------------------------------------------------------- one case


def visible_cases(member: Membership) -> QuerySet[Case]:
    """The member's office's cases this member may see: all of them, less the sensitive cases
    of others unless the role may see sensitive cases."""
    cases = Case.objects.for_office(member.office)
    if not member.can("case.view_sensitive"):
        cases = cases.filter(Q(is_sensitive=False) | Q(assignee=member))
    return cases


def _case_for(member: Membership, case_id: Any, need: str) -> Case:
    if not member.can(need):
        raise PermissionDenied
    try:
        case_id = int(case_id)
    except (TypeError, ValueError):
        raise Http404 from None
    case = (
        visible_cases(member)
        .select_related(
            "case_type",
            "assignee__user",
            "team",
            "agency",
            "agency_contact",
            "primary_person",
            "template",
            "created_by__user",
        )  # fmt: skip
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise Http404
    return case


def get_case(member: Membership, case_id: Any, *, need: str = "case.view") -> Case:
    """Fetch a case for a person: 404 if missing, another office's or a sensitive case they may
    not see; 403 if the role lacks `need`. Writes "case.viewed"."""
    case = _case_for(member, case_id, need)
    audit.record(member, "case.viewed", case)
    return case


def case_for_change(member: Membership, case_id: Any, *, need: str = "case.edit") -> Case:
    """Like get_case, for a door that changes the case: the change is audited, so fetching it
    is not audited again as a view."""
    return _case_for(member, case_id, need)


def case_by_reference(office: Office, text: str) -> Case | None:
    """The office's case a text names as "C-1042" (an email subject), or None. For the shared
    inbox, which threads replies onto their case."""
    match = re.search(r"\bC-(\d{1,9})\b", text or "")
    if match is None:
        return None
    return Case.objects.for_office(office).filter(number=int(match.group(1))).first()


def valid_release(
    case: Case, *, agency: Organization | None, on: dt.date | None = None
) -> PrivacyRelease | None:
    """A privacy release of the case's constituent in force on `on` (today) that covers
    `agency` (a release for no particular agency covers all of them)."""
    on = on or timezone.localdate()
    releases = PrivacyRelease.objects.filter(
        case=case, person_id=case.primary_person_id, revoked_at__isnull=True, signed_on__lte=on
    ).filter(Q(expires_on__isnull=True) | Q(expires_on__gte=on))
    if agency is not None:
        releases = releases.filter(Q(agency__isnull=True) | Q(agency=agency))
    return releases.order_by("-signed_on", "-id").first()


# ---------------------------------------------------------------- lists and queues


@dataclass
class CaseFilter:
    queue: str = "all"
    status: str = ""
    case_type_id: int | None = None
    assignee_id: int | None = None
    team_id: int | None = None
    priority: int | None = None
    text: str = ""
    tag_ids: list[int] = field(default_factory=list)
    district_id: int | None = None
    person_id: int | None = None


def queue_filter(member: Membership, queue: str) -> Q:
    """The condition of one of the QUEUES, as seen by `member` (mine, my teams...)."""
    today = timezone.localdate()
    is_open = Q(status__in=OPEN_STATUSES)
    if queue == "all":
        return Q()
    if queue == "mine":
        return is_open & Q(assignee=member)
    if queue == "team":
        return is_open & Q(team__in=Team.objects.filter(members=member))
    if queue == "unassigned":
        return is_open & Q(assignee__isnull=True)
    if queue == "due_week":
        return is_open & Q(due_on__gte=today, due_on__lte=today + dt.timedelta(days=7))
    if queue == "overdue":
        return is_open & Q(due_on__lt=today)
    if queue == "waiting_agency":
        return Q(status=CaseStatus.WAITING_AGENCY)
    if queue == "closed":
        return Q(status__in=CLOSED_STATUSES)
    raise BadRequest(f"No queue called {queue!r}; the queues are {', '.join(QUEUES)}.")


def filtered_cases(member: Membership, flt: CaseFilter) -> QuerySet[Case]:
    cases = visible_cases(member).filter(queue_filter(member, flt.queue))
    if flt.status:
        if flt.status == "open":
            cases = cases.filter(status__in=OPEN_STATUSES)
        elif flt.status in CaseStatus.values:
            cases = cases.filter(status=flt.status)
        else:
            raise BadRequest(f"No case status called {flt.status!r}.")
    exact = {
        "case_type_id": flt.case_type_id, "assignee_id": flt.assignee_id,
        "team_id": flt.team_id, "priority": flt.priority,
    }  # fmt: skip
    cases = cases.filter(**{k: v for k, v in exact.items() if v is not None})
    if flt.person_id is not None:
        cases = cases.filter(parties__person_id=flt.person_id)
    if flt.district_id is not None:
        cases = cases.filter(district_links__district_id=flt.district_id)
    for tag_id in flt.tag_ids:
        cases = cases.filter(tag_links__tag_id=tag_id)
    text = " ".join(flt.text.split())
    if text:
        number = text.upper().removeprefix("C-")
        # The constituent's name in any order, accents and case aside (sort_name is folded).
        by_name = Q()
        for word in words(text):
            by_name &= Q(primary_person__sort_name__icontains=word)
        by_text = Q(subject__icontains=text) | (by_name if words(text) else Q(pk__in=[]))
        if number.isdigit():
            by_text |= Q(number=int(number))
        cases = cases.filter(by_text)
    return cases


@dataclass
class CasePage:
    items: list[Case]
    next_cursor: str | None
    total_count: int
    is_total_capped: bool = False  # more than COUNT_CAP cases match: total_count is the cap


# A list counts its matches exactly up to here, then says "more than": counting 200,000 rows on
# every page costs more than the page itself and tells nobody anything.
COUNT_CAP = 10_000


def _encode_cursor(case: Case) -> str:
    raw = json.dumps([case.updated_at.isoformat(), case.pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        stamp, pk = json.loads(raw)
        when = parse_datetime(stamp)
        if when is None or not isinstance(pk, int):
            raise ValueError
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError):
        raise BadCaseCursor(
            "That page link is not valid any more; start from the first page."
        ) from None
    return when, pk


def case_list(
    member: Membership, flt: CaseFilter, *, after: str | None = None, limit: int = 50
) -> CasePage:
    """A page of the cases the member may see, most recently worked on first. Keyset pages:
    `after` is the previous page's next_cursor; never OFFSET. The total is exact up to
    COUNT_CAP."""
    cases = filtered_cases(member, flt)
    total_count = cases.order_by()[: COUNT_CAP + 1].count()
    if after:
        when, pk = _decode_cursor(after)
        cases = cases.filter(updated_at__lte=when).filter(Q(updated_at__lt=when) | Q(id__lt=pk))
    rows = list(
        cases.select_related("case_type", "assignee__user", "team", "primary_person", "agency")
        .defer("description", "resolution", "primary_person__search_text")
        .order_by("-updated_at", "-id")[: limit + 1]
    )
    next_cursor = _encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return CasePage(
        items=rows[:limit],
        next_cursor=next_cursor,
        total_count=min(total_count, COUNT_CAP),
        is_total_capped=total_count > COUNT_CAP,
    )


# The queues whose tabs show how many cases they hold: the work queues, all of open cases.
COUNTED_QUEUES = ("mine", "team", "unassigned", "due_week", "overdue", "waiting_agency")


def queue_counts(member: Membership) -> dict[str, int]:
    """How many cases each work queue holds for this member (the queue tabs' badges). Only open
    cases are read: "all" and "finished" show no count."""
    open_cases = visible_cases(member).filter(status__in=OPEN_STATUSES)
    aggregates = {
        queue: Count("pk", filter=queue_filter(member, queue))
        for queue in COUNTED_QUEUES
        if queue != "team"
    }
    counts = open_cases.aggregate(**aggregates)
    counts["team"] = open_cases.filter(queue_filter(member, "team")).count()
    return counts


def case_people(case: Case) -> list:
    """The people of the case, the constituent first."""
    return [
        party.person
        for party in case.parties.select_related("person").order_by("-role", "person__sort_name")
        if party.person_id
    ]


# ---------------------------------------------------------------- history and "My work"


def case_history(case: Case) -> QuerySet[CaseAction]:
    """What happened on the case, newest first (the done and cancelled actions)."""
    return (
        CaseAction.objects.filter(case=case)
        .exclude(state=ActionState.PLANNED)
        .select_related("by__user", "assignee__user")
        .order_by("-occurred_at", "-id")
    )


def case_todos(case: Case) -> QuerySet[CaseAction]:
    """The case's ticklers still to do, soonest first."""
    return (
        CaseAction.objects.filter(case=case, state=ActionState.PLANNED)
        .select_related("assignee__user")
        .order_by("due_on", "id")
    )


def public_history(case: Case) -> QuerySet[CaseAction]:
    """The updates meant for the constituent: never internal notes."""
    return case_history(case).filter(is_public=True, state=ActionState.DONE)


def my_todos(member: Membership) -> QuerySet[CaseAction]:
    """The member's ticklers on open cases they may see: what "My work", its dashboard tile
    and the daily digest all count."""
    actions = CaseAction.objects.filter(
        office=member.office,
        assignee=member,
        state=ActionState.PLANNED,
        case__status__in=OPEN_STATUSES,
    )
    if not member.can("case.view_sensitive"):
        actions = actions.filter(Q(case__is_sensitive=False) | Q(case__assignee=member))
    return actions


def my_work(member: Membership, *, limit: int = 200) -> list[CaseAction]:
    """The member's ticklers on open cases they may see, overdue first then by due date."""
    return list(
        my_todos(member)
        .select_related("case", "case__primary_person", "case__case_type")
        .defer("case__description", "case__resolution", "case__primary_person__search_text")
        .order_by("due_on", "id")[:limit]
    )


def due_todos(member: Membership, *, on: dt.date) -> list[CaseAction]:
    """The member's ticklers due on or before `on` (the daily digest)."""
    return [action for action in my_work(member, limit=500) if action.due_on <= on]


# ---------------------------------------------------------------- configuration


def case_types(office: Office, *, active_only: bool = False) -> QuerySet[CaseType]:
    types = CaseType.objects.for_office(office).order_by("name")
    return types.filter(is_active=True) if active_only else types


def templates_for(office: Office, case_type: CaseType | None = None) -> QuerySet[CaseTemplate]:
    templates = (
        CaseTemplate.objects.for_office(office)
        .select_related("case_type", "default_assignee__user", "default_team")
        .prefetch_related("steps")
        .order_by("case_type__name", "name")
    )
    return templates.filter(case_type=case_type) if case_type is not None else templates


def teams(office: Office) -> QuerySet[Team]:
    return Team.objects.for_office(office).prefetch_related("members__user").order_by("name")


def team_names(office: Office) -> list[tuple[int, str]]:
    """(id, name) of the office's teams, for choosing one."""
    return list(Team.objects.for_office(office).order_by("name").values_list("pk", "name"))


def letter_templates(office: Office, *, active_only: bool = False) -> QuerySet[LetterTemplate]:
    templates = LetterTemplate.objects.for_office(office).order_by("kind", "name")
    return templates.filter(is_active=True) if active_only else templates


def caseworkers(office: Office) -> list[Membership]:
    """Active staff who may work on cases: the choices for an assignee."""
    members = Membership.objects.filter(office=office).active().select_related("user")
    return sorted(
        (m for m in members if m.can("case.edit")), key=lambda m: m.user.display_name.lower()
    )
