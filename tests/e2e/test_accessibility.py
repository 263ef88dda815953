"""Every main page, signed out, half signed in (an admin before setting up a second factor)
and signed in: no serious or critical axe-core violation, and under the real
Content-Security-Policy no console error and no CSP violation."""

import re

import pytest
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.urls import reverse
from playwright.sync_api import expect

from civicdesk.accounts.permissions import Role
from civicdesk.accounts.services import create_api_token, invite_member
from civicdesk.audit.services import start_verification
from conftest import (
    PASSWORD,
    axe_violations,
    enter_totp_code,
    fresh_totp_code,
    run_worker,
    sign_in_with_password,
    wrong_totp_code,
)

NOT_FOUND_LOG = r"Failed to load resource: the server responded with a status of 404"
PAGE_COUNT = 25


@pytest.fixture
def every_page(new_context, adam, ada, alice, carol):
    """every_page(bypass_csp=...) opens each page in turn, in fresh contexts, and yields the
    page after each has loaded: the sign-in steps (with and without an error), the set-up of a
    second factor, then every page of Ward 1 as its admin, error pages included."""
    RecoveryCodes.activate(adam.user)
    job = start_verification(by=adam)
    run_worker()
    invite_member(adam.office, email="nia@ward1.example", role=Role.CASEWORKER, by=adam)
    create_api_token(adam, name="Website contact form")
    signed_in_pages = {
        reverse("reports:home"): 200,
        reverse("reports:search"): 200,
        reverse("reports:search") + "?q=zzzz": 200,
        reverse("reports:search") + "?q=Alice": 200,
        reverse("jobs:job-list"): 200,
        reverse("jobs:job-detail", args=[job.pk]): 200,
        reverse("accounts:staff-list"): 200,
        reverse("accounts:staff-detail", args=[alice.pk]): 200,
        reverse("accounts:office-settings"): 200,
        reverse("audit:event-list"): 200,
        reverse("constituents:custom-field-list"): 200,
        reverse("audit:event-list") + f"?actor_id={adam.pk}&action=zzzz": 200,
        reverse("accounts:profile"): 200,
        reverse("mfa_index"): 200,
        reverse("mfa_view_recovery_codes"): 200,
        reverse("account_change_password"): 200,
        "/no-such-page/": 404,
        reverse("accounts:staff-detail", args=[carol.pk]): 404,  # Ward 2's: not found here
    }
    ward = adam.office

    def walk(*, bypass_csp: bool):
        page = new_context(bypass_csp=bypass_csp).new_page()
        assert page.goto(reverse("account_reset_password")).status == 200
        yield page
        sign_in_with_password(page, adam.user.email, password="wrong password")
        expect(page.get_by_role("alert")).to_be_visible()
        yield page
        sign_in_with_password(page, adam.user.email)
        enter_totp_code(page, wrong_totp_code(adam.totp_secret))
        expect(page.get_by_text("Incorrect code.")).to_be_visible()
        yield page
        enter_totp_code(page, fresh_totp_code(adam.totp_secret))
        expect(page.get_by_role("heading", level=1, name=ward.name)).to_be_visible()
        for url, status in signed_in_pages.items():
            assert page.goto(url).status == status, url
            yield page

        half_signed_in = new_context(bypass_csp=bypass_csp).new_page()
        assert half_signed_in.goto(reverse("account_login")).status == 200
        yield half_signed_in
        sign_in_with_password(half_signed_in, ada.user.email)
        expect(half_signed_in).to_have_url(re.compile(reverse("accounts:mfa-required") + "$"))
        yield half_signed_in
        half_signed_in.get_by_role("link", name="Use an authenticator app").click()
        expect(half_signed_in.get_by_role("heading", name="Confirm Access")).to_be_visible()
        yield half_signed_in
        half_signed_in.get_by_label("Password").fill(PASSWORD)
        half_signed_in.get_by_role("button", name="Confirm").click()
        expect(half_signed_in.get_by_label("Authenticator secret")).to_be_visible()
        yield half_signed_in

    return walk


def test_no_page_has_serious_accessibility_violations(every_page, page_problems):
    page_problems.allow(NOT_FOUND_LOG)
    violations, count = [], 0
    for page in every_page(bypass_csp=True):
        violations += axe_violations(page)
        count += 1
    assert not violations, "axe-core found:\n" + "\n".join(violations)
    assert count == PAGE_COUNT


def test_no_page_breaks_the_content_security_policy(every_page, page_problems):
    page_problems.allow(NOT_FOUND_LOG)
    assert len(list(every_page(bypass_csp=False))) == PAGE_COUNT
    assert page_problems.unexpected() == []
