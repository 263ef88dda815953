import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from civicdesk.accounts.permissions import Role
from civicdesk.audit.models import AuditEvent
from civicdesk.casework import services
from civicdesk.casework.models import ActionState, Case, CaseAction, CaseDocument
from civicdesk.constituents.tests.conftest import make_person, make_tag
from conftest import make_member

JSON = "application/json"


def post(client, url: str, body: dict | None = None):
    return client.post(url, body or {}, content_type=JSON)


def patch(client, url: str, body: dict):
    return client.patch(url, body, content_type=JSON)


def case_state(case: Case) -> tuple:
    case.refresh_from_db()
    return (case.status, case.subject, case.assignee_id, case.version, case.actions.count())


@pytest.fixture
def vera(ward1):
    """A viewer in Ward 1: reads cases, changes nothing."""
    return make_member(ward1, "vera@ward1.example", Role.VIEWER, "Vera Viewer")


@pytest.fixture
def lease(case, alice) -> CaseDocument:
    document = CaseDocument(
        office=case.office, case=case, name="lease.pdf", content_type="application/pdf",
        size=8, sha256="0" * 64, uploaded_by=alice,
    )  # fmt: skip
    document.file.save("lease.pdf", ContentFile(b"%PDF-1.4"), save=False)
    document.save()
    return document


# ---------------------------------------------------------------- opening, reading, editing


def test_open_read_and_edit_a_case(api, alice, bella, john, housing, ward1):
    sister = make_person(ward1, "Jane", "Smith")
    tag = make_tag(ward1, "Heating")
    client = api(alice)

    created = post(client, "/api/v1/cases", {
        "person_id": john.pk, "case_type_id": housing.pk, "subject": "  No  heat ",
        "description": "Since Monday.", "priority": 3, "due_on": "2026-04-01",
        "assignee_id": bella.pk, "family_ids": [sister.pk], "tag_ids": [tag.pk],
    })  # fmt: skip

    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["reference"], body["subject"], body["status"], body["priority"]) == (
        "C-1", "No heat", "open", 3,
    )  # fmt: skip
    assert body["assignee"] == {"id": bella.pk, "name": "Bella Brown"}
    assert body["case_type"] == {"id": housing.pk, "name": "Housing"}
    assert body["people"] == [
        {"id": john.pk, "display_name": "John Smith", "role": "primary"},
        {"id": sister.pk, "display_name": "Jane Smith", "role": "family"},
    ]
    assert body["tags"] == [{"id": tag.pk, "name": "Heating", "path": "Heating"}]
    assert body["allowed_statuses"] == ["waiting_agency", "waiting_constituent", "resolved",
                                        "closed"]  # fmt: skip
    assert (body["due_on"], body["version"], body["is_open"]) == ("2026-04-01", 1, True)

    read = client.get(f"/api/v1/cases/{body['id']}")
    assert read.status_code == 200
    assert read.json()["description"] == "Since Monday."

    changed = patch(client, f"/api/v1/cases/{body['id']}", {
        "version": 1, "subject": "No heat or hot water", "due_on": None, "tag_ids": [],
    })  # fmt: skip
    assert changed.status_code == 200, changed.content
    assert (changed.json()["subject"], changed.json()["due_on"], changed.json()["tags"]) == (
        "No heat or hot water", None, [],
    )  # fmt: skip
    assert changed.json()["version"] == 2


def test_opening_with_a_template_plans_its_steps(api, alice, john, veterans, veterans_template):
    response = post(api(alice), "/api/v1/cases", {
        "person_id": john.pk, "case_type_id": veterans.pk, "subject": "Claim",
        "assignee_id": alice.pk, "template_id": veterans_template.pk,
    })  # fmt: skip

    assert response.status_code == 201, response.content
    case = Case.objects.get(pk=response.json()["id"])
    assert response.json()["template_id"] == veterans_template.pk
    assert sorted(case.actions.filter(state="planned").values_list("subject", flat=True)) == [
        "Follow up with the VA", "Get the document: DD-214", "Get the privacy release",
    ]  # fmt: skip


def test_ids_of_another_office_are_refused_like_missing_ones(api, alice, john, housing, ward2):
    wren = make_person(ward2, "Wren", "Smith")
    client = api(alice)

    other = post(client, "/api/v1/cases", {
        "person_id": wren.pk, "case_type_id": housing.pk, "subject": "Heat",
    })  # fmt: skip
    missing = post(client, "/api/v1/cases", {
        "person_id": 999999, "case_type_id": housing.pk, "subject": "Heat",
    })  # fmt: skip

    assert (other.status_code, missing.status_code) == (422, 422)
    assert other.json()["error"] == {
        "code": "unknown_reference",
        "message": f"No person with id {wren.pk} in this office.",
        "details": {"person_id": f"No person with id {wren.pk} in this office."},
    }
    assert missing.json()["error"]["message"] == "No person with id 999999 in this office."
    assert Case.objects.count() == 0


def test_a_family_list_naming_another_offices_person_opens_nothing(
    api, alice, john, housing, ward2
):
    wren = make_person(ward2, "Wren", "Smith")

    response = post(api(alice), "/api/v1/cases", {
        "person_id": john.pk, "case_type_id": housing.pk, "subject": "Heat",
        "family_ids": [wren.pk],
    })  # fmt: skip

    assert response.status_code == 422
    assert response.json()["error"]["details"] == {
        "family_ids": f"No person with id {wren.pk} in this office."
    }
    assert Case.objects.count() == 0


def test_reading_a_case_is_audited(api, alice, case):
    api(alice).get(f"/api/v1/cases/{case.pk}")
    api(alice).get(f"/api/v1/cases/{case.pk}/actions")

    views = AuditEvent.objects.filter(action="case.viewed", object_id=str(case.pk))
    assert [event.actor for event in views] == [alice, alice]


def test_an_edit_on_an_old_version_answers_409_and_changes_nothing(api, alice, bella, case):
    services.update_case(case, by=bella, version=1, fields={"subject": "Claim delayed"})

    response = patch(api(alice), f"/api/v1/cases/{case.pk}", {"version": 1, "subject": "Mine"})

    assert response.status_code == 409
    error = response.json()["error"]
    assert (error["code"], error["details"]) == ("edit_conflict", {"current_version": 2})
    assert error["message"].startswith("Someone changed this case after you opened it.")
    case.refresh_from_db()
    assert (case.subject, case.version) == ("Claim delayed", 2)


def test_an_edit_without_a_version_is_invalid(api, alice, case):
    response = patch(api(alice), f"/api/v1/cases/{case.pk}", {"subject": "Mine"})

    assert response.status_code == 422
    case.refresh_from_db()
    assert (case.subject, case.version) == ("Disability claim delayed", 1)


def test_an_edit_naming_another_offices_agency_changes_nothing(api, alice, case, ward2):
    from civicdesk.constituents import services as constituent_services

    other = constituent_services.create_organization(ward2, by=None, fields={"name": "HUD"})

    response = patch(api(alice), f"/api/v1/cases/{case.pk}", {"version": 1, "agency_id": other.pk})

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unknown_reference"
    case.refresh_from_db()
    assert (case.agency.name, case.version) == ("Department of Veterans Affairs", 1)


# ---------------------------------------------------------------- the list


def test_the_list_shows_the_cases_newest_activity_first_a_page_at_a_time(
    api, alice, ward1, john, housing
):
    cases = [
        services.open_case(ward1, by=alice, person=john, case_type=housing, subject=f"Leak {n}")
        for n in range(3)
    ]
    client = api(alice)

    first = client.get("/api/v1/cases?page_size=2")
    assert first.status_code == 200, first.content
    assert [row["subject"] for row in first.json()["results"]] == ["Leak 2", "Leak 1"]
    second = client.get(first.json()["next"])
    assert [row["subject"] for row in second.json()["results"]] == ["Leak 0"]
    assert second.json()["next"] is None
    assert first.json()["results"][0]["primary_person"] == {
        "id": john.pk, "display_name": "John Smith"
    }  # fmt: skip
    assert {row["id"] for row in first.json()["results"]} <= {c.pk for c in cases}


def test_the_list_filters_by_queue_status_type_person_and_text(
    api, alice, bella, ward1, john, housing, case
):
    leak = services.open_case(ward1, by=bella, person=john, case_type=housing, subject="Leak",
                              assignee=bella)  # fmt: skip
    jane = make_person(ward1, "Jane", "Doe")
    services.open_case(ward1, by=alice, person=jane, case_type=housing, subject="Rats")
    services.change_status(leak, by=bella, status="resolved", resolution="Fixed")
    client = api(alice)

    def subjects(query: str) -> list[str]:
        response = client.get(f"/api/v1/cases?{query}")
        assert response.status_code == 200, response.content
        return [row["subject"] for row in response.json()["results"]]

    assert subjects("queue=mine") == ["Disability claim delayed"]
    assert subjects("queue=unassigned") == ["Rats"]
    assert subjects("status=resolved") == ["Leak"]
    assert subjects(f"case_type_id={housing.pk}") == ["Leak", "Rats"]
    assert subjects(f"person_id={john.pk}") == ["Leak", "Disability claim delayed"]
    assert subjects(f"assignee_id={bella.pk}") == ["Leak"]
    assert subjects("q=disability") == ["Disability claim delayed"]
    assert subjects(f"q=C-{leak.number}") == ["Leak"]


def test_an_unknown_queue_answers_400(api, alice, case):
    response = api(alice).get("/api/v1/cases?queue=someday")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


def test_the_list_reads_the_same_few_queries_however_many_cases(
    api, alice, ward1, john, housing, bella, django_assert_num_queries
):
    client = api(alice)
    services.open_case(ward1, by=alice, person=john, case_type=housing, subject="One",
                       assignee=bella)  # fmt: skip
    client.get("/api/v1/cases")  # the token's first use of the minute writes its last_used_at
    # The token with its membership, then the page with everything its rows show.
    with django_assert_num_queries(2):
        assert len(client.get("/api/v1/cases").json()["results"]) == 1
    for n in range(5):
        services.open_case(ward1, by=alice, person=john, case_type=housing, subject=f"N{n}",
                           assignee=alice)  # fmt: skip
    with django_assert_num_queries(2):
        assert len(client.get("/api/v1/cases?queue=mine").json()["results"]) == 5


def test_a_sensitive_case_shows_only_to_its_assignee_and_managers(
    api, alice, bella, manny, ward1, john, immigration
):
    secret = services.open_case(ward1, by=manny, person=john, case_type=immigration,
                                subject="Asylum", assignee=bella)  # fmt: skip

    assert api(alice).get("/api/v1/cases").json()["results"] == []
    assert api(alice).get(f"/api/v1/cases/{secret.pk}").status_code == 404
    assert post(api(alice), f"/api/v1/cases/{secret.pk}/actions",
                {"subject": "Peek"}).status_code == 404  # fmt: skip
    assert api(bella).get(f"/api/v1/cases/{secret.pk}").status_code == 200
    assert [row["id"] for row in api(manny).get("/api/v1/cases").json()["results"]] == [secret.pk]
    assert secret.actions.count() == 1  # only "Case opened"


def test_opening_a_sensitive_case_for_a_colleague_answers_with_the_case(
    api, alice, bella, john, immigration
):
    response = post(api(alice), "/api/v1/cases", {
        "person_id": john.pk, "case_type_id": immigration.pk, "subject": "Visa",
        "assignee_id": bella.pk,
    })  # fmt: skip

    assert response.status_code == 201, response.content
    assert (response.json()["is_sensitive"], response.json()["assignee"]["id"]) == (True, bella.pk)
    assert api(alice).get(f"/api/v1/cases/{response.json()['id']}").status_code == 404


def test_giving_away_ones_sensitive_case_answers_with_the_case(
    api, bella, alice, manny, ward1, john, immigration
):
    secret = services.open_case(ward1, by=manny, person=john, case_type=immigration,
                                subject="Asylum", assignee=bella)  # fmt: skip

    response = post(api(bella), f"/api/v1/cases/{secret.pk}/assign", {"assignee_id": alice.pk})

    assert response.status_code == 200, response.content
    assert response.json()["assignee"] == {"id": alice.pk, "name": "Alice Alvarez"}
    assert api(bella).get(f"/api/v1/cases/{secret.pk}").status_code == 404


# ---------------------------------------------------------------- status and assignment


def test_resolving_then_reopening_a_case(api, alice, case):
    client = api(alice)

    resolved = post(client, f"/api/v1/cases/{case.pk}/status",
                    {"status": "resolved", "resolution": "Claim paid."})  # fmt: skip
    assert resolved.status_code == 200, resolved.content
    assert (resolved.json()["status"], resolved.json()["is_open"]) == ("resolved", False)
    assert resolved.json()["allowed_statuses"] == ["closed", "open"]

    reopened = post(client, f"/api/v1/cases/{case.pk}/status", {"status": "open"})
    assert (reopened.json()["status"], reopened.json()["closed_at"]) == ("open", None)


def test_an_illegal_status_change_answers_409_saying_why(api, alice, case):
    services.change_status(case, by=alice, status="resolved", resolution="Paid")
    before = case_state(case)

    response = post(api(alice), f"/api/v1/cases/{case.pk}/status",
                    {"status": "waiting_constituent"})  # fmt: skip

    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "illegal_status_change",
        "message": "A “Veterans benefits” case cannot go from “Resolved” to “Waiting on "
        "constituent”. From “Resolved” it may go to: “Closed”, “Open”.",
        "details": {"from": "resolved", "to": "waiting_constituent", "allowed": ["closed", "open"]},
    }
    assert case_state(case) == before


def test_waiting_on_the_agency_without_the_release_answers_409(api, alice, case):
    before = case_state(case)

    response = post(api(alice), f"/api/v1/cases/{case.pk}/status", {"status": "waiting_agency"})

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "privacy_release_required"
    assert error["message"].startswith("A “Veterans benefits” case needs the constituent's")
    assert case_state(case) == before


def test_assign_a_case_to_a_colleague_and_its_todos_follow(api, alice, bella, case):
    services.plan_action(case, by=alice, subject="Call the VA", due_on=timezone.localdate())

    response = post(api(alice), f"/api/v1/cases/{case.pk}/assign", {"assignee_id": bella.pk})

    assert response.status_code == 200, response.content
    assert response.json()["assignee"] == {"id": bella.pk, "name": "Bella Brown"}
    assert CaseAction.objects.get(subject="Call the VA").assignee == bella


def test_assigning_to_another_offices_staff_changes_nothing(api, alice, carol, case):
    before = case_state(case)

    response = post(api(alice), f"/api/v1/cases/{case.pk}/assign", {"assignee_id": carol.pk})

    assert response.status_code == 422
    assert response.json()["error"]["message"] == (
        f"No staff member with id {carol.pk} in this office."
    )
    assert case_state(case) == before


def test_a_manager_reassigns_cases_in_bulk(api, manny, alice, bella, ward1, john, housing, case):
    leak = services.open_case(ward1, by=alice, person=john, case_type=housing, subject="Leak")

    response = post(api(manny), "/api/v1/cases/bulk-assign",
                    {"case_ids": [case.pk, leak.pk], "assignee_id": bella.pk})  # fmt: skip

    assert response.status_code == 200, response.content
    assert response.json() == {"changed": 2}
    assert set(Case.objects.values_list("assignee", flat=True)) == {bella.pk}


def test_bulk_assign_is_for_managers_and_refuses_another_offices_case_whole(
    api, manny, alice, bella, case, wren_case
):
    body = {"case_ids": [case.pk], "assignee_id": bella.pk}
    assert post(api(alice), "/api/v1/cases/bulk-assign", body).status_code == 403

    body["case_ids"] = [case.pk, wren_case.pk]
    response = post(api(manny), "/api/v1/cases/bulk-assign", body)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "case_refused"
    assert set(Case.objects.values_list("assignee", flat=True)) == {alice.pk, None}


# ---------------------------------------------------------------- actions and to-dos


def test_log_plan_list_and_complete_actions(api, alice, case):
    client = api(alice)
    url = f"/api/v1/cases/{case.pk}/actions"

    logged = post(client, url, {"kind": "call", "subject": "Called the VA", "body": "On hold.",
                                "occurred_at": "2026-03-02T10:00:00Z", "is_public": True})  # fmt: skip
    assert logged.status_code == 201, logged.content
    assert (logged.json()["kind"], logged.json()["state"], logged.json()["by"]) == (
        "call", "done", {"id": alice.pk, "name": "Alice Alvarez"},
    )  # fmt: skip
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    planned = post(client, url, {"kind": "task", "subject": "Chase the VA",
                                 "due_on": yesterday.isoformat()})  # fmt: skip
    assert planned.status_code == 201, planned.content
    todo = planned.json()
    assert (todo["state"], todo["is_overdue"], todo["assignee"]["id"]) == (
        "planned",
        True,
        alice.pk,
    )

    listed = client.get(url)
    assert [row["subject"] for row in listed.json()["results"]] == [
        "Chase the VA", "Case opened", "Called the VA",
    ]  # fmt: skip
    assert [row["subject"] for row in client.get(f"{url}?state=planned").json()["results"]] == [
        "Chase the VA"
    ]

    done = post(client, f"{url}/{todo['id']}/complete", {"note": "They answered."})
    assert done.status_code == 200, done.content
    assert (done.json()["state"], done.json()["body"]) == ("done", "They answered.")
    again = post(client, f"{url}/{todo['id']}/complete", {"cancel": True})
    assert again.status_code == 409
    assert CaseAction.objects.get(pk=todo["id"]).state == ActionState.DONE


def test_a_status_change_cannot_be_logged_by_hand(api, alice, case):
    response = post(api(alice), f"/api/v1/cases/{case.pk}/actions",
                    {"kind": "status_change", "subject": "Closed it"})  # fmt: skip

    assert response.status_code == 422
    assert case.actions.count() == 1


def test_an_agency_inquiry_needs_the_release_on_file(api, alice, case):
    response = post(api(alice), f"/api/v1/cases/{case.pk}/actions",
                    {"kind": "agency_inquiry", "subject": "Wrote to the VA"})  # fmt: skip

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "privacy_release_required"
    assert case.actions.count() == 1


def test_another_cases_todo_is_404(api, alice, ward1, john, housing, case):
    other = services.open_case(ward1, by=alice, person=john, case_type=housing, subject="Leak")
    todo = services.plan_action(other, by=alice, subject="Call", due_on=timezone.localdate())

    response = post(api(alice), f"/api/v1/cases/{case.pk}/actions/{todo.pk}/complete")

    assert response.status_code == 404
    todo.refresh_from_db()
    assert todo.state == ActionState.PLANNED


def test_apply_a_template_to_a_case(api, alice, case, veterans_template):
    response = post(api(alice), f"/api/v1/cases/{case.pk}/apply-template",
                    {"template_id": veterans_template.pk})  # fmt: skip

    assert response.status_code == 200, response.content
    today = timezone.localdate()
    assert [(row["subject"], row["due_on"]) for row in response.json()] == [
        ("Get the privacy release", (today + dt.timedelta(days=2)).isoformat()),
        ("Follow up with the VA", (today + dt.timedelta(days=14)).isoformat()),
        ("Get the document: DD-214", (today + dt.timedelta(days=7)).isoformat()),
    ]


# ---------------------------------------------------------------- attachments


def test_list_and_download_an_attachment_audited(api, alice, case, lease):
    client = api(alice)

    listed = client.get(f"/api/v1/cases/{case.pk}/attachments")
    assert listed.status_code == 200
    assert [(d["id"], d["name"], d["size"]) for d in listed.json()] == [(lease.pk, "lease.pdf", 8)]

    download = client.get(f"/api/v1/cases/{case.pk}/attachments/{lease.pk}")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4"
    assert download["Content-Disposition"] == 'attachment; filename="lease.pdf"'
    event = AuditEvent.objects.get(action="case.document_downloaded")
    assert (event.actor, event.object_id) == (alice, str(case.pk))


def test_another_cases_attachment_is_404(api, alice, ward1, john, housing, lease):
    other = services.open_case(ward1, by=alice, person=john, case_type=housing, subject="Leak")

    response = api(alice).get(f"/api/v1/cases/{other.pk}/attachments/{lease.pk}")

    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="case.document_downloaded").exists()


def test_upload_an_attachment(api, alice, case):
    upload = ContentFile(b"%PDF-1.4 claim", name="claim.pdf")

    response = api(alice).post(f"/api/v1/cases/{case.pk}/attachments",
                               {"file": upload, "is_public": "true"})  # fmt: skip

    assert response.status_code == 201, response.content
    document = CaseDocument.objects.get(case=case)
    assert (response.json()["id"], response.json()["name"]) == (document.pk, "claim.pdf")
    assert (response.json()["size"], response.json()["is_public"]) == (14, True)
    assert document.file.read() == b"%PDF-1.4 claim"


def test_an_upload_without_a_file_says_so(api, alice, case):
    response = api(alice).post(f"/api/v1/cases/{case.pk}/attachments", {"is_public": "true"})

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "upload_refused", "message": "Choose a file to attach.", "details": None
    }  # fmt: skip
    assert not CaseDocument.objects.exists()


def test_a_forbidden_file_is_refused_saying_why(api, alice, case):
    upload = ContentFile(b"MZ\x90\x00", name="invoice.exe")
    before = case_state(case)

    response = api(alice).post(f"/api/v1/cases/{case.pk}/attachments", {"file": upload})

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "upload_refused"
    assert error["message"].startswith(
        "invoice.exe: files of this type are not accepted. Accepted: PDF, PNG, JPEG"
    )
    assert not CaseDocument.objects.exists()
    assert case_state(case) == before


def test_an_oversize_file_is_refused_saying_the_limit(api, alice, case, settings):
    settings.CIVICDESK_UPLOAD_MAX_MB = 1
    upload = ContentFile(b"%PDF-1.4" + b"0" * 2 * 1024 * 1024, name="scan.pdf")

    response = api(alice).post(f"/api/v1/cases/{case.pk}/attachments", {"file": upload})

    assert response.status_code == 400
    assert response.json()["error"]["message"] == "scan.pdf is 2.0 MB; the limit is 1 MB."
    assert not CaseDocument.objects.exists()


def test_remove_an_attachment(api, alice, vera, case, lease):
    url = f"/api/v1/cases/{case.pk}/attachments/{lease.pk}"
    assert api(vera).delete(url).status_code == 403
    assert CaseDocument.objects.filter(pk=lease.pk).exists()

    response = api(alice).delete(url)

    assert response.status_code == 204
    assert not CaseDocument.objects.filter(pk=lease.pk).exists()
    assert api(alice).get(url).status_code == 404


# ---------------------------------------------------------------- configuration


def test_case_types_come_with_their_workflow(api, vera, housing, veterans):
    response = api(vera).get("/api/v1/case-types")

    assert response.status_code == 200
    types = {row["name"]: row for row in response.json()}
    assert list(types) == ["Housing", "Veterans benefits"]
    assert types["Veterans benefits"]["needs_privacy_release"] is True
    assert types["Housing"]["transitions"]["resolved"] == ["closed", "open"]
    assert types["Housing"]["transitions"]["closed"] == ["open"]


def test_case_templates_come_with_their_steps(api, alice, veterans_template, veterans):
    response = api(alice).get(f"/api/v1/case-templates?case_type_id={veterans.pk}")

    assert response.status_code == 200
    [template] = response.json()
    assert (template["name"], template["case_type"]["name"]) == (
        "Disability claim", "Veterans benefits",
    )  # fmt: skip
    assert [(s["title"], s["kind"], s["due_after_days"]) for s in template["steps"]] == [
        ("Get the privacy release", "privacy_release", 2),
        ("Follow up with the VA", "agency_inquiry", 14),
    ]
    assert template["documents_needed"] == ["DD-214"]


# ---------------------------------------------------------------- who may do what


def test_another_office_gets_404_everywhere(api, carol, case, lease, veterans_template):
    client = api(carol)
    base = f"/api/v1/cases/{case.pk}"
    todo = services.plan_action(case, by=None, subject="Call", due_on=timezone.localdate())
    before = case_state(case)
    answers = {
        "detail": client.get(base).status_code,
        "patch": patch(client, base, {"version": 1, "subject": "Mine"}).status_code,
        "status": post(client, f"{base}/status", {"status": "closed"}).status_code,
        "assign": post(client, f"{base}/assign", {"assignee_id": carol.pk}).status_code,
        "actions": client.get(f"{base}/actions").status_code,
        "log": post(client, f"{base}/actions", {"subject": "Peek"}).status_code,
        "complete": post(client, f"{base}/actions/{todo.pk}/complete").status_code,
        "attachments": client.get(f"{base}/attachments").status_code,
        "download": client.get(f"{base}/attachments/{lease.pk}").status_code,
        "remove": client.delete(f"{base}/attachments/{lease.pk}").status_code,
        "template": post(
            client, f"{base}/apply-template", {"template_id": veterans_template.pk}
        ).status_code,  # fmt: skip
    }

    assert set(answers.values()) == {404}, answers
    assert client.get("/api/v1/cases").json()["results"] == []
    assert client.get("/api/v1/case-types").json() == []
    assert case_state(case) == before
    assert CaseDocument.objects.filter(pk=lease.pk).exists()
    assert not AuditEvent.objects.filter(actor=carol, action__startswith="case.").exists()


def test_a_viewer_reads_cases_but_changes_nothing(api, vera, case, bella):
    client = api(vera)
    base = f"/api/v1/cases/{case.pk}"
    before = case_state(case)

    assert client.get(base).status_code == 200
    assert client.get("/api/v1/cases").status_code == 200
    assert client.get(f"{base}/actions").status_code == 200
    assert {
        patch(client, base, {"version": 1, "subject": "Mine"}).status_code,
        post(client, f"{base}/status", {"status": "closed", "resolution": "x"}).status_code,
        post(client, f"{base}/assign", {"assignee_id": bella.pk}).status_code,
        post(client, f"{base}/actions", {"subject": "Note"}).status_code,
        post(
            client,
            "/api/v1/cases",
            {
                "person_id": case.primary_person_id,
                "case_type_id": case.case_type_id,
                "subject": "x",
            },
        ).status_code,  # fmt: skip
    } == {403}
    assert case_state(case) == before


def test_a_volunteer_may_not_read_cases(api, victor, case):
    client = api(victor)

    assert client.get("/api/v1/cases").status_code == 403
    assert client.get(f"/api/v1/cases/{case.pk}").status_code == 403
    assert client.get("/api/v1/case-types").status_code == 403
    assert not AuditEvent.objects.filter(action="case.viewed").exists()


def test_the_browser_session_works_too(web, alice, case):
    response = web(alice).get(f"/api/v1/cases/{case.pk}")

    assert (response.status_code, response.json()["reference"]) == (200, "C-1")


def test_without_a_valid_token_the_api_answers_401(client, api, alice, case):
    assert api(alice).get(f"/api/v1/cases/{case.pk}").status_code == 200
    assert client.get(f"/api/v1/cases/{case.pk}").status_code == 401
    wrong = client.get(f"/api/v1/cases/{case.pk}", headers={"authorization": "Bearer cd_nope"})
    assert wrong.status_code == 401
