from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("office/switch/", views.switch_office, name="switch-office"),
    path("office/settings/", views.office_settings, name="office-settings"),
    path("office/logo/", views.office_logo, name="office-logo"),
    path("office/staff/", views.staff_list, name="staff-list"),
    path("office/staff/<int:member_id>/", views.staff_detail, name="staff-detail"),
    path(
        "office/invitations/<int:invitation_id>/revoke/",
        views.revoke_invitation,
        name="revoke-invitation",
    ),
    path("invite/<str:secret>/", views.accept_invitation, name="accept-invitation"),
    path("profile/", views.profile, name="profile"),
    path("profile/tokens/<int:token_id>/revoke/", views.revoke_token, name="revoke-token"),
    path("profile/two-factor-required/", views.mfa_required, name="mfa-required"),
]
