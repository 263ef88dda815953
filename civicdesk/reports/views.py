"""Pages: the dashboard home and the global search."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from civicdesk.core.access import require_member

from .search import search as run_search
from .tiles import tiles_for


def case_status_chart(member) -> dict | None:
    """The dashboard's "Open cases by status" chart (drawn by casework/reports.js), for those
    who may see cases, once there are open ones."""
    from civicdesk.casework import stats

    if not member.can("case.view"):
        return None
    tallies = stats.open_by_status(member)
    if not any(t.count for t in tallies):
        return None
    return {
        "rows": tallies,
        "total": sum(t.count for t in tallies),
        "data": {
            "type": "doughnut",
            "horizontal": False,
            "labels": [t.label for t in tallies],
            "datasets": [{"label": _("Open cases"), "data": [t.count for t in tallies]}],
        },
    }


@require_member("dashboard.view")
def home(request: HttpRequest) -> HttpResponse:
    work_tiles, setup_tiles = tiles_for(request.member)
    context = {
        "work_tiles": work_tiles,
        "setup_tiles": setup_tiles,
        "case_chart": case_status_chart(request.member),
    }
    return render(request, "reports/home.html", context)


@require_member("search.use")
def search(request: HttpRequest) -> HttpResponse:
    text = request.GET.get("q", "")[:200]
    return render(
        request, "reports/search.html", {"q": text, "groups": run_search(request.member, text)}
    )
