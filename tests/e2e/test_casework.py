"""Casework in a real browser: a caseworker opens a case from a person's page, applies a
template, is refused the agency letter until the privacy release is recorded, sends it, logs the
agency's answer, sees a to-do come due in My work, closes the case; the constituent's status
link shows the public updates and never the internal notes. Then every casework page is checked
with axe-core and under the real Content-Security-Policy."""

import datetime as dt
import os

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from civicdesk.casework import services
from civicdesk.casework.models import (
    ActionState,
    Case,
    CaseAction,
    CaseLetter,
    CaseType,
    LetterTemplate,
)
from civicdesk.constituents import services as constituent_services
from civicdesk.constituents.validation import AddressIn, EmailIn
from conftest import SCREENSHOTS, axe_violations, check_axe, login


@pytest.fixture
def screenshots(tmp_path):
    if os.environ.get("CIVICDESK_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path


@pytest.fixture
def john(ward1):
    return constituent_services.create_person(
        ward1, by=None, fields={"first_name": "John", "last_name": "Smith"},
        emails=[EmailIn("john.smith@example.org")],
        addresses=[AddressIn("1420 U Street NW", city="Washington", region="DC",
                             postcode="20009")],
    )  # fmt: skip


@pytest.fixture
def va(ward1):
    return constituent_services.create_organization(
        ward1, by=None,
        fields={"name": "Department of Veterans Affairs", "kind": "agency",
                "email": "inquiries@va.example.gov", "address": "810 Vermont Ave NW"},
    )  # fmt: skip


@pytest.fixture
def veterans(ward1) -> CaseType:
    """The starter case types and letters; Veterans benefits needs a privacy release."""
    services.seed_case_types(ward1, by=None)
    services.ensure_standard_letters(ward1)
    return CaseType.objects.get(office=ward1, name="Veterans benefits")


def _accept_confirms(page: Page) -> None:
    page.on("dialog", lambda dialog: dialog.accept())


def test_a_case_from_opening_to_closing(
    page, new_context, page_problems, settings, live_server, alice, john, va, veterans, screenshots
):
    settings.SITE_URL = live_server.url  # where the emailed status link points
    page_problems.allow(r"status of 409")  # the refused letter answers 409 Conflict
    _accept_confirms(page)
    login(page, alice)

    # Open the case from John's page, with the type's template.
    page.goto(reverse("constituents:person-detail", args=[john.pk]))
    page.get_by_role("link", name="Open a case").click()
    page.get_by_label("Type of case").select_option(label="Veterans benefits")
    expect(page.get_by_text("Needs the constituent's signed privacy release")).to_be_visible()
    page.get_by_label("Template").select_option(label="Veterans benefits: Benefits claim")
    page.get_by_label("Subject").fill("Disability claim delayed")
    page.get_by_label("What the constituent needs").fill("Filed in March; no answer since.")
    page.get_by_label("Agency").select_option(label="Department of Veterans Affairs")
    page.get_by_role("button", name="Open the case").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("C-1 Disability claim delayed")
    case = Case.objects.get()
    todos = CaseAction.objects.filter(case=case, state=ActionState.PLANNED)
    assert todos.count() >= 3
    expect(page.locator(".release-warning")).to_be_visible()

    # The agency letter is refused until the privacy release is on file.
    page.get_by_label("Letter", exact=True).select_option(label="Agency inquiry (the agency)")
    page.get_by_role("button", name="Write a letter").click()
    expect(page.get_by_role("navigation", name="Breadcrumb")).to_contain_text("C-1")
    expect(page.get_by_role("heading", level=1)).to_contain_text("John Smith")
    page.get_by_role("button", name="Mark as sent").click()
    expect(page.get_by_role("alert").first).to_contain_text("privacy release")
    assert CaseLetter.objects.get().sent_at is None

    # Record the release (a typed e-signature), then send the letter.
    page.goto(reverse("casework:case-detail", args=[case.pk]))
    page.get_by_label("Typed e-signature").check()
    page.get_by_label("Name as signed").fill("John Smith")
    page.get_by_role("button", name="Record the release").click()
    expect(page.locator("[data-release-state]")).to_have_attribute("data-release-state", "in_force")
    letter = CaseLetter.objects.get()
    page.goto(reverse("casework:case-letter-detail", args=[case.pk, letter.pk]))
    page.get_by_role("button", name="Mark as sent").click()
    expect(page.locator(".badge", has_text="Sent")).to_be_visible()
    letter.refresh_from_db()
    assert letter.sent_at is not None

    # Log the agency's answer (shown to John) and an internal note (never shown to him).
    page.goto(reverse("casework:case-detail", args=[case.pk]))
    history = page.locator("#history")
    history.get_by_text("Log a call, note or the agency's answer").click()
    history.get_by_label("What").select_option(label="Agency reply")
    history.get_by_label("Summary").fill("VA confirms the claim is being reviewed")
    history.get_by_label("Show to the constituent").check()
    history.get_by_role("button", name="Log it").click()
    expect(page.locator(".case-history")).to_contain_text("VA confirms the claim is being reviewed")
    history = page.locator("#history")
    history.get_by_text("Log a call, note or the agency's answer").click()
    history.get_by_label("What").select_option(label="Note")
    history.get_by_label("Summary").fill("Constituent sounded upset; VA clerk was rude")
    history.get_by_role("button", name="Log it").click()
    expect(page.locator(".case-history")).to_contain_text("VA clerk was rude")

    # A to-do comes due: yesterday's follow-up is overdue in My work, and is ticked off there.
    follow_up = todos.order_by("due_on").last()
    CaseAction.objects.filter(pk=follow_up.pk).update(
        due_on=timezone.localdate() - dt.timedelta(days=1)
    )
    page.get_by_role("link", name="My work").first.click()
    overdue_row = page.locator(f"#todo-{follow_up.pk}")
    expect(overdue_row).to_contain_text(follow_up.subject)
    expect(overdue_row).to_contain_text("1 day overdue")
    page.screenshot(path=screenshots / "my-work.png", full_page=True)
    overdue_row.get_by_role("button", name="Done").click()
    expect(page.locator(f"#todo-{follow_up.pk}")).to_have_count(0)
    follow_up.refresh_from_db()
    assert follow_up.state == ActionState.DONE

    # A status link for John, then close the case.
    page.goto(reverse("casework:case-detail", args=[case.pk]))
    page.get_by_role("button", name="Make a status link").click()
    link_url = page.locator("#records-new-link").inner_text()
    assert "/cases/status/" in link_url
    page.get_by_label("New status").select_option(label="Resolved")
    page.get_by_label("Resolution", exact=True).fill("The VA approved the claim.")
    page.get_by_role("button", name="Change the status").click()
    expect(page.locator("[data-case-status]").first).to_have_text("Resolved")
    page.screenshot(path=screenshots / "case-page.png", full_page=True)

    # What John sees: the status and the public updates, never the internal note.
    john_page = new_context().new_page()
    john_page.goto(link_url)
    expect(john_page.get_by_role("heading", level=1)).to_contain_text("C-1")
    expect(john_page.locator("[data-case-status]")).to_contain_text("Resolved")
    expect(john_page.get_by_text("VA confirms the claim is being reviewed")).to_be_visible()
    assert "rude" not in john_page.content()
    john_page.screenshot(path=screenshots / "case-status-link.png", full_page=True)


@pytest.fixture
def casework_pages(adam, ward1, john, va, veterans):
    """Every casework page of Ward 1 with something on it, as its admin sees them."""
    case = services.open_case(
        ward1, by=None, person=john, case_type=veterans, subject="Disability claim delayed",
        agency=va, assignee=adam,
        template=veterans.templates.first(),
    )  # fmt: skip
    services.log_action(case, by=None, kind="note", subject="Called the VA")
    inquiry = LetterTemplate.objects.get(office=ward1, kind="agency_inquiry")
    letter = services.draft_letter(case, by=None, template=inquiry)
    _link, secret = services.create_status_link(case, by=None, send_email=False)
    return [
        reverse("casework:case-list"),
        reverse("casework:case-list") + "?queue=mine",
        reverse("casework:case-open"),
        reverse("casework:case-open") + f"?person={john.pk}",
        reverse("casework:case-detail", args=[case.pk]),
        reverse("casework:case-edit", args=[case.pk]),
        reverse("casework:my-work"),
        reverse("casework:board"),
        reverse("casework:reports"),
        reverse("casework:letter-template-list"),
        reverse("casework:case-letter-detail", args=[case.pk, letter.pk]),
        reverse("casework:config-types"),
        reverse("casework:config-type-edit", args=[veterans.pk]),
        reverse("casework:config-templates"),
        reverse("casework:config-template-edit", args=[veterans.templates.first().pk]),
        reverse("casework:config-teams"),
        reverse("casework:config-team-new"),
        reverse("casework:status-page", args=[secret]),
    ]


def test_casework_pages_are_accessible_and_keep_the_csp(
    new_context, adam, casework_pages, page_problems, screenshots
):
    checked = new_context(bypass_csp=True).new_page()
    login(checked, adam)
    violations = []
    for url in casework_pages:
        assert checked.goto(url).status == 200, url
        violations += axe_violations(checked)
    assert not violations, "axe-core found:\n" + "\n".join(violations)

    strict = new_context().new_page()
    login(strict, adam)
    for url in casework_pages:
        assert strict.goto(url).status == 200, url
    strict.goto(reverse("casework:reports"))
    strict.screenshot(path=screenshots / "case-reports.png", full_page=True)
    strict.goto(reverse("casework:board"))
    strict.screenshot(path=screenshots / "case-board.png", full_page=True)
    assert page_problems.unexpected() == []


def test_the_case_list_on_a_phone(new_context, alice, john, va, veterans, screenshots):
    services.open_case(alice.office, by=alice, person=john, case_type=veterans,
                       subject="Disability claim delayed", agency=va, assignee=alice)  # fmt: skip
    phone = new_context(viewport={"width": 390, "height": 844}, bypass_csp=True).new_page()
    login(phone, alice)
    phone.goto(reverse("casework:case-list"))
    expect(phone.get_by_text("Disability claim delayed")).to_be_visible()
    check_axe(phone)
    phone.screenshot(path=screenshots / "case-list-phone.png", full_page=True)
