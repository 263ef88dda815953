"""Duplicates in a real browser: a manager opens the review queue, looks at a pair side by side,
merges it keeping the other record's first name, finds the survivor with both email addresses,
and undoes the merge from the history. The pages pass axe-core and keep the CSP."""

import datetime as dt
import os
import tempfile
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from civicdesk.constituents.models import Person
from civicdesk.dedupe import services
from civicdesk.dedupe.models import DuplicatePair, Merge
from civicdesk.dedupe.tests.conftest import make_pair, make_person
from conftest import SCREENSHOTS, axe_violations, login


def shoot(page: Page, name: str) -> None:
    """dedupe-<name>.png in the temporary folder (/tmp), and in docs/screenshots/ with
    CIVICDESK_SCREENSHOTS=1."""
    page.screenshot(path=Path(tempfile.gettempdir()) / f"dedupe-{name}.png", full_page=True)
    if os.environ.get("CIVICDESK_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=Path(SCREENSHOTS) / f"dedupe-{name}.png", full_page=True)


@pytest.fixture
def pair(ward1):
    john = make_person(
        ward1, "John", "Smith", emails=["john.smith@example.org"], phones=["+12025550147"],
        addresses=[{"line1": "1420 U Street NW", "city": "Washington", "postcode": "20009"}],
        birth_date=dt.date(1970, 5, 4),
    )  # fmt: skip
    johnny = make_person(
        ward1, "Johnny", "Smith", emails=["jsmith@work.example"],
        addresses=[{"line1": "1420 U St NW", "city": "Washington", "postcode": "20009"}],
        birth_date=dt.date(1970, 5, 4), gender="male",
    )  # fmt: skip
    other = make_person(ward1, "Joan", "Smithers", emails=["joan@example.org"])
    services.scan_office(ward1)  # the engine's own score and explanation of John and Johnny
    make_pair(john, other, 0.64)
    return DuplicatePair.objects.get(person_a=john, person_b=johnny)


def test_a_manager_merges_a_pair_and_undoes_it(page: Page, manny, pair):
    page.on("dialog", lambda dialog: dialog.accept())
    login(page, manny)

    page.goto(reverse("dedupe:queue"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Duplicates")
    rows = page.locator(".pair-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text(f"{pair.percent}%")
    shoot(page, "queue")

    rows.first.get_by_role("link", name="Review").click()
    expect(page.get_by_test_id("probability")).to_contain_text(
        f"{pair.percent}% likely the same person"
    )
    expect(page.get_by_label("Keep this record").first).to_be_checked()
    shoot(page, "pair")

    page.get_by_label("Johnny", exact=True).check()  # the other record's first name
    page.get_by_role("button", name="Merge").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Johnny Smith")
    expect(page.get_by_role("alert").first).to_contain_text("is now part of this record")
    expect(page.get_by_text("john.smith@example.org")).to_be_visible()
    expect(page.get_by_text("jsmith@work.example")).to_be_visible()
    survivor = Person.objects.get(pk=pair.person_a_id)
    assert (survivor.first_name, survivor.gender) == ("Johnny", "male")
    shoot(page, "survivor")

    page.goto(reverse("dedupe:merge-list"))
    page.get_by_role("button", name="Undo").click()
    expect(page.get_by_role("alert").first).to_contain_text("is back as a record of their own")
    assert Person.objects.filter(pk=pair.person_b_id, first_name="Johnny").exists()
    assert Merge.objects.get().undone_by == manny
    page.goto(reverse("constituents:person-detail", args=[pair.person_a_id]))
    expect(page.get_by_role("heading", level=1)).to_contain_text("John Smith")


def test_the_duplicates_pages_are_accessible(new_context, adam, pair):
    checked = new_context(bypass_csp=True).new_page()
    login(checked, adam)
    urls = [
        reverse("dedupe:queue"),
        reverse("dedupe:queue") + "?status=decided",
        reverse("dedupe:pair-detail", args=[pair.pk]),
        reverse("dedupe:merge-list"),
        reverse("dedupe:settings"),
    ]
    violations = []
    for url in urls:
        assert checked.goto(url).status == 200, url
        violations += axe_violations(checked)
    assert not violations, "axe-core found:\n" + "\n".join(violations)
    checked.goto(reverse("dedupe:settings"))
    shoot(checked, "settings")


def test_keyboard_shortcut_puts_a_pair_aside(page: Page, manny, pair):
    login(page, manny)
    page.goto(reverse("dedupe:pair-detail", args=[pair.pk]))

    page.keyboard.press("l")

    expect(page.get_by_role("alert").first).to_contain_text("Marked “Later”")
    pair.refresh_from_db()
    assert pair.status == "later"


def test_adding_someone_already_there_warns_first(page: Page, alice, pair):
    login(page, alice)
    page.goto(reverse("constituents:person-create"))
    page.get_by_label("First name").fill("Jon")
    page.get_by_label("Last name").fill("Smith")
    page.get_by_label("Email", exact=True).fill("john.smith@example.org")
    page.get_by_label("Street address").fill("1420 U Street NW")
    page.get_by_label("ZIP code").fill("20009")
    page.get_by_role("button", name="Add person").click()

    warning = page.locator("#similar-people")
    expect(warning).to_contain_text("This person may already be here")
    expect(warning.get_by_role("link", name="John Smith")).to_be_visible()
    expect(page.get_by_label("First name")).to_have_value("Jon")
    shoot(page, "warning")
    assert Person.objects.filter(first_name="Jon").count() == 0

    page.get_by_role("button", name="Create anyway").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Jon Smith")
    assert Person.objects.filter(first_name="Jon").count() == 1
