from django.urls import path

from . import views

app_name = "dedupe"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("<int:pair_id>/", views.pair_detail, name="pair-detail"),
    path("<int:pair_id>/merge/", views.pair_merge, name="pair-merge"),
    path("<int:pair_id>/decide/", views.pair_decide, name="pair-decide"),
    path("merges/", views.merge_list, name="merge-list"),
    path("merges/<int:merge_id>/undo/", views.merge_undo, name="merge-undo"),
    path("settings/", views.settings_page, name="settings"),
    path("scan/", views.scan, name="scan"),
]
