from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from civicdesk.accounts.middleware import SESSION_OFFICE_KEY
from civicdesk.accounts.models import ApiToken, Membership, User
from civicdesk.accounts.permissions import PERMISSIONS
from civicdesk.accounts.services import create_api_token, deactivate_member
from civicdesk.accounts.tests.factories import MembershipFactory
from civicdesk.jobs.models import Job


def bearer(secret: str) -> Client:
    return Client(headers={"authorization": f"Bearer {secret}"})


def error(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message, "details": None}}


# ---------------------------------------------------------------- who am I


def test_me_describes_the_tokens_membership(api, alice):
    response = api(alice).get("/api/v1/me")

    assert response.status_code == 200
    body = response.json()
    assert body["member"] == {
        "id": alice.pk,
        "email": "alice@ward1.example",
        "full_name": "Alice Alvarez",
        "role": "caseworker",
        "is_active": True,
        "created_at": body["member"]["created_at"],
    }
    assert body["office"] == {
        "id": alice.office_id,
        "name": "Ward 1 — Council Member Reyes",
        "slug": "ward-1",
        "kind": "council_member",
        "jurisdiction": "",
        "time_zone": "UTC",
        "language": "en",
    }
    assert body["permissions"] == sorted(name for name in PERMISSIONS if alice.can(name))
    assert {"api.use", "member.view"} <= set(body["permissions"])
    assert {"member.invite", "audit.view"} & set(body["permissions"]) == set()


def test_a_token_acts_in_its_own_office_only(api, ward1, carol):
    from civicdesk.accounts.services import add_member

    add_member(ward1, email=carol.user.email, role="admin", by=None)

    body = api(carol).get("/api/v1/me").json()

    assert (body["office"]["slug"], body["member"]["role"]) == ("ward-2", "caseworker")


def test_office_describes_the_tokens_office(api, victor):
    response = api(victor).get("/api/v1/office")

    assert (response.status_code, response.json()["slug"]) == (200, "ward-1")


# ---------------------------------------------------------------- token authentication


def test_no_credentials_is_401_not_authenticated(db):
    response = Client().get("/api/v1/me")

    assert response.status_code == 401
    assert response.json() == error(
        "not_authenticated", "Send a personal API token: Authorization: Bearer <token>."
    )


def test_another_scheme_is_401_not_authenticated(db):
    response = Client(headers={"authorization": "Basic YWxpY2U6cGFzcw=="}).get("/api/v1/me")

    assert (response.status_code, response.json()["error"]["code"]) == (401, "not_authenticated")


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        ("malformed", "The API token is not valid."),
        ("expired", "The API token has expired; create a new one on your profile page."),
        ("revoked", "The API token was revoked."),
        ("user_inactive", "The API token's owner no longer has access to this office."),
        ("membership_inactive", "The API token's owner no longer has access to this office."),
    ],
)
def test_a_spoilt_token_is_401_with_the_reason(alice, spoil, message):
    token, secret = create_api_token(alice, name="script")
    assert bearer(secret).get("/api/v1/me").status_code == 200
    if spoil == "malformed":
        secret = "cd_not-a-token"
    elif spoil == "expired":
        ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(1))
    elif spoil == "revoked":
        ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    elif spoil == "user_inactive":
        User.objects.filter(pk=alice.user_id).update(is_active=False)
    else:  # a membership switched off behind the services' back still locks the token out
        Membership.objects.filter(pk=alice.pk).update(
            is_active=False, deactivated_at=timezone.now()
        )

    response = bearer(secret).get("/api/v1/me")

    assert response.status_code == 401
    assert response.json() == error("token_invalid", message)


def test_a_deactivated_members_token_stops_working(api, alice, adam):
    client = api(alice)

    deactivate_member(alice, by=adam)

    assert client.get("/api/v1/me").json() == error("token_invalid", "The API token was revoked.")


# ---------------------------------------------------------------- the browser session


def session_client(member: Membership, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(member.user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[SESSION_OFFICE_KEY] = member.office_id
    session.save()
    return client


def test_the_browser_session_reads_the_api(web, alice):
    response = web(alice).get("/api/v1/me")

    assert (response.status_code, response.json()["member"]["id"]) == (200, alice.pk)


def test_the_browser_session_needs_the_csrf_token_to_write(adam):
    client = session_client(adam, enforce_csrf_checks=True)

    refused = client.post("/api/v1/audit/verify")

    assert refused.status_code == 403
    assert refused.json() == error("error", "CSRF check Failed")
    assert Job.objects.count() == 0
    client.get("/")  # a page sets the CSRF cookie, as in the browser
    accepted = client.post(
        "/api/v1/audit/verify", headers={"x-csrftoken": client.cookies["csrftoken"].value}
    )
    assert accepted.status_code == 202
    assert Job.objects.count() == 1


def test_a_token_needs_no_csrf_token(alice, adam):
    _token, secret = create_api_token(adam, name="script")
    client = Client(enforce_csrf_checks=True, headers={"authorization": f"Bearer {secret}"})

    assert client.post("/api/v1/audit/verify").status_code == 202


# ---------------------------------------------------------------- staff


def test_members_pages_through_everyone_once(api, adam, ward1, carol):
    MembershipFactory.create_batch(6, office=ward1)
    expected = list(
        Membership.objects.filter(office=ward1).order_by("-id").values_list("id", flat=True)
    )
    client = api(adam)

    seen, pages, url = [], 0, "/api/v1/members?page_size=3"
    while url:
        body = client.get(url).json()
        seen += [member["id"] for member in body["results"]]
        pages, url = pages + 1, body["next"]

    assert (seen, pages) == (expected, 3)
    assert carol.pk not in seen


def test_members_hides_the_inactive_unless_asked(api, adam, alice):
    deactivate_member(alice, by=adam)
    client = api(adam)

    active = [m["email"] for m in client.get("/api/v1/members").json()["results"]]
    everyone = [
        m["email"] for m in client.get("/api/v1/members?include_inactive=true").json()["results"]
    ]

    assert active == ["adam@ward1.example"]
    assert everyone == ["alice@ward1.example", "adam@ward1.example"]


def test_members_queries_do_not_grow_with_the_staff(
    api, adam, ward1, django_assert_max_num_queries
):
    client = api(adam)
    client.get("/api/v1/members")  # the token's first use of the minute is written down
    with django_assert_max_num_queries(2):
        few = client.get("/api/v1/members").json()["results"]
    MembershipFactory.create_batch(30, office=ward1)
    with django_assert_max_num_queries(2):
        many = client.get("/api/v1/members").json()["results"]

    assert (len(few), len(many)) == (1, 31)


def test_one_member_by_id(api, alice, victor):
    response = api(alice).get(f"/api/v1/members/{victor.pk}")

    assert (response.status_code, response.json()["email"]) == (200, "victor@ward1.example")


def test_a_volunteer_may_not_list_staff(api, victor):
    response = api(victor).get("/api/v1/members")

    assert response.status_code == 403
    assert response.json() == error("forbidden", "Your role does not allow this.")
