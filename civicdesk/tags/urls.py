from django.urls import path

from . import views

app_name = "tags"
urlpatterns = [
    path("", views.tag_list, name="tag-list"),
    path("<int:tag_id>/", views.tag_detail, name="tag-detail"),
    path("typeahead/", views.typeahead, name="typeahead"),
    path("create-inline/", views.create_inline, name="create-inline"),
]
