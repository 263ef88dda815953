from django.urls import path

from . import views

app_name = "exports"
urlpatterns = [
    path("people/", views.people_export, name="people"),
    path("people/<int:person_id>/vcard/", views.person_vcard, name="person-vcard"),
    path("office/", views.office_export, name="office-export"),
    path(
        "office/<int:export_id>/download/",
        views.office_export_download,
        name="office-export-download",
    ),
    path("office/<int:export_id>/delete/", views.office_export_delete, name="office-export-delete"),
]
