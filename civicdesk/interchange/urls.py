from django.urls import path

from . import views

app_name = "interchange"
urlpatterns = [
    path("", views.home, name="home"),
    path("import/", views.import_upload, name="import"),
    path("export/", views.export_start, name="export"),
    path("staged/bring-in/", views.bring_in, name="bring-in"),
    path("runs/<int:run_id>/", views.run_detail, name="run-detail"),
    path("runs/<int:run_id>/download/", views.run_download, name="run-download"),
]
