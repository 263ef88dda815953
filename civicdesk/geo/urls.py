from django.urls import path

from . import views

app_name = "geo"
urlpatterns = [
    path("", views.layer_list, name="layer-list"),
    path("import/", views.layer_import, name="layer-import"),
    path("<int:layer_id>/", views.layer_detail, name="layer-detail"),
    path("<int:layer_id>/geojson/", views.layer_geojson, name="layer-geojson"),
    path("<int:layer_id>/delete/", views.layer_delete, name="layer-delete"),
    path(
        "<int:layer_id>/districts/<int:district_id>/outline/",
        views.district_outline,
        name="district-outline",
    ),
]
