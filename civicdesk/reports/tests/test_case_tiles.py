"""The dashboard's casework tiles ("My work", "Open cases") and its "Open cases by status" chart."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from civicdesk.accounts.permissions import Role
from civicdesk.casework import services
from civicdesk.casework.tests.conftest import make_case_type
from civicdesk.constituents.tests.conftest import make_person
from conftest import make_member

HOME = reverse("reports:home")


def tile(response, title: str):
    found = [t for t in response.context["work_tiles"] if t.title == title]
    return found[0] if found else None


def shown(tile_) -> tuple:
    return (tile_.count, tile_.caption, tile_.tone, tile_.url)


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


@pytest.fixture
def cases(ward1, alice, manny):
    """Alice's case, an unassigned one, a finished one and Bella's sensitive case."""
    bella = make_member(ward1, "bella@ward1.example", Role.CASEWORKER, "Bella Brown")
    john = make_person(ward1, "John", "Smith")
    housing = make_case_type(ward1, "Housing")
    immigration = make_case_type(ward1, "Immigration", is_sensitive=True)
    mine = services.open_case(ward1, by=alice, person=john, case_type=housing, subject="Leak",
                              assignee=alice)  # fmt: skip
    services.open_case(ward1, by=alice, person=john, case_type=housing, subject="Mold")
    done = services.open_case(ward1, by=alice, person=john, case_type=housing, subject="Heat")
    services.change_status(done, by=alice, status="resolved", resolution="Fixed")
    services.open_case(ward1, by=bella, person=john, case_type=immigration, subject="Visa",
                       assignee=bella)  # fmt: skip
    return mine


def test_my_work_is_red_while_something_is_overdue(web, alice, cases):
    services.plan_action(cases, by=alice, subject="Call", due_on=days(-1))
    services.plan_action(cases, by=alice, subject="Write", due_on=days(0))
    services.plan_action(cases, by=alice, subject="Visit", due_on=days(2))

    my_work = tile(web(alice).get(HOME), "My work")

    assert shown(my_work) == (2, "1 overdue, 1 due today", "danger", reverse("casework:my-work"))


def test_my_work_is_amber_when_things_are_due_today(web, alice, cases):
    services.plan_action(cases, by=alice, subject="Write", due_on=days(0))

    assert shown(tile(web(alice).get(HOME), "My work"))[:3] == (1, "due today", "warning")


def test_my_work_with_nothing_due_says_so(web, alice, cases):
    services.plan_action(cases, by=alice, subject="Visit", due_on=days(2))

    assert shown(tile(web(alice).get(HOME), "My work"))[:3] == (0, "nothing due today", "primary")


def test_open_cases_counts_only_the_cases_one_may_see(web, alice, manny, cases):
    expected_url = reverse("casework:case-list")
    assert shown(tile(web(alice).get(HOME), "Open cases")) == (
        2,
        "1 unassigned",
        "primary",
        expected_url,
    )
    assert shown(tile(web(manny).get(HOME), "Open cases"))[:2] == (3, "1 unassigned")


def test_a_new_office_has_no_case_tiles_yet(web, alice):
    response = web(alice).get(HOME)

    assert (tile(response, "My work"), tile(response, "Open cases")) == (None, None)
    assert response.context["case_chart"] is None


def test_a_volunteer_gets_no_case_tiles_nor_chart(web, victor, cases):
    response = web(victor).get(HOME)

    assert (tile(response, "My work"), tile(response, "Open cases")) == (None, None)
    assert response.context["case_chart"] is None
    assert "Open cases by status" not in response.text


def test_the_dashboard_charts_open_cases_by_status_with_the_numbers(web, manny, alice, cases):
    services.change_status(cases, by=alice, status="waiting_constituent")

    response = web(manny).get(HOME)

    chart = response.context["case_chart"]
    assert [(row.label, row.count) for row in chart["rows"]] == [
        ("Open", 2), ("Waiting on agency", 0), ("Waiting on constituent", 1),
    ]  # fmt: skip
    assert chart["total"] == 3
    assert 'data-chart="case-status-chart"' in response.text
    assert 'id="case-status-chart" type="application/json"' in response.text
    assert "vendor/chartjs/chart.umd.min.js" in response.text
    assert reverse("casework:reports") in response.text


def test_another_offices_dashboard_counts_only_its_cases(web, carol, ward2, cases):
    wren = make_person(ward2, "Wren", "Smith")
    case_type = services.create_case_type(ward2, by=None, name="Parking")
    services.open_case(ward2, by=carol, person=wren, case_type=case_type, subject="Ticket")

    response = web(carol).get(HOME)

    assert shown(tile(response, "Open cases"))[:2] == (1, "1 unassigned")
    assert response.context["case_chart"]["total"] == 1
