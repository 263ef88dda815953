from django.test import Client
from django.urls import reverse

from civicdesk.accounts.models import User
from conftest import PASSWORD, give_totp, totp_code

MFA_REQUIRED = reverse("accounts:mfa-required")


def test_an_admin_without_a_second_factor_is_sent_to_set_one_up(web, admin_without_mfa):
    client = web(admin_without_mfa)

    home = client.get("/")
    page = client.get(MFA_REQUIRED)

    assert (home.status_code, home.headers["location"]) == (302, MFA_REQUIRED)
    assert page.status_code == 200
    assert "Admins of an office must sign in with a second factor" in page.text
    assert client.get(reverse("mfa_index")).status_code == 200


def test_the_api_and_sign_out_stay_open_without_a_second_factor(web, api, admin_without_mfa):
    assert api(admin_without_mfa).get("/api/v1/me").status_code == 200
    assert web(admin_without_mfa).post(reverse("account_logout")).status_code == 302


def test_an_admin_with_totp_works_normally(web, adam):
    client = web(adam)

    assert client.get("/").status_code == 200
    assert client.get(MFA_REQUIRED).headers["location"] == "/"


def test_a_caseworker_needs_no_second_factor_by_default(web, alice):
    assert web(alice).get("/").status_code == 200


def test_an_office_can_require_a_second_factor_of_everyone(web, alice, ward1):
    ward1.require_mfa_for_all = True
    ward1.save()
    client = web(alice)

    assert client.get("/").headers["location"] == MFA_REQUIRED
    assert (
        "Your office asks everyone to sign in with a second factor."
        in client.get(MFA_REQUIRED).text
    )

    give_totp(alice)
    assert client.get("/").status_code == 200


def test_the_other_offices_rule_does_not_apply(web, carol, ward1):
    ward1.require_mfa_for_all = True
    ward1.save()

    assert web(carol).get("/").status_code == 200


def test_a_one_time_password_must_be_changed_first(web, alice):
    User.objects.filter(pk=alice.user_id).update(password_change_required=True)
    client = web(alice)

    response = client.get("/")

    assert response.headers["location"] == reverse("account_change_password")
    assert client.get(reverse("account_change_password")).status_code == 200


def test_signing_in_asks_an_admin_for_the_totp_code(db, adam):
    client = Client()

    response = client.post(
        reverse("account_login"), {"login": adam.user.email, "password": PASSWORD}
    )
    assert response.headers["location"] == reverse("mfa_authenticate")
    assert client.get("/").headers["location"].startswith(reverse("account_login"))

    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(adam.totp_secret)})
    assert response.headers["location"] == "/"
    assert client.get("/").context["member"] == adam


def test_a_wrong_password_signs_nobody_in(db, alice):
    client = Client()

    response = client.post(reverse("account_login"), {"login": alice.user.email, "password": "no"})

    assert response.status_code == 200
    assert client.get("/").status_code == 302
