"""The view decorators of core/access.py, through a real page (the dashboard needs
`dashboard.view`; the staff list needs `member.view`)."""

import pytest
from django.test import Client
from django.urls import reverse

from civicdesk.accounts.models import Membership
from civicdesk.core.access import get_for_member, policy_of
from civicdesk.core.views import healthz


def test_a_member_page_sends_a_stranger_to_sign_in(db):
    response = Client().get(reverse("accounts:staff-list"))

    assert response.status_code == 302
    assert response.headers["location"] == "/accounts/login/?next=/office/staff/"


def test_a_login_page_sends_a_stranger_to_sign_in(db):
    response = Client().get(reverse("accounts:profile"))

    assert response.headers["location"] == "/accounts/login/?next=/profile/"


def test_someone_in_no_office_is_told_so(web, alice, adam):
    from civicdesk.accounts.services import deactivate_member

    client = web(alice)
    deactivate_member(alice, by=adam)

    response = client.get("/")

    assert response.status_code == 403
    assert "You are not working in any office" in response.text
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_a_role_without_the_permission_gets_403(web, victor):
    response = web(victor).get(reverse("accounts:staff-list"))

    assert response.status_code == 403


def test_get_for_member_checks_the_permission_before_the_office(alice, carol, victor):
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    with pytest.raises(PermissionDenied):
        get_for_member(victor, Membership.objects.all(), alice.pk, need="member.view")
    with pytest.raises(Http404):
        get_for_member(alice, Membership.objects.all(), carol.pk, need="member.view")
    assert get_for_member(alice, Membership.objects.all(), victor.pk, need="member.view") == victor


def test_decorators_keep_the_policy_through_other_decorators():
    assert policy_of(healthz) == "public"  # under never_cache


def test_healthz_says_ok(db):
    response = Client().get("/healthz")

    assert (response.status_code, response.json()) == (200, {"status": "ok", "database": "ok"})
    assert "no-cache" in response.headers["cache-control"]
