"""Forms keep what was typed when they refuse it; a new API token is shown exactly once."""

import re

from playwright.sync_api import expect

from civicdesk.accounts.models import ApiToken, Invitation
from conftest import login


def test_invitation_with_a_bad_email_keeps_what_was_typed(page, adam):
    login(page, adam)
    page.goto("/office/staff/")
    email, role = page.get_by_label("Email"), page.get_by_label("Role")
    email.fill("maria.lopez@ward1")
    role.select_option(label="Manager")
    page.get_by_role("button", name="Send invitation").click()

    expect(page.get_by_text("Enter a valid email address.")).to_be_visible()
    expect(email).to_have_value("maria.lopez@ward1")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(role).to_have_value("manager")
    assert Invitation.objects.count() == 0

    email.fill("maria.lopez@ward1.example")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Invitation sent to maria.lopez@ward1.example."
    )
    expect(
        page.get_by_role("listitem").filter(has_text="maria.lopez@ward1.example")
    ).to_contain_text("Manager")
    assert Invitation.objects.get().email == "maria.lopez@ward1.example"


def test_new_api_token_is_shown_once_and_can_be_revoked(page, adam):
    login(page, adam)
    page.goto("/profile/")
    page.get_by_label("What is it for?").fill("Newsletter sync")
    page.get_by_label("Valid for (days)").fill("30")
    page.get_by_role("button", name="Create a token").click()

    secret = page.locator("#new-token").inner_text()
    assert re.fullmatch(r"cd_[0-9a-f]{8}_\S{43}", secret)
    row = page.get_by_role("row").filter(has_text="Newsletter sync")
    expect(row).to_contain_text(f"cd_{secret[3:11]}")
    expect(page.get_by_label("What is it for?")).to_have_value("")  # ready for another one

    page.wait_for_load_state()
    page.reload()  # a plain GET: the page made its history entry forget the form it answered
    expect(row).to_be_visible()
    expect(page.get_by_text(secret)).to_have_count(0)
    expect(page.locator("#new-token")).to_have_count(0)
    assert ApiToken.objects.count() == 1

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("alert")).to_contain_text("Token “Newsletter sync” revoked")
    expect(row).to_contain_text("revoked")
    expect(row.get_by_role("button", name="Revoke")).to_have_count(0)
    assert ApiToken.objects.get().revoked_at is not None
