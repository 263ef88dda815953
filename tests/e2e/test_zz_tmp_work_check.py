import re
import datetime as dt
from pathlib import Path

from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from civicdesk.casework import services
from civicdesk.constituents import services as cs
from conftest import check_axe, login

OUT = Path("/tmp/work_shots")


def test_tmp(new_context, ward1, alice, manny, page_problems):
    OUT.mkdir(exist_ok=True)
    john = cs.create_person(ward1, by=None, fields={"first_name": "John", "last_name": "Smith"})
    housing = services.create_case_type(ward1, by=None, name="Housing")
    vets = services.create_case_type(ward1, by=None, name="Veterans benefits")
    today = timezone.localdate()
    cases = []
    for i in range(8):
        c = services.open_case(ward1, by=manny, person=john, case_type=housing if i % 2 else vets,
                               subject=f"Case number {i}", assignee=manny if i % 3 else None,
                               priority=1 + i % 4, due_on=today + dt.timedelta(days=i - 3))
        cases.append(c)
    services.change_status(cases[1], by=manny, status="waiting_agency")
    services.change_status(cases[2], by=manny, status="resolved", resolution="ok")
    for i, c in enumerate(cases[:5]):
        services.plan_action(c, by=manny, subject=f"Do thing {i}", due_on=today + dt.timedelta(days=i * 3 - 4), assignee=manny)
    checked = new_context(bypass_csp=True).new_page()
    login(checked, manny)
    for name in ["casework:my-work", "casework:board", "casework:reports", "reports:home"]:
        checked.goto(reverse(name))
        check_axe(checked)
    page = new_context().new_page()
    login(page, manny)
    page.screenshot(path=OUT / "home.png", full_page=True)
    assert page.evaluate("document.querySelectorAll('canvas[data-drawn]').length") == 1
    page.goto(reverse("casework:reports"))
    page.screenshot(path=OUT / "reports.png", full_page=True)
    print("drawn", page.evaluate("document.querySelectorAll('canvas[data-drawn]').length"),
          page.evaluate("document.querySelectorAll('canvas[data-chart]').length"))
    page.goto(reverse("casework:board"))
    page.screenshot(path=OUT / "board.png", full_page=True)
    page.goto(reverse("casework:my-work"))
    page.screenshot(path=OUT / "my_work.png", full_page=True)
    page.get_by_role("button", name=re.compile("Do thing 0")).click()
    expect(page.locator("tr", has_text="Do thing 0")).to_have_count(0)
    page.screenshot(path=OUT / "my_work_after.png", full_page=True)
    page.get_by_label("Assignee")
    page.goto(reverse("casework:board"))
    page.get_by_label("Assignee").select_option(label="Unassigned")
    page.wait_for_timeout(800)
    page.screenshot(path=OUT / "board_filtered.png", full_page=True)
    assert page_problems.unexpected() == []
