from django.urls import path

from . import views

app_name = "constituents"
urlpatterns = [
    path("", views.person_list, name="person-list"),
    path("new/", views.person_create, name="person-create"),
    path("bulk-tag/", views.person_bulk_tag, name="person-bulk-tag"),
    path("choose/", views.person_search, name="person-search"),
    path("contact-row/", views.contact_row, name="contact-row"),
    path("<int:person_id>/", views.person_detail, name="person-detail"),
    path("<int:person_id>/edit/", views.person_edit, name="person-edit"),
    path("<int:person_id>/delete/", views.person_delete, name="person-delete"),
    path("<int:person_id>/timeline/", views.person_timeline, name="person-timeline"),
    path("<int:person_id>/log/", views.interaction_log, name="interaction-log"),
    path("<int:person_id>/tags/", views.person_tags, name="person-tags"),
    path("<int:person_id>/consent/", views.person_consent, name="person-consent"),
    path("<int:person_id>/external-ids/", views.person_external_id, name="person-external-id"),
    path("<int:person_id>/positions/", views.person_position, name="person-position"),
    path("<int:person_id>/relationships/", views.person_relationship, name="person-relationship"),
    path("<int:person_id>/household/new/", views.household_create, name="household-create"),
    path("addresses/<int:address_id>/position/", views.address_position, name="address-position"),
    path("households/<int:household_id>/", views.household_detail, name="household-detail"),
    path("households/<int:household_id>/edit/", views.household_edit, name="household-edit"),
    path("households/<int:household_id>/delete/", views.household_delete, name="household-delete"),
    path("custom-fields/", views.custom_field_list, name="custom-field-list"),
    path("custom-fields/<int:field_id>/", views.custom_field_edit, name="custom-field-edit"),
    path("organizations/", views.organization_list, name="organization-list"),
    path("organizations/new/", views.organization_create, name="organization-create"),
    path(
        "organizations/<int:organization_id>/",
        views.organization_detail,
        name="organization-detail",
    ),
    path(
        "organizations/<int:organization_id>/edit/",
        views.organization_edit,
        name="organization-edit",
    ),
    path(
        "organizations/<int:organization_id>/delete/",
        views.organization_delete,
        name="organization-delete",
    ),
]
