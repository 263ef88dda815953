from .views import cases, config, letters, public, records, reports, work

app_name = "casework"
urlpatterns = [
    *cases.urlpatterns,
    *work.urlpatterns,
    *reports.urlpatterns,
    *letters.urlpatterns,
    *records.urlpatterns,
    *config.urlpatterns,
    *public.urlpatterns,
]
