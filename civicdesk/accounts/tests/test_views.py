import io
import os
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from civicdesk.accounts.middleware import SESSION_OFFICE_KEY
from civicdesk.accounts.models import ApiToken, Invitation, Membership, Office, User
from civicdesk.accounts.services import (
    add_member,
    create_api_token,
    hash_secret,
    invite_member,
)
from civicdesk.accounts.tests.factories import MembershipFactory
from civicdesk.audit.models import AuditEvent
from conftest import PASSWORD

STAFF_LIST = reverse("accounts:staff-list")
SETTINGS = reverse("accounts:office-settings")
PROFILE = reverse("accounts:profile")


def png(size: tuple[int, int] = (1, 1), *, noise: bool = False) -> bytes:
    """A real PNG (noise does not compress, so a large one stays large)."""
    pixels = os.urandom(size[0] * size[1] * 3) if noise else bytes(size[0] * size[1] * 3)
    buffer = io.BytesIO()
    Image.frombytes("RGB", size, pixels).save(buffer, "PNG")
    return buffer.getvalue()


def office_form(office: Office, **changes) -> dict:
    data = {
        "name": office.name,
        "kind": office.kind,
        "jurisdiction": office.jurisdiction,
        "time_zone": office.time_zone,
        "language": office.language,
        "address": office.address,
    }
    return {**data, **changes}


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# ---------------------------------------------------------------- staff


def test_staff_list_shows_the_offices_people_only(web, adam, alice, carol):
    response = web(adam).get(STAFF_LIST)

    assert response.status_code == 200
    assert [m.user.email for m in response.context["members"]] == [
        "adam@ward1.example",
        "alice@ward1.example",
    ]
    assert "carol@ward2.example" not in response.text


def test_staff_list_queries_do_not_grow_with_the_staff(
    web, adam, ward1, django_assert_max_num_queries
):
    client = web(adam)
    invite_member(ward1, email="newbie@example.org", role="viewer", by=adam)
    client.get(STAFF_LIST)  # warm the session and the permission caches
    MembershipFactory.create_batch(3, office=ward1)
    with django_assert_max_num_queries(10):
        small = client.get(STAFF_LIST)
    MembershipFactory.create_batch(20, office=ward1)
    with django_assert_max_num_queries(10):
        large = client.get(STAFF_LIST)

    assert (len(small.context["members"]), len(large.context["members"])) == (4, 24)


def test_an_admin_invites_by_email(web, adam, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = web(adam).post(STAFF_LIST, {"email": "newbie@example.org", "role": "viewer"})

    assert response.status_code == 302
    assert response.headers["location"] == STAFF_LIST
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.office) == (
        "newbie@example.org",
        "viewer",
        adam.office,
    )
    assert [m.to for m in mailoutbox] == [["newbie@example.org"]]


def test_a_caseworker_cannot_invite(web, alice, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = web(alice).post(STAFF_LIST, {"email": "newbie@example.org", "role": "admin"})

    assert response.status_code == 403
    assert (Invitation.objects.count(), mailoutbox) == (0, [])


def test_inviting_a_member_shows_the_error_on_the_form(web, adam, alice):
    response = web(adam).post(STAFF_LIST, {"email": "alice@ward1.example", "role": "viewer"})

    assert response.status_code == 200
    assert response.context["invite_form"].errors == {
        "email": ["alice@ward1.example is already a member of Ward 1 — Council Member Reyes."]
    }
    assert Invitation.objects.count() == 0


def test_an_admin_withdraws_an_invitation(web, adam, ward1):
    invitation, _secret = invite_member(ward1, email="newbie@example.org", role="viewer", by=adam)

    response = web(adam).post(reverse("accounts:revoke-invitation", args=[invitation.pk]))

    invitation.refresh_from_db()
    assert response.status_code == 302
    assert invitation.revoked_at is not None
    assert AuditEvent.objects.filter(action="member.invitation_revoked").count() == 1


def test_staff_detail_shows_the_person(web, adam, alice):
    response = web(adam).get(reverse("accounts:staff-detail", args=[alice.pk]))

    assert response.status_code == 200
    assert response.context["target"] == alice
    assert "alice@ward1.example" in response.text


def test_an_admin_changes_a_role(web, adam, alice):
    url = reverse("accounts:staff-detail", args=[alice.pk])

    response = web(adam).post(url, {"action": "role", "role": "manager"})

    alice.refresh_from_db()
    assert (response.status_code, response.headers["location"]) == (302, url)
    assert alice.role == "manager"


def test_a_caseworker_cannot_change_a_role(web, alice, victor):
    url = reverse("accounts:staff-detail", args=[victor.pk])

    response = web(alice).post(url, {"action": "role", "role": "admin"})

    victor.refresh_from_db()
    assert response.status_code == 302
    assert messages_of(response) == ["Your role does not allow this."]
    assert victor.role == "volunteer"


def test_an_unknown_staff_action_is_a_bad_request(web, adam, alice):
    response = web(adam).post(reverse("accounts:staff-detail", args=[alice.pk]), {"action": "x"})

    alice.refresh_from_db()
    assert response.status_code == 400
    assert (alice.role, alice.is_active) == ("caseworker", True)


def test_the_last_admin_cannot_deactivate_themselves(web, adam):
    response = web(adam).post(
        reverse("accounts:staff-detail", args=[adam.pk]), {"action": "deactivate"}
    )

    adam.refresh_from_db()
    assert messages_of(response) == [
        "This is the office's last admin; make someone else admin first."
    ]
    assert adam.is_active is True


def test_a_deactivated_person_loses_the_office_at_once(web, api, adam, alice):
    browser, script = web(alice), api(alice)
    assert browser.get("/").status_code == 200
    assert script.get("/api/v1/me").status_code == 200

    web(adam).post(reverse("accounts:staff-detail", args=[alice.pk]), {"action": "deactivate"})

    page = browser.get("/")
    assert page.status_code == 403
    assert "You are not working in any office" in page.text
    assert script.get("/api/v1/me").json()["error"]["code"] == "token_invalid"


def test_an_admin_gives_access_back(web, adam, alice):
    url = reverse("accounts:staff-detail", args=[alice.pk])
    web(adam).post(url, {"action": "deactivate"})

    web(adam).post(url, {"action": "reactivate"})

    alice.refresh_from_db()
    assert alice.is_active is True
    assert web(alice).get("/").status_code == 200


# ---------------------------------------------------------------- office settings


def test_office_settings_saves_and_audits_where_from(web, adam, ward1):
    response = web(adam).post(
        SETTINGS,
        office_form(ward1, jurisdiction="City of Riverton, Ward 1", require_mfa_for_all="on"),
        REMOTE_ADDR="203.0.113.7",
        HTTP_USER_AGENT="Firefox/140.0 (tests)",
    )

    ward1.refresh_from_db()
    assert (response.status_code, response.headers["location"]) == (302, SETTINGS)
    assert (ward1.jurisdiction, ward1.require_mfa_for_all) == ("City of Riverton, Ward 1", True)
    event = AuditEvent.objects.get(action="office.changed")
    assert event.changes == {
        "jurisdiction": ["", "City of Riverton, Ward 1"],
        "require_mfa_for_all": [False, True],
    }
    assert (event.actor_id, event.ip, event.user_agent) == (
        adam.pk,
        "203.0.113.7",
        "Firefox/140.0 (tests)",
    )


def test_office_settings_keeps_typed_values_on_error(web, adam, ward1):
    response = web(adam).post(
        SETTINGS, office_form(ward1, name="", jurisdiction="Typed but not saved")
    )

    ward1.refresh_from_db()
    assert response.status_code == 200
    assert response.context["form"].errors == {"name": ["This field is required."]}
    assert 'value="Typed but not saved"' in response.text
    assert ward1.jurisdiction == ""
    assert AuditEvent.objects.filter(action="office.changed").count() == 0


def test_only_an_admin_opens_office_settings(web, alice, ward1):
    response = web(alice).post(SETTINGS, office_form(ward1, jurisdiction="Mine now"))

    ward1.refresh_from_db()
    assert response.status_code == 403
    assert ward1.jurisdiction == ""


def test_an_uploaded_logo_is_served_to_the_office_only(web, adam, alice, carol, ward1):
    logo = SimpleUploadedFile("logo.png", png(), content_type="image/png")
    web(adam).post(SETTINGS, {**office_form(ward1), "logo": logo})

    ward1.refresh_from_db()
    assert ward1.logo.name.startswith("office-logos/logo")
    response = web(alice).get(reverse("accounts:office-logo"))
    assert (response.status_code, b"".join(response.streaming_content)) == (200, png())
    assert web(carol).get(reverse("accounts:office-logo")).status_code == 404


def test_a_logo_over_2_mb_is_refused(web, adam, ward1):
    big = SimpleUploadedFile("logo.png", png((1000, 800), noise=True), content_type="image/png")

    response = web(adam).post(SETTINGS, {**office_form(ward1), "logo": big})

    ward1.refresh_from_db()
    assert response.status_code == 200
    assert response.context["form"].errors["logo"] == ["The logo must be under 2 MB."]
    assert not ward1.logo


# ---------------------------------------------------------------- profile and tokens


def test_a_new_token_is_shown_once_and_stored_as_a_hash(web, alice):
    client = web(alice)

    response = client.post(PROFILE, {"create_token": "1", "name": "Deploy script", "days": "30"})

    secret = response.context["new_token"]
    token = ApiToken.objects.get()
    assert (token.name, token.membership, token.token_hash) == (
        "Deploy script",
        alice,
        hash_secret(secret),
    )
    assert secret in response.text
    assert secret not in client.get(PROFILE).text
    assert f"cd_{token.prefix}" in client.get(PROFILE).text


def test_a_token_form_error_creates_nothing(web, alice):
    response = web(alice).post(PROFILE, {"create_token": "1", "name": "x", "days": "400"})

    assert response.status_code == 200
    assert response.context["token_form"].errors == {
        "days": ["Ensure this value is less than or equal to 366."]
    }
    assert (response.context["new_token"], ApiToken.objects.count()) == (None, 0)


def test_revoking_a_token_stops_it_working(web, api, alice):
    token, secret = create_api_token(alice, name="script")

    response = web(alice).post(reverse("accounts:revoke-token", args=[token.pk]))

    token.refresh_from_db()
    assert (response.status_code, response.headers["location"]) == (302, PROFILE)
    assert token.revoked_at is not None
    assert messages_of(response) == ["Token “script” revoked; it no longer works."]


def test_nobody_revokes_a_colleagues_token(web, adam, alice):
    token, _secret = create_api_token(alice, name="script")

    response = web(adam).post(reverse("accounts:revoke-token", args=[token.pk]))

    token.refresh_from_db()
    assert (response.status_code, token.revoked_at) == (404, None)


def test_profile_saves_the_name(web, alice):
    response = web(alice).post(PROFILE, {"save_profile": "1", "full_name": "  Alice A. Alvarez "})

    alice.user.refresh_from_db()
    assert response.status_code == 302
    assert alice.user.full_name == "Alice A. Alvarez"


# ---------------------------------------------------------------- switching offices


@pytest.fixture
def carol_in_ward1(ward1, carol) -> Membership:
    return add_member(ward1, email=carol.user.email, role="viewer", by=None)


def test_switching_office_changes_where_one_works(web, carol, carol_in_ward1, ward1):
    client = web(carol)
    assert client.get("/").context["member"] == carol

    response = client.post(reverse("accounts:switch-office"), {"office_id": ward1.pk})

    assert response.status_code == 302
    assert client.session[SESSION_OFFICE_KEY] == ward1.pk
    assert client.get("/").context["member"] == carol_in_ward1


def test_switching_to_someone_elses_office_changes_nothing(web, alice, ward1, ward2):
    client = web(alice)

    response = client.post(reverse("accounts:switch-office"), {"office_id": ward2.pk})

    assert messages_of(response) == ["You are not a member of that office."]
    assert client.session[SESSION_OFFICE_KEY] == ward1.pk
    assert client.get("/").context["member"] == alice


def test_the_header_offers_only_ones_own_offices(web, carol, carol_in_ward1):
    response = web(carol).get("/")

    assert [m.office.slug for m in response.context["other_memberships"]()] == ["ward-1"]


def test_a_deactivated_membership_is_not_offered(web, adam, carol, carol_in_ward1, ward1):
    carol_in_ward1.is_active, carol_in_ward1.deactivated_at = False, timezone.now()
    carol_in_ward1.save()
    client = web(carol)

    client.post(reverse("accounts:switch-office"), {"office_id": ward1.pk})

    assert client.get("/").context["member"] == carol
    assert list(client.get("/").context["other_memberships"]()) == []


# ---------------------------------------------------------------- invitation links


def test_a_new_person_joins_through_the_link(client, ward1, adam):
    _invitation, secret = invite_member(ward1, email="newbie@example.org", role="viewer", by=adam)
    url = reverse("accounts:accept-invitation", args=[secret])
    assert "Join Ward 1 — Council Member Reyes" in client.get(url).text

    response = client.post(
        url, {"full_name": "Nora Newbie", "password1": PASSWORD, "password2": PASSWORD}
    )

    assert (response.status_code, response.headers["location"]) == (302, "/")
    member = Membership.objects.get(user__email="newbie@example.org")
    assert (member.office, member.role, member.user.full_name) == (ward1, "viewer", "Nora Newbie")
    assert client.get("/").context["member"] == member


def test_a_join_form_error_creates_nobody(client, ward1, adam):
    _invitation, secret = invite_member(ward1, email="newbie@example.org", role="viewer", by=adam)

    response = client.post(
        reverse("accounts:accept-invitation", args=[secret]),
        {"full_name": "Nora", "password1": PASSWORD, "password2": PASSWORD + "!"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"password2": ["The two passwords differ."]}
    assert 'value="Nora"' in response.text
    assert not User.objects.filter(email="newbie@example.org").exists()


def test_someone_with_an_account_joins_then_signs_in(client, ward1, adam, carol):
    _invitation, secret = invite_member(ward1, email=carol.user.email, role="viewer", by=adam)

    response = client.post(reverse("accounts:accept-invitation", args=[secret]), {"x": "1"})

    assert response.headers["location"] == reverse("account_login")
    assert Membership.objects.get(office=ward1, user=carol.user).role == "viewer"
    carol.user.refresh_from_db()
    assert carol.user.check_password(PASSWORD)


def test_a_signed_in_person_joins_with_one_click(web, ward1, adam, carol):
    _invitation, secret = invite_member(ward1, email=carol.user.email, role="viewer", by=adam)
    client = web(carol)

    response = client.post(reverse("accounts:accept-invitation", args=[secret]), {"x": "1"})

    joined = Membership.objects.get(office=ward1, user=carol.user)
    assert (response.headers["location"], joined.role) == ("/", "viewer")
    assert client.get("/").context["member"] == joined


def test_a_signed_in_person_cannot_take_someone_elses_invitation(web, ward1, adam, carol):
    _invitation, secret = invite_member(ward1, email="newbie@example.org", role="admin", by=adam)
    url = reverse("accounts:accept-invitation", args=[secret])

    response = web(carol).post(url, {"x": "1"})

    assert response.headers["location"] == url
    assert messages_of(response) == [
        "This invitation is for newbie@example.org; sign out and open the link again."
    ]
    assert not Membership.objects.filter(office=ward1, user=carol.user).exists()


@pytest.mark.parametrize("state", ["expired", "used", "withdrawn"])
def test_a_dead_link_is_404_and_joins_nobody(client, ward1, adam, state):
    invitation, secret = invite_member(ward1, email="newbie@example.org", role="viewer", by=adam)
    field = {"expired": "expires_at", "used": "accepted_at", "withdrawn": "revoked_at"}[state]
    moment = timezone.now() - timedelta(seconds=1)
    Invitation.objects.filter(pk=invitation.pk).update(**{field: moment})
    url = reverse("accounts:accept-invitation", args=[secret])

    page = client.get(url)
    post = client.post(url, {"full_name": "N", "password1": PASSWORD, "password2": PASSWORD})

    assert (page.status_code, post.status_code) == (404, 404)
    assert "This link does not work" in page.text
    assert not User.objects.filter(email="newbie@example.org").exists()


def test_the_sign_in_page_explains_invitations_instead_of_offering_sign_up(client, db):
    response = client.get("/accounts/login/")

    assert response.status_code == 200
    assert "by an invitation from their office" in response.content.decode()
    assert "/accounts/signup/" not in response.content.decode()
