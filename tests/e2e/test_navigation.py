"""The header: switching offices, and the layout on a phone."""

import pytest
from playwright.sync_api import expect

from civicdesk.accounts.permissions import Role
from civicdesk.accounts.services import add_member, create_office, update_office
from conftest import login


@pytest.fixture
def alice_in_two_offices(alice, ward2):
    add_member(ward2, email=alice.user.email, role=Role.VOLUNTEER, by=None)
    return alice


def test_person_in_two_offices_switches_from_the_header(page, alice_in_two_offices, ward1, ward2):
    login(page, alice_in_two_offices)
    page.get_by_role("button", name=ward1.name).click()
    page.get_by_role("button", name=f"{ward2.name} (Volunteer)").click()

    expect(page.get_by_role("alert")).to_contain_text(f"You are now working in {ward2.name}.")
    expect(page.get_by_role("heading", level=1, name=ward2.name)).to_be_visible()
    page.get_by_role("link", name="Jobs", exact=True).click()
    expect(page.get_by_role("button", name=ward2.name)).to_be_visible()
    expect(page).to_have_title(f"Jobs · {ward2.name} · CivicDesk")


def test_switching_to_an_office_one_is_not_in_changes_nothing(page, alice_in_two_offices, ward1):
    ward3 = create_office(
        name="Ward 3 — Council Member Ortiz", slug="ward-3", kind="council_member"
    )
    login(page, alice_in_two_offices)
    page.get_by_role("button", name=ward1.name).click()
    page.locator("input[name=office_id]").evaluate("(input, id) => { input.value = id; }", ward3.pk)
    page.get_by_role("button", name="Ward 2 — Council Member Liu (Volunteer)").click()

    expect(page.get_by_role("alert")).to_contain_text("You are not a member of that office.")
    expect(page.get_by_role("heading", level=1, name=ward1.name)).to_be_visible()
    expect(page.get_by_text(ward3.name)).to_have_count(0)


def test_phone_layout_has_a_menu_button_and_no_sideways_scrolling(new_context, adam):
    page = new_context(viewport={"width": 375, "height": 740}, is_mobile=True).new_page()
    login(page, adam)
    toggler = page.get_by_role("button", name="Show navigation")
    expect(toggler).to_be_visible()
    expect(page.get_by_role("link", name="Jobs", exact=True)).to_be_hidden()
    toggler.click()
    expect(page.get_by_role("link", name="Jobs", exact=True)).to_be_visible()

    for path in ("/", "/office/staff/", "/audit/", "/profile/", "/jobs/"):
        page.goto(path)
        widths = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], f"{path} scrolls sideways: {widths}"


def test_header_fits_from_tablet_to_desktop_widths(new_context, adam, ward1):
    update_office(ward1, by=None, name="District 12 Office of Senator Kowalski-Haddad")
    page = new_context(viewport={"width": 1280, "height": 800}).new_page()
    login(page, adam)
    for width in (768, 1024, 1199, 1200, 1280, 1440, 1600, 1920):
        page.set_viewport_size({"width": width, "height": 800})
        sizes = page.evaluate(
            "() => [document.scrollingElement.scrollWidth, window.innerWidth,"
            " document.querySelector('nav.navbar').offsetHeight]"
        )
        assert sizes[0] <= sizes[1], f"{width}px wide: the page scrolls sideways ({sizes})"
        assert sizes[2] < 64, f"{width}px wide: the header wraps onto two lines ({sizes})"
