import datetime as dt

import pytest
from django.utils import timezone

from civicdesk.audit.models import AuditEvent
from civicdesk.casework import services
from civicdesk.casework.errors import (
    CaseEditConflict,
    IllegalStatusChange,
    PrivacyReleaseRequired,
)
from civicdesk.casework.models import ActionKind, ActionState, Case, CaseAction, CaseStatus
from civicdesk.constituents.models import Interaction
from civicdesk.core.errors import NotAllowed


def test_cases_are_numbered_per_office(case, ward1, alice, john, housing, wren_case):
    second = services.open_case(ward1, by=alice, person=john, case_type=housing, subject="Leak")
    assert (case.number, second.number, wren_case.number) == (1, 2, 1)
    assert second.reference == "C-2"


def test_opening_a_case_puts_it_on_the_persons_timeline(case, john):
    entry = Interaction.objects.get(person=john, kind="case")
    assert entry.subject == "Case C-1 opened: Disability claim delayed"
    assert (entry.source_type, entry.source_id) == ("casework.case", str(case.pk))


def test_a_sensitive_case_says_only_that_it_exists_on_the_timeline(ward1, alice, john, immigration):
    services.open_case(ward1, by=alice, person=john, case_type=immigration, subject="Asylum")
    assert Interaction.objects.get(person=john, kind="case").subject == "Sensitive case C-1"


def test_a_volunteer_cannot_open_a_case(ward1, victor, john, housing):
    with pytest.raises(NotAllowed):
        services.open_case(ward1, by=victor, person=john, case_type=housing, subject="Leak")
    assert Case.objects.count() == 0


def test_an_illegal_status_change_says_where_the_case_may_go(case, alice, ward1):
    services.update_case_type(case.case_type, by=None, transitions={
        "open": ["waiting_agency", "resolved"], "waiting_agency": ["open", "resolved"],
        "resolved": ["closed", "open"], "closed": ["open"],
    })  # fmt: skip
    case.refresh_from_db()
    with pytest.raises(IllegalStatusChange) as refused:
        services.change_status(case, by=alice, status="closed", resolution="Done")
    assert "cannot go from “Open” to “Closed”" in refused.value.message
    assert "“Waiting on agency”, “Resolved”" in refused.value.message
    case.refresh_from_db()
    assert case.status == "open"


def test_closing_needs_a_resolution_and_reopening_clears_closed_at(case, alice):
    with pytest.raises(IllegalStatusChange):
        services.change_status(case, by=alice, status="resolved")
    case = services.change_status(case, by=alice, status="resolved", resolution="Claim paid")
    assert case.closed_at is not None
    case = services.change_status(case, by=alice, status="open")
    assert (case.status, case.closed_at) == ("open", None)
    changes = case.actions.filter(kind="status_change").order_by("id")
    subjects = list(changes.values_list("subject", flat=True))
    assert subjects == ["Status: Open → Resolved", "Case reopened"]


def test_waiting_on_the_agency_needs_the_privacy_release(case, alice):
    with pytest.raises(PrivacyReleaseRequired):
        services.change_status(case, by=alice, status=CaseStatus.WAITING_AGENCY)
    case.refresh_from_db()
    assert case.status == "open"


def test_a_stale_edit_is_refused_and_changes_nothing(case, alice, bella):
    services.update_case(case, by=bella, version=case.version, fields={"subject": "Claim"})
    with pytest.raises(CaseEditConflict):
        services.update_case(case, by=alice, version=1, fields={"subject": "Mine"})
    case.refresh_from_db()
    assert (case.subject, case.version) == ("Claim", 2)


def test_applying_a_template_plans_its_steps_and_documents(case, alice, veterans_template):
    services.apply_template(case, veterans_template, by=alice)
    today = timezone.localdate()
    todos = list(
        CaseAction.objects.filter(case=case, state=ActionState.PLANNED)
        .order_by("due_on", "id")
        .values_list("subject", "due_on", "assignee")
    )
    assert todos == [
        ("Get the privacy release", today + dt.timedelta(days=2), alice.pk),
        ("Get the document: DD-214", today + dt.timedelta(days=7), alice.pk),
        ("Follow up with the VA", today + dt.timedelta(days=14), alice.pk),
    ]


def test_reassigning_moves_the_open_todos(case, alice, bella):
    todo = services.plan_action(case, by=alice, subject="Call VA", due_on=timezone.localdate())
    services.assign_case(case, by=alice, assignee=bella)
    todo.refresh_from_db()
    assert todo.assignee == bella
    assert case.actions.filter(kind=ActionKind.ASSIGNMENT).count() == 1


def test_bulk_assign_refuses_another_offices_case_as_a_whole(ward1, manny, case, wren_case, bella):
    from civicdesk.casework.errors import CaseRefused

    with pytest.raises(CaseRefused):
        services.bulk_assign(ward1, by=manny, case_ids=[case.pk, wren_case.pk], assignee=bella)
    case.refresh_from_db()
    assert case.assignee_id != bella.pk
    assert services.bulk_assign(ward1, by=manny, case_ids=[case.pk], assignee=bella) == 1


def test_completing_a_todo_twice_is_refused(case, alice):
    from civicdesk.casework.errors import CaseRefused

    todo = services.plan_action(case, by=alice, subject="Call VA", due_on=timezone.localdate())
    services.complete_action(todo, by=alice, note="Spoke to Ms Lee")
    with pytest.raises(CaseRefused):
        services.complete_action(todo, by=alice)
    todo.refresh_from_db()
    assert (todo.state, todo.body) == ("done", "Spoke to Ms Lee")


def test_every_change_is_audited(case, alice):
    actions = set(
        AuditEvent.objects.filter(object_id=str(case.pk)).values_list("action", flat=True)
    )
    assert "case.opened" in actions


def test_finishing_a_case_cancels_its_open_todos(case, alice):
    todo = services.plan_action(case, by=alice, subject="Call VA", due_on=timezone.localdate())
    services.change_status(case, by=alice, status="resolved", resolution="Claim paid")
    todo.refresh_from_db()
    assert todo.state == ActionState.CANCELLED
    assert todo.occurred_at is not None


def test_merging_tags_moves_the_cases_tags(ward1, adam, alice, john, housing):
    from civicdesk.tags.models import Tag
    from civicdesk.tags.services import merge_tags

    roads = Tag.objects.create(office=ward1, name="Roads", slug="roads", path="Roads")
    repair = Tag.objects.create(office=ward1, name="Repair", slug="repair", path="Repair")
    case = services.open_case(ward1, by=alice, person=john, case_type=housing, subject="Pothole",
                              tag_ids=[roads.pk])  # fmt: skip
    merge_tags(roads, repair, by=adam)
    assert list(case.tags.values_list("name", flat=True)) == ["Repair"]
    repair.refresh_from_db()
    assert repair.usage_count == 1
