"""URL map. Every view declares its access policy (core/access.py); the isolation test checks."""

from django.urls import include, path

from civicdesk.api import api
from civicdesk.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("", include("civicdesk.reports.urls")),
    path("", include("civicdesk.accounts.urls")),
    path("jobs/", include("civicdesk.jobs.urls")),
    path("audit/", include("civicdesk.audit.urls")),
    path("people/", include("civicdesk.constituents.urls")),
    path("cases/", include("civicdesk.casework.urls")),
    path("imports/", include("civicdesk.imports.urls")),
    path("duplicates/", include("civicdesk.dedupe.urls")),
    path("exports/", include("civicdesk.exports.urls")),
    path("interchange/", include("civicdesk.interchange.urls")),
    path("tags/", include("civicdesk.tags.urls")),
    path("districts/", include("civicdesk.geo.urls")),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", api.urls),
]

handler403 = "civicdesk.core.views.permission_denied"
handler404 = "civicdesk.core.views.page_not_found"
