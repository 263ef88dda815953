"""The case pages: list and queues, opening a case from a person, the case page and what is done
on it, editing with conflict detection, bulk reassignment."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from civicdesk.audit.models import AuditEvent
from civicdesk.casework import services
from civicdesk.casework.models import ActionState, Case, CaseAction


def _detail(case) -> str:
    return reverse("casework:case-detail", args=[case.pk])


def test_the_person_page_offers_to_open_a_case_and_lists_theirs(web, alice, case, john):
    html = web(alice).get(reverse("constituents:person-detail", args=[john.pk])).content.decode()
    assert f"/cases/new/?person={john.pk}" in html
    assert "C-1</a> Disability claim delayed" in html
    # The timeline entry links to the case.
    assert f'<a href="{_detail(case)}">Case C-1 opened: Disability claim delayed</a>' in html


def test_opening_a_case_from_the_person_page(web, alice, john, housing, ward1):
    client = web(alice)
    url = reverse("casework:case-open") + f"?person={john.pk}"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {"person": john.pk, "case_type": housing.pk, "subject": "Mould in the flat",
         "description": "Landlord ignores letters.", "priority": 3, "assignee": alice.pk},
    )  # fmt: skip
    case = Case.objects.get(office=ward1)
    assert response.status_code == 302
    assert response["Location"] == _detail(case)
    assert (case.subject, case.priority, case.assignee, case.primary_person) == (
        "Mould in the flat", 3, alice, john,
    )  # fmt: skip


def test_a_case_without_a_subject_is_refused_and_keeps_what_was_typed(web, alice, john, housing):
    url = reverse("casework:case-open") + f"?person={john.pk}"
    response = web(alice).post(
        url, {"person": john.pk, "case_type": housing.pk, "subject": "", "description": "Kept"}
    )
    assert response.status_code == 400
    assert "Kept</textarea>" in response.content.decode()
    assert Case.objects.count() == 0


def test_new_case_without_a_person_asks_who_it_is_for(web, alice, john):
    html = web(alice).get(reverse("casework:case-open") + "?q=john smith").content.decode()
    assert "Who is the case for?" in html
    assert f"?person={john.pk}" in html


def test_viewing_a_case_is_audited(web, alice, case):
    response = web(alice).get(_detail(case))
    assert response.status_code == 200
    assert "Disability claim delayed" in response.content.decode()
    assert AuditEvent.objects.filter(action="case.viewed", object_id=str(case.pk)).count() == 1


def test_another_offices_case_is_404(web, carol, case):
    assert web(carol).get(_detail(case)).status_code == 404


def test_a_sensitive_case_is_hidden_from_other_caseworkers(
    web, alice, bella, manny, ward1, john, immigration
):
    case = services.open_case(
        ward1, by=alice, person=john, case_type=immigration, subject="Asylum", assignee=alice
    )
    assert web(alice).get(_detail(case)).status_code == 200
    assert web(manny).get(_detail(case)).status_code == 200
    assert web(bella).get(_detail(case)).status_code == 404
    listing = web(bella).get(reverse("casework:case-list")).content.decode()
    assert "Asylum" not in listing


def test_the_queues_hold_the_right_cases(web, alice, bella, ward1, john, housing):
    today = timezone.localdate()
    mine = services.open_case(ward1, by=alice, person=john, case_type=housing,
                              subject="Mine overdue", assignee=alice,
                              due_on=today - dt.timedelta(days=2))  # fmt: skip
    services.open_case(ward1, by=alice, person=john, case_type=housing, subject="Nobody's")
    services.open_case(ward1, by=alice, person=john, case_type=housing, subject="Bella's",
                       assignee=bella)  # fmt: skip
    client = web(alice)

    def subjects(queue: str) -> set[str]:
        response = client.get(reverse("casework:case-list"), {"queue": queue})
        return {c.subject for c in response.context["rows"]}

    assert subjects("mine") == {"Mine overdue"}
    assert subjects("overdue") == {"Mine overdue"}
    assert subjects("unassigned") == {"Nobody's"}
    assert subjects("all") == {"Mine overdue", "Nobody's", "Bella's"}
    assert mine.is_open


def test_the_list_filters_by_text_and_number(web, alice, ward1, john, housing, case):
    services.open_case(ward1, by=alice, person=john, case_type=housing, subject="Leaking roof")
    client = web(alice)
    by_text = client.get(reverse("casework:case-list"), {"q": "roof"}).context["rows"]
    by_number = client.get(reverse("casework:case-list"), {"q": "C-1"}).context["rows"]
    assert [c.subject for c in by_text] == ["Leaking roof"]
    assert [c.pk for c in by_number] == [case.pk]


def test_the_list_pages_with_a_cursor(
    web, alice, ward1, john, housing, django_assert_max_num_queries
):
    for n in range(55):
        services.open_case(ward1, by=None, person=john, case_type=housing, subject=f"Case {n}")
    client = web(alice)
    first = client.get(reverse("casework:case-list"))
    assert len(first.context["rows"]) == 50
    second = client.get(first.context["next_url"])
    assert len(second.context["rows"]) == 5
    assert not {c.pk for c in first.context["rows"]} & {c.pk for c in second.context["rows"]}
    with django_assert_max_num_queries(14):
        client.get(reverse("casework:case-list"))


def test_an_illegal_status_change_is_refused_with_the_reason(web, alice, case):
    response = web(alice).post(
        reverse("casework:case-status", args=[case.pk]),
        {"status": "waiting_agency", "note": "Sent to the VA"},
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "needs the constituent&#x27;s privacy release" in html
    assert "Sent to the VA</textarea>" in html  # nothing typed is lost
    case.refresh_from_db()
    assert case.status == "open"


def test_closing_a_case_from_its_page(web, alice, case):
    response = web(alice).post(
        reverse("casework:case-status", args=[case.pk]),
        {"status": "resolved", "resolution": "Claim approved", "is_public": "on"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.resolution) == ("resolved", "Claim approved")


def test_logging_and_planning_from_the_case_page(web, alice, case):
    client = web(alice)
    due = timezone.localdate() + dt.timedelta(days=3)
    client.post(
        reverse("casework:action-log", args=[case.pk]),
        {"kind": "agency_reply", "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
         "subject": "VA says the file is complete"},
    )  # fmt: skip
    client.post(
        reverse("casework:action-plan", args=[case.pk]),
        {"subject": "Call the VA again", "kind": "call", "due_on": due.isoformat()},
    )
    reply = CaseAction.objects.get(case=case, kind="agency_reply")
    todo = CaseAction.objects.get(case=case, state=ActionState.PLANNED)
    assert (reply.subject, reply.by) == ("VA says the file is complete", alice)
    assert (todo.subject, todo.due_on, todo.assignee) == ("Call the VA again", due, alice)
    html = client.get(_detail(case)).content.decode()
    assert "VA says the file is complete" in html
    assert "Call the VA again" in html


def test_applying_a_template_from_the_case_page(web, alice, case, veterans_template):
    response = web(alice).post(
        reverse("casework:template-apply", args=[case.pk]), {"template": veterans_template.pk}
    )
    assert response.status_code == 302
    assert CaseAction.objects.filter(case=case, state=ActionState.PLANNED).count() == 3


def test_a_concurrent_edit_is_detected_and_nothing_typed_is_lost(web, alice, bella, case):
    url = reverse("casework:case-edit", args=[case.pk])
    form = {"version": case.version, "subject": "Alice's subject", "description": "Alice typed",
            "priority": 2, "agency": "", "agency_contact": "", "agency_reference": ""}  # fmt: skip
    services.update_case(case, by=bella, version=case.version, fields={"subject": "Bella's"})
    response = web(alice).post(url, form)
    assert response.status_code == 409
    html = response.content.decode()
    assert 'value="Alice&#x27;s subject"' in html
    assert "Now saved: Bella&#x27;s" in html
    case.refresh_from_db()
    assert case.subject == "Bella's"
    # Saving again, knowingly, over the new version works.
    form["version"] = case.version
    assert web(alice).post(url, form).status_code == 302
    case.refresh_from_db()
    assert case.subject == "Alice's subject"


def test_bulk_reassign_by_a_manager(web, manny, bella, ward1, john, housing):
    cases = [
        services.open_case(ward1, by=None, person=john, case_type=housing, subject=f"C{n}")
        for n in range(3)
    ]
    response = web(manny).post(
        reverse("casework:case-bulk-assign"),
        {"case_ids": [c.pk for c in cases[:2]], "assignee": bella.pk, "next": "/cases/"},
    )
    assert response.status_code == 302
    assigned = set(Case.objects.filter(assignee=bella).values_list("pk", flat=True))
    assert assigned == {cases[0].pk, cases[1].pk}


def test_a_caseworker_cannot_bulk_reassign(web, alice, bella, case):
    response = web(alice).post(
        reverse("casework:case-bulk-assign"), {"case_ids": [case.pk], "assignee": bella.pk}
    )
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.assignee == alice


def test_a_volunteer_sees_no_cases(web, victor, case):
    assert web(victor).get(reverse("casework:case-list")).status_code == 403
    assert web(victor).get(_detail(case)).status_code == 403


def test_the_search_box_finds_cases_by_reference_and_subject(web, alice, case):
    client = web(alice)
    for text in ("C-1", "disability claim"):
        html = client.get(reverse("reports:search"), {"q": text}).content.decode()
        assert f'href="{_detail(case)}">C-1 Disability claim delayed</a>' in html


def test_the_search_box_hides_others_sensitive_cases(web, alice, bella, ward1, john, immigration):
    services.open_case(ward1, by=alice, person=john, case_type=immigration, subject="Asylum",
                       assignee=alice)  # fmt: skip
    html = web(bella).get(reverse("reports:search"), {"q": "asylum"}).content.decode()
    assert "Asylum" not in html


def test_the_list_finds_the_constituent_in_any_name_order_and_without_accents(
    web, alice, ward1, housing
):
    from civicdesk.constituents.tests.conftest import make_person

    tomas = make_person(ward1, "Tomás", "Núñez")
    services.open_case(ward1, by=alice, person=tomas, case_type=housing, subject="Leak")
    client = web(alice)
    for text in ("tomas nunez", "Núñez Tomás", "NUNEZ"):
        rows = client.get(reverse("casework:case-list"), {"q": text}).context["rows"]
        assert [c.subject for c in rows] == ["Leak"], text


def test_bulk_reassign_needs_someone_to_give_the_cases_to(web, manny, case, alice):
    response = web(manny).post(
        reverse("casework:case-bulk-assign"), {"case_ids": [case.pk], "next": "/cases/"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.assignee == alice


def test_a_sensitive_case_opened_for_a_colleague_leads_back_to_the_person(
    web, alice, bella, john, immigration
):
    url = reverse("casework:case-open") + f"?person={john.pk}"
    response = web(alice).post(
        url, {"person": john.pk, "case_type": immigration.pk, "subject": "Visa", "priority": 2,
              "assignee": bella.pk},
    )  # fmt: skip
    assert response.status_code == 302
    assert response["Location"] == reverse("constituents:person-detail", args=[john.pk])
    assert Case.objects.get().assignee == bella


def test_a_case_types_target_sets_the_due_date(ward1, alice, john):
    from civicdesk.casework.tests.conftest import make_case_type

    repair = make_case_type(ward1, "Street repair", target_days=10)
    case = services.open_case(ward1, by=alice, person=john, case_type=repair, subject="Pothole")
    assert case.due_on == timezone.localdate() + dt.timedelta(days=10)


def test_a_long_list_says_more_than_the_cap(web, alice, ward1, john, housing, monkeypatch):
    from civicdesk.casework import queries

    monkeypatch.setattr(queries, "COUNT_CAP", 3)
    for n in range(5):
        services.open_case(ward1, by=None, person=john, case_type=housing, subject=f"C{n}")
    response = web(alice).get(reverse("casework:case-list"))
    assert "More than 3 cases" in response.content.decode()
    assert len(response.context["rows"]) == 5


def test_the_work_queues_show_their_counts(web, alice, ward1, john, housing):
    services.open_case(ward1, by=None, person=john, case_type=housing, subject="Mine",
                       assignee=alice)  # fmt: skip
    tabs = {
        t["key"]: t["count"] for t in web(alice).get(reverse("casework:case-list")).context["tabs"]
    }
    assert tabs == {"mine": 1, "team": 0, "unassigned": 0, "due_week": 0, "overdue": 0,
                    "waiting_agency": 0, "all": None, "closed": None}  # fmt: skip


def test_bulk_reassign_never_sends_you_off_site(web, manny, bella, case):
    response = web(manny).post(
        reverse("casework:case-bulk-assign"),
        {"case_ids": [case.pk], "assignee": bella.pk, "next": "//evil.example/"},
    )
    assert response["Location"] == reverse("casework:case-list")
    case.refresh_from_db()
    assert case.assignee == bella


def test_the_filter_swap_answers_the_rows_without_counting_the_queues(web, alice, case):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = web(alice)
    url = reverse("casework:case-list")
    with CaptureQueriesContext(connection) as page:
        client.get(url, {"q": "claim"})
    with CaptureQueriesContext(connection) as swap:
        response = client.get(url, {"q": "claim"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert 'id="case-rows"' in html
    assert "queue-tabs" not in html

    def case_counts(queries) -> int:
        return sum("COUNT(" in q["sql"] and '"casework_case"' in q["sql"] for q in queries)

    # The page counts the matches and the queues (the aggregate and the team count); the swap
    # counts only the matches.
    assert (case_counts(page.captured_queries), case_counts(swap.captured_queries)) == (3, 1)
