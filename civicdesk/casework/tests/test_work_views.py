import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from civicdesk.accounts.permissions import Role
from civicdesk.audit.models import AuditEvent
from civicdesk.casework import services
from civicdesk.casework.models import ActionState, Case, CaseAction
from civicdesk.casework.views import work
from conftest import make_member

MY_WORK = reverse("casework:my-work")
BOARD = reverse("casework:board")
HTMX = {"HX-Request": "true", "HX-Target": "my-work"}


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


def done_url(action: CaseAction) -> str:
    return reverse("casework:action-done", args=[action.pk])


def todo(case: Case, subject: str, due_in: int, by) -> CaseAction:
    return services.plan_action(case, by=by, subject=subject, due_on=days(due_in))


def open_case(ward1, by, person, case_type, subject, **fields) -> Case:
    return services.open_case(
        ward1, by=by, person=person, case_type=case_type, subject=subject, **fields
    )


@pytest.fixture
def todos(case, alice) -> dict[str, CaseAction]:
    """Alice's to-dos on John's case: one of each group."""
    return {
        "overdue": todo(case, "Call the VA", -3, alice),
        "today": todo(case, "Send the DD-214", 0, alice),
        "week": todo(case, "Check the claim status", 3, alice),
        "later": todo(case, "Ask for the decision letter", 20, alice),
    }


def grouped(response) -> list[tuple[str, list[str]]]:
    return [(g.key, [a.subject for a in g.actions]) for g in response.context["groups"]]


# ---------------------------------------------------------------- My work


def test_my_work_groups_the_to_dos_by_when_they_are_due(web, alice, todos):
    response = web(alice).get(MY_WORK)

    assert response.status_code == 200
    assert grouped(response) == [
        ("overdue", ["Call the VA"]),
        ("today", ["Send the DD-214"]),
        ("week", ["Check the claim status"]),
        ("later", ["Ask for the decision letter"]),
    ]
    assert response.context["todo_count"] == 4
    assert "3 days overdue" in response.text
    assert 'class="table-danger"' in response.text
    assert reverse("casework:case-detail", args=[todos["today"].case_id]) in response.text
    assert "John Smith" in response.text


def test_my_work_leaves_out_others_to_dos_and_closed_cases(web, alice, bella, case, ward1,
                                                           john, housing):  # fmt: skip
    todo(case, "Alice's", 0, alice)
    services.plan_action(case, by=alice, subject="Bella's", due_on=days(0), assignee=bella)
    closed = open_case(ward1, alice, john, housing, "Leak", assignee=alice)
    todo(closed, "On a closed case", -1, alice)
    services.change_status(closed, by=alice, status="closed", resolution="Fixed")

    assert grouped(web(alice).get(MY_WORK)) == [("today", ["Alice's"])]


def test_my_cases_due_are_the_open_ones_due_this_week_or_past(web, alice, bella, ward1, john,
                                                              housing):  # fmt: skip
    late = open_case(ward1, alice, john, housing, "Late", assignee=alice, due_on=days(-2))
    soon = open_case(ward1, alice, john, housing, "Soon", assignee=alice, due_on=days(7))
    open_case(ward1, alice, john, housing, "Far off", assignee=alice, due_on=days(8))
    open_case(ward1, alice, john, housing, "Bella's", assignee=bella, due_on=days(1))
    done = open_case(ward1, alice, john, housing, "Done", assignee=alice, due_on=days(1))
    services.change_status(done, by=alice, status="resolved", resolution="Fixed")

    response = web(alice).get(MY_WORK)

    assert [(c.subject, c.is_overdue) for c in response.context["cases_due"]] == [
        ("Late", True), ("Soon", False),
    ]  # fmt: skip
    assert response.context["groups"] == []
    assert (late.reference in response.text, soon.reference in response.text) == (True, True)


def test_nothing_due_shows_the_empty_state(web, alice, case):
    response = web(alice).get(MY_WORK)

    assert response.status_code == 200
    assert "Nothing is due" in response.text


def test_done_with_htmx_answers_my_work_without_the_row(web, alice, todos):
    action = todos["overdue"]

    response = web(alice).post(done_url(action), {"next": MY_WORK}, headers=HTMX)

    assert response.status_code == 200
    assert f'id="todo-{action.pk}"' not in response.text
    assert f'id="todo-{todos["today"].pk}"' in response.text
    assert "Done: Call the VA" in response.text
    assert "<html" not in response.text
    action.refresh_from_db()
    assert (action.state, action.by_id) == (ActionState.DONE, alice.pk)
    assert AuditEvent.objects.filter(action="case.action_done").count() == 1


def test_done_with_htmx_from_another_page_answers_an_empty_row(web, alice, todos):
    client = web(alice)
    row = {"HX-Request": "true", "HX-Target": f"todo-{todos['today'].pk}"}

    response = client.post(done_url(todos["today"]), headers=row)
    again = client.post(done_url(todos["today"]), headers=row)

    assert (response.status_code, response.content) == (200, b"")
    assert (again.status_code, again.text) == (409, "That to-do is already done.")


def test_done_without_htmx_goes_back_with_a_message(web, alice, todos):
    action = todos["today"]

    response = web(alice).post(done_url(action), {"next": MY_WORK}, follow=True)

    assert response.redirect_chain == [(MY_WORK, 302)]
    assert "Done: Send the DD-214" in response.text
    action.refresh_from_db()
    assert action.state == ActionState.DONE


def test_done_twice_says_so_and_changes_nothing(web, alice, todos):
    action = todos["today"]
    client = web(alice)
    client.post(done_url(action), headers=HTMX)
    action.refresh_from_db()
    before = (action.state, action.occurred_at, AuditEvent.objects.count())

    response = client.post(done_url(action), headers=HTMX)

    assert "That to-do is already done." in response.text
    action.refresh_from_db()
    assert (action.state, action.occurred_at, AuditEvent.objects.count()) == before


def test_done_goes_back_only_to_this_site(web, alice, todos):
    response = web(alice).post(done_url(todos["today"]), {"next": "https://evil.example/"})
    assert response.headers["Location"] == MY_WORK


def test_another_offices_to_do_is_404_and_stays_to_do(web, alice, carol, wren_case):
    action = services.plan_action(wren_case, by=None, subject="Call", due_on=days(0))

    assert web(alice).post(done_url(action), headers=HTMX).status_code == 404
    assert web(alice).post(reverse("casework:action-done", args=[999999])).status_code == 404
    action.refresh_from_db()
    assert action.state == ActionState.PLANNED
    assert web(carol).post(done_url(action), headers=HTMX).status_code == 200


def test_a_to_do_of_a_sensitive_case_others_may_not_see_is_404(web, alice, bella, ward1, john,
                                                               immigration):  # fmt: skip
    secret = open_case(ward1, bella, john, immigration, "Asylum", assignee=bella)
    action = todo(secret, "Call the lawyer", 0, bella)

    assert web(alice).post(done_url(action)).status_code == 404
    action.refresh_from_db()
    assert action.state == ActionState.PLANNED


def test_a_volunteer_may_not_see_my_work_nor_tick_off(web, victor, todos):
    client = web(victor)

    assert client.get(MY_WORK).status_code == 403
    assert client.get(BOARD).status_code == 403
    assert client.post(done_url(todos["today"])).status_code == 403
    todos["today"].refresh_from_db()
    assert todos["today"].state == ActionState.PLANNED


def test_a_viewer_sees_my_work_without_done_buttons_and_may_not_tick_off(web, ward1, todos):
    viewer = make_member(ward1, "vera@ward1.example", Role.VIEWER, "Vera Viewer")

    assert web(viewer).get(MY_WORK).status_code == 200
    assert web(viewer).post(done_url(todos["today"])).status_code == 403
    todos["today"].refresh_from_db()
    assert todos["today"].state == ActionState.PLANNED


def test_done_only_answers_a_post(web, alice, todos):
    assert web(alice).get(done_url(todos["today"])).status_code == 405


def test_my_work_queries_do_not_grow_with_the_to_dos(web, alice, case, django_assert_num_queries):
    client = web(alice)
    todo(case, "First", -1, alice)
    client.get(MY_WORK)  # warm the session
    with django_assert_num_queries(9):
        client.get(MY_WORK)
    for n in range(5):
        todo(case, f"More {n}", n - 2, alice)
    with django_assert_num_queries(9):
        assert len(client.get(MY_WORK).context["groups"]) == 3


# ---------------------------------------------------------------- the status board


@pytest.fixture
def board_cases(ward1, alice, bella, manny, john, housing, veterans, immigration) -> dict:
    def new(case_type, subject, status=None, **fields):
        case = open_case(ward1, manny, john, case_type, subject, **fields)
        if status:
            case = services.change_status(case, by=manny, status=status, resolution="Done")
        return case

    made = {
        "leak": new(housing, "Leak", assignee=alice, priority=4, due_on=days(-1)),
        "mold": new(housing, "Mold", assignee=bella, due_on=days(5)),
        "pension": new(veterans, "Pension", "waiting_constituent"),
        "heat": new(housing, "Heat", "waiting_agency", assignee=alice),
        "fixed": new(housing, "Fixed", "resolved"),
        "long_ago": new(housing, "Long ago", "resolved"),
        "closed": new(housing, "Closed", "closed"),
        "visa": new(immigration, "Visa", assignee=bella),
    }
    Case.objects.filter(pk=made["long_ago"].pk).update(
        closed_at=timezone.now() - dt.timedelta(days=31)
    )
    return made


def columns(response) -> list[tuple[str, int, list[str]]]:
    return [(c.status, c.total, [case.subject for case in c.cards])
            for c in response.context["columns"]]  # fmt: skip


def test_the_board_shows_open_statuses_and_the_recently_resolved(web, alice, board_cases):
    response = web(alice).get(BOARD)

    assert response.status_code == 200
    assert columns(response) == [
        ("open", 2, ["Leak", "Mold"]),
        ("waiting_agency", 1, ["Heat"]),
        ("waiting_constituent", 1, ["Pension"]),
        ("resolved", 1, ["Fixed"]),
    ]
    assert "Urgent" in response.text
    assert "border-danger" in response.text  # Leak is overdue
    assert "Visa" not in response.text


def test_a_manager_sees_the_sensitive_case_on_the_board(web, manny, board_cases):
    [open_column, *_] = web(manny).get(BOARD).context["columns"]
    assert [c.subject for c in open_column.cards] == ["Leak", "Mold", "Visa"]


def test_the_board_filters_by_assignee_team_and_type(web, alice, bella, board_cases, veterans,
                                                     ward1):  # fmt: skip
    client = web(alice)
    team = services.save_team(ward1, by=None, name="Veterans desk", member_ids=[])
    services.assign_case(board_cases["pension"], by=alice, assignee=None, team=team)

    by_bella = client.get(BOARD, {"assignee": bella.pk})
    nobodys = client.get(BOARD, {"assignee": "none"})
    by_team = client.get(BOARD, {"team": team.pk})
    by_type = client.get(BOARD, {"case_type": veterans.pk}, headers=HTMX)

    assert [c[2] for c in columns(by_bella)] == [["Mold"], [], [], []]
    assert [c[2] for c in columns(nobodys)] == [[], [], ["Pension"], ["Fixed"]]
    assert [c[2] for c in columns(by_team)] == [[], [], ["Pension"], []]
    # An htmx filter answers the columns only.
    assert ("Pension" in by_type.text, "Leak" in by_type.text) == (True, False)
    assert "<html" not in by_type.text
    assert nobodys.context["columns"][0].more_url == (
        reverse("casework:case-list") + "?status=open&queue=unassigned"
    )


def test_a_full_column_links_to_the_rest_in_the_case_list(web, alice, board_cases, monkeypatch):
    monkeypatch.setattr(work, "BOARD_CAP", 1)

    response = web(alice).get(BOARD, {"assignee": alice.pk})

    [open_column, *_] = response.context["columns"]
    assert (open_column.total, open_column.more) == (1, 0)
    response = web(alice).get(BOARD)
    [open_column, *_] = response.context["columns"]
    assert ([c.subject for c in open_column.cards], open_column.more) == (["Leak"], 1)
    assert open_column.more_url == reverse("casework:case-list") + "?status=open"
    assert "and 1 more" in response.text


def test_the_board_of_another_office_shows_none_of_ours(web, carol, board_cases, wren_case):
    assert columns(web(carol).get(BOARD)) == [
        ("open", 1, ["Heat"]), ("waiting_agency", 0, []), ("waiting_constituent", 0, []),
        ("resolved", 0, []),
    ]  # fmt: skip


def test_the_board_queries_do_not_grow_with_the_cases(web, alice, board_cases, ward1, john,
                                                      housing, django_assert_num_queries):  # fmt: skip
    client = web(alice)
    client.get(BOARD)
    with django_assert_num_queries(15):
        client.get(BOARD)
    for n in range(5):
        open_case(ward1, alice, john, housing, f"More {n}", assignee=alice)
    with django_assert_num_queries(15):
        client.get(BOARD)


def test_my_work_lists_a_few_later_todos_and_counts_the_rest(web, alice, case):
    far = timezone.localdate() + dt.timedelta(days=30)
    for n in range(23):
        services.plan_action(case, by=alice, subject=f"Later {n}", due_on=far)
    response = web(alice).get(reverse("casework:my-work"))
    html = response.content.decode()
    later = next(g for g in response.context["groups"] if g.key == "later")
    assert (len(later.actions), later.more, later.total) == (20, 3, 23)
    assert "And 3 more to-dos due later" in html
