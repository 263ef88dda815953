"""Signing in through allauth's real pages: setting up TOTP when an admin must, signing in with
it, and the lock-out after repeated wrong passwords."""

import re

from playwright.sync_api import expect

from conftest import (
    PASSWORD,
    enter_totp_code,
    fresh_totp_code,
    sign_in_with_password,
    totp_code_now,
    wrong_totp_code,
)


def test_admin_sets_up_totp_then_signs_in_with_it(page, ada):
    sign_in_with_password(page, ada.user.email)
    expect(page).to_have_url(re.compile(r"/profile/two-factor-required/$"))
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    page.goto("/office/staff/")  # nothing else opens before the second factor is set up
    expect(page).to_have_url(re.compile(r"/profile/two-factor-required/$"))

    page.get_by_role("link", name="Use an authenticator app").click()
    # allauth asks for the password again before adding a factor, even just after sign-in.
    expect(page.get_by_role("heading", name="Confirm Access")).to_be_visible()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Activate Authenticator App")).to_be_visible()
    secret = page.get_by_label("Authenticator secret").input_value()
    page.get_by_label("Authenticator code").fill(wrong_totp_code(secret))
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_label("Authenticator code")).to_have_accessible_description(
        "Incorrect code."
    )
    page.get_by_label("Authenticator code").fill(totp_code_now(secret))
    page.get_by_role("button", name="Activate").click()

    expect(page.get_by_role("heading", name="Recovery Codes")).to_be_visible()
    codes = page.get_by_label("Unused codes").input_value().split()
    assert len(codes) == 10
    assert all(re.fullmatch(r"\d{8}", code) for code in codes)
    page.get_by_role("link", name="CivicDesk").click()
    expect(page.get_by_role("heading", level=1, name=ada.office.name)).to_be_visible()

    page.get_by_role("button", name="Account").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign In")).to_be_visible()

    sign_in_with_password(page, ada.user.email)
    enter_totp_code(page, wrong_totp_code(secret))
    expect(page.get_by_label("Code")).to_have_accessible_description("Incorrect code.")
    expect(page.get_by_role("heading", level=1, name=ada.office.name)).to_have_count(0)
    enter_totp_code(page, fresh_totp_code(secret))
    expect(page.get_by_role("heading", level=1, name=ada.office.name)).to_be_visible()
    expect(page).to_have_url(re.compile(r"^http://[^/]+/$"))


def test_sixth_wrong_password_locks_sign_in_and_keeps_the_email(page, alice):
    for _attempt in range(6):
        sign_in_with_password(page, alice.user.email, password="not the password")
    expect(page.get_by_text("Too many failed login attempts. Try again later.")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value(alice.user.email)

    page.get_by_label("Password").fill(PASSWORD)  # even the right password waits now
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_text("Too many failed login attempts. Try again later.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
