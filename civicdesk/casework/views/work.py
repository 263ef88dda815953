"""The pages a caseworker starts the day with: "My work" (their to-dos by due date, with a Done
button, and their cases coming due) and the status board (the office's cases by status)."""

import datetime as dt
from dataclasses import dataclass, field

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from civicdesk.accounts.models import Membership
from civicdesk.casework import queries, services, stats
from civicdesk.casework.models import CaseAction, CaseStatus
from civicdesk.core.access import get_for_member, require_member
from civicdesk.core.errors import DomainError
from civicdesk.core.htmx import partial_or_page
from civicdesk.core.net import posted_next

BOARD_CAP = 50


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False)) and not request.htmx.boosted


# ---------------------------------------------------------------- My work


@dataclass
class WorkGroup:
    key: str  # overdue, today, week, later
    title: str
    actions: list[CaseAction] = field(default_factory=list)
    more: int = 0  # to-dos of the group not listed (later ones come up as they fall due)
    total: int = 0


LATER_SHOWN = 20
MY_WORK_LIMIT = 200
GROUP_TITLES = {
    "overdue": gettext_lazy("Overdue"),
    "today": gettext_lazy("Due today"),
    "week": gettext_lazy("This week"),
    "later": gettext_lazy("Later"),
}


def work_groups(actions: list[CaseAction], today: dt.date) -> list[WorkGroup]:
    """The to-dos by when they are due: overdue, today, the next seven days, later. Each
    overdue to-do gets `days_overdue`. Empty groups are left out."""
    groups = {key: WorkGroup(key, str(title)) for key, title in GROUP_TITLES.items()}
    week_end = today + dt.timedelta(days=7)
    for action in actions:
        if action.due_on < today:
            action.days_overdue = (today - action.due_on).days
            key = "overdue"
        elif action.due_on == today:
            key = "today"
        else:
            key = "week" if action.due_on <= week_end else "later"
        groups[key].actions.append(action)
    for group in groups.values():
        group.total = len(group.actions)
    # What is due beyond this week needs no action today: a few are listed, the rest counted.
    later = groups["later"]
    later.more = max(0, len(later.actions) - LATER_SHOWN)
    later.actions = later.actions[:LATER_SHOWN]
    return [group for group in groups.values() if group.actions]


def _work_context(member: Membership) -> dict:
    today = stats.local_today(member.office)
    actions = queries.my_work(member, limit=MY_WORK_LIMIT)
    cases_due = stats.my_cases_due(member, today=today)
    for case in cases_due:
        case.is_overdue = case.due_on < today
    return {
        "today": today,
        "groups": work_groups(actions, today),
        # my_work lists at most MY_WORK_LIMIT: count the rest only when there are more.
        "todo_count": len(actions)
        if len(actions) < MY_WORK_LIMIT
        else queries.my_todos(member).count(),
        "cases_due": cases_due,
        "here": reverse("casework:my-work"),
    }


@require_GET
@require_member("case.view")
def my_work(request: HttpRequest) -> HttpResponse:
    template = partial_or_page(request, "casework/my_work.html", "work-groups")
    return render(request, template, _work_context(request.member))


@require_POST
@require_member("case.edit")
def action_done(request: HttpRequest, action_id: int) -> HttpResponse:
    """Tick a to-do off. With htmx from "My work" (target #my-work), answers its to-do lists
    anew (the row gone, the counts right); with htmx from elsewhere, an empty answer that swaps
    the row out (or a 409 saying why not); without htmx, goes back to the page it came from."""
    member = request.member
    # Only to-dos of cases this member may see: a sensitive case's is a 404 like a missing one.
    actions = CaseAction.objects.filter(case__in=queries.visible_cases(member))
    action = get_for_member(member, actions.select_related("case"), action_id, need="case.edit")
    error = None
    try:
        services.complete_action(action, by=member)
    except DomainError as exc:
        error = exc.message
    if _is_htmx(request) and request.htmx.target == "my-work":
        context = {**_work_context(member), "error": error, "done": None if error else action}
        return render(request, "casework/my_work.html#work-groups", context)
    if _is_htmx(request):
        return HttpResponse(error or "", status=409 if error else 200, content_type="text/plain")
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Done: %(subject)s") % {"subject": action.subject})
    return redirect(posted_next(request, reverse("casework:my-work")))


# ---------------------------------------------------------------- the status board


def _int_or_none(params: QueryDict, name: str) -> int | None:
    value = params.get(name, "")
    return int(value) if value.isdigit() else None


def _more_url(status: str, params: dict) -> str:
    """The case list showing every case of a column, with the board's filters."""
    query = {"status": status, **{name: value for name, value in params.items() if value}}
    return reverse("casework:case-list") + "?" + urlencode(query)


@require_GET
@require_member("case.view")
def board(request: HttpRequest) -> HttpResponse:
    member = request.member
    unassigned = request.GET.get("assignee") == "none"
    assignee_id = None if unassigned else _int_or_none(request.GET, "assignee")
    team_id = _int_or_none(request.GET, "team")
    case_type_id = _int_or_none(request.GET, "case_type")
    columns = stats.board(
        member, assignee_id=assignee_id, unassigned=unassigned, team_id=team_id,
        case_type_id=case_type_id, cap=BOARD_CAP,
    )  # fmt: skip
    # The case list calls "unassigned" a queue, not an assignee.
    list_params = {"queue": "unassigned" if unassigned else None, "assignee": assignee_id,
                   "team": team_id, "case_type": case_type_id}  # fmt: skip
    today = stats.local_today(member.office)
    for column in columns:
        column.more_url = _more_url(column.status, list_params)
        for card in column.cards:
            card.is_overdue = bool(
                card.due_on and card.due_on < today and column.status != CaseStatus.RESOLVED
            )
    template = partial_or_page(request, "casework/board.html", "board-columns")
    context = {
        "columns": columns,
        "assignee": "none" if unassigned else str(assignee_id or ""),
        "team": str(team_id or ""),
        "case_type": str(case_type_id or ""),
        "is_filtered": unassigned or any((assignee_id, team_id, case_type_id)),
        "assignees": queries.caseworkers(member.office),
        "teams": queries.teams(member.office),
        "case_types": queries.case_types(member.office),
        "resolved_days": stats.BOARD_RESOLVED_DAYS,
    }
    return render(request, template, context)


urlpatterns = [
    path("work/", my_work, name="my-work"),
    path("work/<int:action_id>/done/", action_done, name="action-done"),
    path("board/", board, name="board"),
]
