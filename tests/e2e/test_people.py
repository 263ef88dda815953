"""People in a real browser: adding a person, finding them, tagging them with the picker,
logging a call, correcting a pin, two people editing the same record at once, and the pages'
accessibility. Screenshots of the list, the person page and the form go to a temporary folder
(to docs/screenshots/ with CIVICDESK_SCREENSHOTS=1)."""

import os
import re

import pytest
from playwright.sync_api import Page, expect

from civicdesk.accounts.permissions import Role
from civicdesk.accounts.services import add_member
from civicdesk.audit.models import AuditEvent
from civicdesk.constituents import services
from civicdesk.constituents.models import Person
from civicdesk.constituents.validation import AddressIn, EmailIn, PhoneIn
from civicdesk.geo.models import District, DistrictLayer
from civicdesk.tags.models import Tag
from conftest import PASSWORD, SCREENSHOTS, check_axe, login


@pytest.fixture
def screenshots(tmp_path):
    if os.environ.get("CIVICDESK_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path


@pytest.fixture
def maria(ward1):
    """A second caseworker of Ward 1, to edit at the same time as alice."""
    return add_member(
        ward1,
        email="maria@ward1.example",
        role=Role.CASEWORKER,
        by=None,
        full_name="Maria Chen",
        password=PASSWORD,
    )


@pytest.fixture
def potholes(ward1):
    return Tag.objects.create(
        office=ward1, name="Potholes", slug="potholes", path="Potholes", normalized="potholes"
    )


@pytest.fixture
def john(ward1, alice):
    """A constituent with a located address inside a ward, a tag and a few calls."""
    layer = DistrictLayer.objects.create(office=ward1, name="Ward", slug="ward", name_property="n")
    square = [[-77.05, 38.90], [-77.0, 38.90], [-77.0, 38.93], [-77.05, 38.93], [-77.05, 38.90]]
    District.objects.create(
        office=ward1,
        layer=layer,
        name="Ward 1",
        geometry={"type": "Polygon", "coordinates": [square]},
        min_lon=-77.05,
        min_lat=38.90,
        max_lon=-77.0,
        max_lat=38.93,
    )
    person = services.create_person(
        ward1,
        by=alice,
        fields={"first_name": "John", "last_name": "Smith", "salutation": "Dear Mr. Smith"},
        emails=[EmailIn("john.smith@example.org")],
        phones=[PhoneIn("(202) 555-0147")],
        addresses=[
            AddressIn(
                "1420 U Street NW",
                city="Washington",
                region="DC",
                postcode="20009",
                latitude=38.917,
                longitude=-77.032,
            )
        ],
    )
    for subject in ("Pothole on U St", "Follow-up on the pothole"):
        services.log_interaction(
            person, by=alice, kind="call", occurred_at=person.created_at, subject=subject
        )
    return person


def open_person(page: Page, person) -> None:
    page.goto(f"/people/{person.pk}/")
    expect(page.get_by_role("heading", level=1, name=person.display_name)).to_be_visible()


def test_add_find_tag_and_log_a_call(page, alice, potholes):
    login(page, alice)
    page.get_by_role("link", name="People").first.click()
    expect(page.get_by_role("heading", name="No constituents yet")).to_be_visible()
    page.get_by_role("link", name="Add your first constituent").click()

    page.get_by_label("First name").fill("Rosa")
    page.get_by_label("Last name").fill("Delgado")
    page.get_by_label("Email", exact=True).fill("rosa.delgado@example.org")
    page.get_by_label("Phone number").fill("555-12")
    page.get_by_label("Street address").fill("1800 14th St NW")
    page.get_by_label("ZIP code").fill("20009")
    page.get_by_role("button", name="Add person").click()
    # Refused on the phone's own field, with everything else still typed in.
    expect(page.get_by_text("“555-12” is not a valid phone number.")).to_be_visible()
    expect(page.get_by_label("First name")).to_have_value("Rosa")
    expect(page.get_by_label("Street address")).to_have_value("1800 14th St NW")
    expect(page.get_by_label("Phone number")).to_have_attribute("aria-invalid", "true")

    page.get_by_label("Phone number").fill("(202) 555-0123")
    page.get_by_role("button", name="Add another phone").click()  # a row fetched with htmx
    second = page.locator("input[name='phones-1-number']")
    expect(second).to_be_focused()
    second.fill("202-555-0188")
    page.get_by_role("button", name="Add person").click()
    expect(page.get_by_role("heading", level=1, name="Rosa Delgado")).to_be_visible()
    expect(page.get_by_role("link", name="(202) 555-0188")).to_be_visible()
    rosa = Person.objects.get(last_name="Delgado")
    assert rosa.phones.count() == 2

    # Found through the list's search box, which swaps only the rows.
    page.get_by_role("link", name="People").first.click()
    page.get_by_label("Name, email, phone, address or ID").fill("delgado")
    expect(page).to_have_url(re.compile(r"q=delgado"))
    expect(page.get_by_role("status").filter(has_text="1 person")).to_be_visible()
    page.get_by_role("link", name="Rosa Delgado").click()
    expect(page.get_by_role("heading", level=1, name="Rosa Delgado")).to_be_visible()

    # And through the header's global search box, misspelt, and by a phone in another format.
    for typed in ("Rosa Delgaod", "202.555.0188"):
        header_search = page.locator("#global-search")
        header_search.fill(typed)
        header_search.press("Enter")
        expect(page.get_by_role("link", name="Rosa Delgado")).to_be_visible()
    page.get_by_role("link", name="Rosa Delgado").click()
    expect(page.get_by_role("heading", level=1, name="Rosa Delgado")).to_be_visible()

    # Tagged with the type-ahead picker.
    tags = page.locator("#person-tags")
    tags.get_by_role("combobox").fill("pot")
    tags.get_by_role("option", name=re.compile("Potholes")).click()
    tags.get_by_role("button", name="Add tags").click()
    expect(tags.get_by_role("button", name="Remove the tag Potholes")).to_be_visible()
    assert list(rosa.tag_links.values_list("tag__name", flat=True)) == ["Potholes"]

    # A call logged with htmx lands on top of the timeline without a reload.
    page.get_by_label("Subject").fill("Asked about the bus stop")
    page.get_by_label("Notes").fill("Wants a shelter at 14th and U.")
    page.get_by_role("button", name="Log it").click()
    first_entry = page.locator("#timeline-entries > .timeline-entry").first
    expect(first_entry).to_contain_text("Asked about the bus stop")
    expect(first_entry).to_contain_text("logged by Alice Alvarez")
    expect(page.get_by_label("Subject")).to_have_value("")
    expect(page.get_by_role("status").filter(has_text="Logged.")).to_be_visible()

    viewed = AuditEvent.objects.filter(action="person.viewed", object_id=str(rosa.pk))
    assert viewed.filter(actor=alice).exists()


def test_bulk_tagging_from_the_list(page, alice, ward1, potholes, john):
    other = services.create_person(
        ward1, by=alice, fields={"first_name": "Ada", "last_name": "Okafor"}
    )
    services.create_person(ward1, by=alice, fields={"first_name": "Nia", "last_name": "Zeller"})
    login(page, alice)
    page.goto("/people/")
    tag_button = page.get_by_role("button", name="Tag", exact=True)
    expect(tag_button).to_be_disabled()
    page.get_by_role("checkbox", name="Select Ada Okafor").check()
    page.get_by_role("checkbox", name="Select John Smith").check()
    expect(page.get_by_text("2 people selected")).to_be_visible()
    bulk = page.locator("[data-bulk-form]")
    bulk.get_by_role("combobox").fill("pot")
    bulk.get_by_role("option", name=re.compile("Potholes")).click()
    tag_button.click()

    expect(page.get_by_role("alert")).to_contain_text("Tagged 2 people with “Potholes”.")
    tagged = set(potholes.person_links.values_list("person_id", flat=True))
    assert tagged == {john.pk, other.pk}


def test_correcting_the_pin_on_the_map(page, alice, john):
    login(page, alice)
    open_person(page, john)
    address = john.addresses.get()
    card = page.locator(f"#address-{address.pk}")
    expect(card).to_contain_text("Ward 1")
    marker = card.locator(".leaflet-marker-icon")
    expect(marker).to_be_visible()
    # The ward's outline is fetched after the page (never inlined in it), then drawn.
    expect(card.locator(".person-map")).to_have_attribute("data-outlines", "drawn")
    expect(card.locator(".leaflet-overlay-pane path")).to_have_count(1)

    card.get_by_role("button", name="Correct the pin").click()
    box = marker.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] - 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 60, box["y"] + 50, steps=8)
    page.mouse.up()
    card.get_by_role("button", name="Save the position").click()

    expect(page.get_by_text("Pin saved; districts updated.")).to_be_visible()
    address.refresh_from_db()
    assert address.geocode_source == "manual"
    assert (address.latitude, address.longitude) != (38.917, -77.032)


def _unlocated(ward1, alice):
    return services.create_person(
        ward1,
        by=alice,
        fields={"first_name": "Lena", "last_name": "Lone"},
        addresses=[AddressIn("1 Nowhere Lane", city="Washington", region="DC")],
    )


def test_placing_an_unlocated_address_with_a_click(page, ward1, alice, john, screenshots):
    lena = _unlocated(ward1, alice)
    address = lena.addresses.get()
    login(page, alice)
    open_person(page, lena)
    card = page.locator(f"#address-{address.pk}")
    expect(card).to_contain_text("Not located on the map yet")
    card.get_by_role("button", name="Place on the map").click()
    map_box = card.locator("[data-place-map]")
    expect(map_box).to_be_visible()
    expect(card.locator(".leaflet-marker-icon")).to_be_focused()
    save = card.get_by_role("button", name="Save the position")
    box = map_box.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.6)
    expect(save).to_be_enabled()
    page.screenshot(path=screenshots / "person-place-pin.png", full_page=True)
    save.click()

    expect(page.get_by_text("Pin saved; districts updated.")).to_be_visible()
    expect(card).to_contain_text("Ward 1")  # the office's ward fills the map it opened on
    expect(card.get_by_role("button", name="Correct the pin")).to_be_visible()
    address.refresh_from_db()
    assert address.geocode_source == "manual"
    assert 38.90 < address.latitude < 38.93
    assert -77.05 < address.longitude < -77.0


def test_placing_an_unlocated_address_with_the_keyboard(page, ward1, alice, john):
    lena = _unlocated(ward1, alice)
    address = lena.addresses.get()
    login(page, alice)
    open_person(page, lena)
    card = page.locator(f"#address-{address.pk}")
    card.get_by_role("button", name="Place on the map").focus()
    page.keyboard.press("Enter")
    marker = card.locator(".leaflet-marker-icon")
    expect(marker).to_be_focused()
    for key in ("ArrowUp", "ArrowUp", "ArrowLeft"):
        page.keyboard.press(key)
    save = card.get_by_role("button", name="Save the position")
    expect(save).to_be_enabled()
    save.focus()
    page.keyboard.press("Enter")

    expect(page.get_by_text("Pin saved; districts updated.")).to_be_visible()
    address.refresh_from_db()
    assert address.geocode_source == "manual"
    assert 38.90 < address.latitude < 38.93
    assert -77.05 < address.longitude < -77.0


def test_cancelling_a_placement_leaves_the_address_unlocated(page, ward1, alice, john):
    lena = _unlocated(ward1, alice)
    address = lena.addresses.get()
    login(page, alice)
    open_person(page, lena)
    card = page.locator(f"#address-{address.pk}")
    card.get_by_role("button", name="Place on the map").click()
    card.get_by_role("button", name="Cancel").click()
    expect(card.get_by_role("button", name="Place on the map")).to_be_focused()
    expect(card.locator("[data-place-map]")).to_be_hidden()
    address.refresh_from_db()
    assert address.latitude is None


def test_an_admin_adds_and_deactivates_a_custom_field(new_context, adam, john, screenshots):
    page = new_context(bypass_csp=True).new_page()
    login(page, adam)
    page.get_by_role("button", name="Office").click()
    page.get_by_role("link", name="Custom fields").click()
    expect(page.get_by_role("heading", level=1, name="Custom fields")).to_be_visible()
    page.get_by_label("Label").fill("Newsletter edition")
    page.get_by_label("Type").select_option("choice")
    page.get_by_label("Choices").fill("Print\nEmail")
    page.get_by_role("button", name="Add field").click()
    expect(page.get_by_role("alert")).to_contain_text("“Newsletter edition” was added.")
    check_axe(page)
    page.screenshot(path=screenshots / "custom-fields.png", full_page=True)

    page.goto(f"/people/{john.pk}/edit/")
    expect(page.get_by_label("Newsletter edition")).to_be_visible()

    page.goto("/people/custom-fields/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Deactivate").click()
    expect(page.get_by_role("button", name="Reactivate")).to_be_visible()
    page.goto(f"/people/{john.pk}/edit/")
    expect(page.get_by_label("Newsletter edition")).to_have_count(0)


def test_two_people_editing_at_once(new_context, alice, maria, john):
    first, second = new_context().new_page(), new_context().new_page()
    login(first, alice)
    login(second, maria)
    for page in (first, second):
        page.goto(f"/people/{john.pk}/edit/")

    first.get_by_label("Preferred name").fill("Johnny")
    first.get_by_role("button", name="Save changes").click()
    expect(first.get_by_role("heading", level=1, name="Johnny Smith")).to_be_visible()

    second.get_by_label("Middle name").fill("Quincy")
    second.get_by_label("Salutation").fill("Dear John")
    second.get_by_role("button", name="Save changes").click()

    conflict = second.locator("#edit-conflict")
    expect(conflict).to_contain_text(
        re.compile(
            r"Alice Alvarez changed this record at .+ while you were editing; your "
            r"changes are below — review and save again\."
        )
    )
    expect(second.get_by_label("Middle name")).to_have_value("Quincy")
    expect(second.get_by_label("Salutation")).to_have_value("Dear John")
    expect(second.get_by_text("Now saved: Johnny")).to_be_visible()
    john.refresh_from_db()
    assert (john.preferred_name, john.middle_name) == ("Johnny", "")

    second.get_by_label("Preferred name").fill("Johnny")  # keep alice's change too
    second.get_by_role("button", name="Save changes").click()
    expect(second.get_by_role("heading", level=1, name="Johnny Quincy Smith")).to_have_count(0)
    expect(second.get_by_role("heading", level=1, name="Johnny Smith")).to_be_visible()
    john.refresh_from_db()
    assert (john.preferred_name, john.middle_name, john.salutation) == (
        "Johnny",
        "Quincy",
        "Dear John",
    )


def test_people_pages_are_accessible(new_context, alice, john, potholes, screenshots):
    services.tag_people(john.office, person_ids=[john.pk], tag_ids=[potholes.pk], by=alice)
    page = new_context(bypass_csp=True).new_page()
    login(page, alice)

    page.goto("/people/")
    expect(page.get_by_role("link", name="John Smith")).to_be_visible()
    check_axe(page)
    page.screenshot(path=screenshots / "people-list.png", full_page=True)

    open_person(page, john)
    expect(page.locator(".leaflet-marker-icon")).to_be_visible()
    check_axe(page)
    page.screenshot(path=screenshots / "person-page.png", full_page=True)

    page.goto(f"/people/{john.pk}/edit/")
    expect(page.get_by_role("heading", level=1, name="Edit John Smith")).to_be_visible()
    check_axe(page)
    page.screenshot(path=screenshots / "person-form.png")

    household = services.create_household(
        john.office, by=alice, name="The Smiths", member_ids=[john.pk]
    )
    page.goto(f"/people/households/{household.pk}/")
    expect(page.get_by_role("button", name="Dissolve household")).to_be_visible()
    check_axe(page)
    page.screenshot(path=screenshots / "household-page.png", full_page=True)

    phone = new_context(bypass_csp=True, viewport={"width": 390, "height": 844}).new_page()
    login(phone, alice)
    phone.goto(f"/people/{john.pk}/")
    check_axe(phone)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.screenshot(path=screenshots / "person-page-phone.png", full_page=True)
