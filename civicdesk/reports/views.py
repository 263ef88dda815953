"""Pages: the dashboard home and the global search."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from civicdesk.core.access import require_member

from .search import search as run_search
from .tiles import tiles_for


@require_member("dashboard.view")
def home(request: HttpRequest) -> HttpResponse:
    work_tiles, setup_tiles = tiles_for(request.member)
    return render(
        request, "reports/home.html", {"work_tiles": work_tiles, "setup_tiles": setup_tiles}
    )


@require_member("search.use")
def search(request: HttpRequest) -> HttpResponse:
    text = request.GET.get("q", "")[:200]
    return render(
        request, "reports/search.html", {"q": text, "groups": run_search(request.member, text)}
    )
