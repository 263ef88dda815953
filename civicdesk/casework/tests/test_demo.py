"""The demo cases (casework/demo.py): 60 cases over demo people on the DC wards, checked for the
things a real office's cases always satisfy."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from civicdesk.accounts.models import Membership
from civicdesk.audit.models import AuditEvent
from civicdesk.casework import queries, services
from civicdesk.casework.demo import TYPES, build_demo_cases
from civicdesk.casework.models import (
    CLOSED_STATUSES,
    ActionKind,
    ActionState,
    Case,
    CaseAction,
    CaseCounter,
    CaseDistrict,
    CaseParty,
    CaseType,
    LetterTemplate,
    PrivacyRelease,
    Team,
)
from civicdesk.constituents.demo import build_people
from civicdesk.constituents.models import AddressDistrict, Interaction, Person

COUNT = 60


@pytest.fixture
def city(ward1, alice, manny):
    """Ward 1 with 150 demo people on the DC wards, a caseworker and a manager."""
    build_people(ward1, seed=1, count=150)
    return ward1


def start_of_today(office) -> dt.datetime:
    tz = ZoneInfo(office.time_zone)
    return dt.datetime.combine(dt.datetime.now(tz).date(), dt.time(0), tzinfo=tz)


def local_day(office, moment: dt.datetime) -> dt.date:
    return moment.astimezone(ZoneInfo(office.time_zone)).date()


def demo_cases(office) -> list[Case]:
    return list(Case.objects.for_office(office).select_related("case_type").order_by("number"))


def done_actions(case: Case) -> list[CaseAction]:
    return list(case.actions.filter(state=ActionState.DONE).order_by("occurred_at", "id"))


def fingerprint(office) -> list[tuple]:
    cases = Case.objects.for_office(office).select_related("case_type", "assignee__user", "agency")
    return [
        (case.number, case.case_type.name, case.subject, case.status, case.priority,
         case.due_on, case.assignee.user.email if case.assignee else None, case.opened_at,
         case.closed_at, case.primary_person_id, case.agency.name,
         [(a.kind, a.state, a.subject, a.occurred_at, a.due_on)
          for a in case.actions.order_by("occurred_at", "due_on", "id")])
        for case in cases.order_by("number")
    ]  # fmt: skip


def test_the_demo_opens_the_cases_asked_for_numbered_as_they_opened(city):
    result = build_demo_cases(city, count=COUNT, seed=1)

    cases = demo_cases(city)
    assert (result.cases, len(cases)) == (COUNT, COUNT)
    assert [case.number for case in cases] == list(range(1, COUNT + 1))
    assert [case.opened_at for case in cases] == sorted(case.opened_at for case in cases)
    assert CaseCounter.objects.get(office=city).last_number == COUNT
    assert CaseParty.objects.filter(office=city, role="primary").count() == COUNT
    assert all(
        case.parties.filter(person_id=case.primary_person_id, role="primary").exists()
        for case in cases
    )
    assert sorted(CaseType.objects.for_office(city).values_list("name", flat=True)) == sorted(
        spec.name for spec in TYPES
    )
    assert all(t.templates.count() == 1 for t in CaseType.objects.for_office(city))
    assert sorted(Team.objects.for_office(city).values_list("name", flat=True)) == [
        "City services desk", "Federal agencies desk",
    ]  # fmt: skip
    assert set(LetterTemplate.objects.for_office(city).values_list("kind", flat=True)) == {
        "agency_inquiry", "constituent_update",
    }  # fmt: skip
    assert result.actions == CaseAction.objects.filter(office=city, state="done").count()
    assert result.todos == CaseAction.objects.filter(office=city, state="planned").count()


def test_the_load_is_one_audit_event(city):
    before = AuditEvent.objects.filter(office=city, action__startswith="case.").count()

    result = build_demo_cases(city, count=COUNT, seed=1)

    event = AuditEvent.objects.get(office=city, action="demo.cases_loaded")
    assert event.changes["cases"] == [None, COUNT]
    assert event.changes["actions"] == [None, result.actions]
    assert AuditEvent.objects.filter(office=city, action__startswith="case.").count() == before


def test_numbers_continue_after_the_offices_own_cases(city, alice):
    person = Person.objects.for_office(city).order_by("pk").first()
    housing = services.create_case_type(city, by=None, name="Housing")
    own = services.open_case(city, by=alice, person=person, case_type=housing, subject="Heat")

    build_demo_cases(city, count=COUNT, seed=1)
    after = services.open_case(city, by=alice, person=person, case_type=housing, subject="Mould")

    numbers = sorted(Case.objects.for_office(city).values_list("number", flat=True))
    assert (own.number, after.number) == (1, COUNT + 2)
    assert numbers == list(range(1, COUNT + 3))
    assert CaseCounter.objects.get(office=city).last_number == COUNT + 2


def test_every_case_has_3_to_15_actions_in_time_order_before_today(city):
    build_demo_cases(city, count=COUNT, seed=1)

    today = start_of_today(city)
    for case in demo_cases(city):
        history = done_actions(case)
        assert 3 <= len(history) <= 15, case
        assert (history[0].kind, history[0].subject) == (ActionKind.NOTE, "Case opened")
        assert history[0].occurred_at == case.opened_at == case.created_at
        assert history[0].by_id == case.created_by_id
        assert history[-1].occurred_at == case.updated_at < today
        times = [action.occurred_at for action in history]
        assert times == sorted(times)


def test_a_cases_status_is_where_its_status_changes_led(city):
    build_demo_cases(city, count=COUNT, seed=1)

    for case in demo_cases(city):
        status, finished_at = "open", None
        for change in case.actions.filter(kind=ActionKind.STATUS_CHANGE).order_by(
            "occurred_at", "id"
        ):
            old, new = change.details["status"]
            assert old == status, case
            assert new in case.case_type.next_statuses(old), case
            if new in CLOSED_STATUSES and old not in CLOSED_STATUSES:
                finished_at = change.occurred_at
            elif new not in CLOSED_STATUSES:
                finished_at = None
            status = new
        assert case.status == status, case
        assert case.closed_at == finished_at, case
        if case.status in CLOSED_STATUSES:
            assert case.resolution, case


def test_every_finished_case_has_closed_at_and_no_open_one_does(city):
    build_demo_cases(city, count=COUNT, seed=1)

    cases = Case.objects.for_office(city)
    finished = cases.filter(status__in=CLOSED_STATUSES)
    assert finished.exists()
    assert finished.filter(closed_at=None).count() == 0
    assert cases.exclude(status__in=CLOSED_STATUSES).exclude(closed_at=None).count() == 0


def test_ticklers_are_only_on_open_cases_for_their_assignee_after_the_last_action(city):
    build_demo_cases(city, count=COUNT, seed=1)

    planned = CaseAction.objects.filter(office=city, state=ActionState.PLANNED)
    assert planned.exists()
    for todo in planned.select_related("case"):
        assert todo.case.status not in CLOSED_STATUSES
        assert todo.assignee_id == todo.case.assignee_id is not None
        assert todo.due_on > local_day(city, done_actions(todo.case)[-1].occurred_at)


def test_cases_that_need_a_release_have_one_before_the_agency_is_contacted(city):
    build_demo_cases(city, count=COUNT, seed=1)

    for case in demo_cases(city):
        releases = list(PrivacyRelease.objects.filter(case=case))
        inquiries = case.actions.filter(kind=ActionKind.AGENCY_INQUIRY, state="done").order_by(
            "occurred_at"
        )
        if not case.case_type.needs_privacy_release:
            assert releases == []
            continue
        if not inquiries:
            continue
        [release] = releases
        recorded = case.actions.get(kind=ActionKind.PRIVACY_RELEASE, state="done")
        assert release.signed_on <= local_day(city, inquiries[0].occurred_at)
        assert (release.person_id, release.method, recorded.details["release"]) == (
            case.primary_person_id, "e_signature", release.pk,
        )  # fmt: skip
        assert release.agency_id in (None, case.agency_id)
        assert release.signed_name


def test_cases_take_their_constituents_districts_and_their_types_sensitivity(city):
    build_demo_cases(city, count=COUNT, seed=1)

    assert CaseDistrict.objects.filter(office=city).exists()
    for case in demo_cases(city):
        districts = set(
            AddressDistrict.objects.filter(address__person_id=case.primary_person_id)
            .values_list("district_id", flat=True)
        )  # fmt: skip
        assert set(case.district_links.values_list("district_id", flat=True)) == districts
        assert case.is_sensitive == case.case_type.is_sensitive
        entry = Interaction.objects.get(
            person_id=case.primary_person_id, kind="case", source_id=str(case.pk),
            occurred_at=case.opened_at,
        )  # fmt: skip
        expected = (
            f"Sensitive case {case.reference}"
            if case.is_sensitive
            else f"Case {case.reference} opened: {case.subject}"
        )
        assert entry.subject == expected


def test_the_cases_fill_the_queues_and_my_work(city, alice, manny):
    build_demo_cases(city, count=COUNT, seed=1)

    open_cases = Case.objects.for_office(city).exclude(status__in=CLOSED_STATUSES)
    mine = open_cases.filter(assignee=alice)
    assert queries.case_list(manny, queries.CaseFilter()).total_count == COUNT
    assert queries.queue_counts(alice)["mine"] == mine.count()
    assert {a.pk for a in queries.my_work(alice)} == set(
        CaseAction.objects.filter(assignee=alice, state="planned").values_list("pk", flat=True)
    )


def test_the_same_seed_builds_the_same_cases(city):
    with transaction.atomic():
        build_demo_cases(city, count=COUNT, seed=1)
        first = fingerprint(city)
        transaction.set_rollback(True)  # as if on the office before
    assert Case.objects.count() == 0
    with transaction.atomic():
        build_demo_cases(city, count=COUNT, seed=2)
        other = fingerprint(city)
        transaction.set_rollback(True)

    build_demo_cases(city, count=COUNT, seed=1)

    assert fingerprint(city) == first
    assert other != first


def test_a_bigger_load_adds_caseworkers_to_share_it(city, alice):
    build_demo_cases(city, count=901, seed=1)  # more than one caseload (900 cases)

    workers = Membership.objects.for_office(city).filter(role="caseworker").order_by("pk")
    assert [m.user.email for m in workers] == [
        "alice@ward1.example", "renee.castillo@demo.civicdesk.localhost",
    ]  # fmt: skip
    assigned = Case.objects.for_office(city).exclude(assignee=None)
    assert set(assigned.values_list("assignee__role", flat=True)) == {"caseworker", "manager"}
    renee = workers[1]
    assert Case.objects.filter(assignee=renee).exists()
