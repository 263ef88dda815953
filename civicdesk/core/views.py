"""Installation-level endpoints that belong to no domain: the health check, error pages."""

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from .access import public_view


@never_cache
@public_view
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers: 200 when the web process can reach its database."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def permission_denied(request: HttpRequest, exception=None):
    return render(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception=None):
    return render(request, "404.html", status=404)
