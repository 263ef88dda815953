"""The casework settings pages: case types and their workflow, templates and their steps,
teams, and the usual case types an office can start with. Only admins change them (adam holds
TOTP, as admins must, so `web(adam)` passes the MFA check); Ward 2's settings are a 404."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from civicdesk.audit.models import AuditEvent
from civicdesk.casework import services
from civicdesk.casework.config_forms import BLANK_STEP_ROWS
from civicdesk.casework.models import (
    DEFAULT_TRANSITIONS,
    ActionState,
    CaseAction,
    CaseStatus,
    CaseTemplate,
    CaseType,
    Team,
    TemplateStep,
)
from civicdesk.casework.services.config import STARTER_CASE_TYPES, seed_case_types
from civicdesk.casework.tests.conftest import make_case_type

TYPES = reverse("casework:config-types")
SEED = reverse("casework:config-types-seed")
TYPE_NEW = reverse("casework:config-type-new")
TEMPLATES = reverse("casework:config-templates")
TEMPLATE_NEW = reverse("casework:config-template-new")
TEAMS = reverse("casework:config-teams")
TEAM_NEW = reverse("casework:config-team-new")


def type_edit(case_type) -> str:
    return reverse("casework:config-type-edit", args=[case_type.pk])


def template_edit(template) -> str:
    return reverse("casework:config-template-edit", args=[template.pk])


def template_delete(template) -> str:
    return reverse("casework:config-template-delete", args=[template.pk])


def team_edit(team) -> str:
    return reverse("casework:config-team-edit", args=[team.pk])


def type_data(name: str = "Taxes", flows: dict | None = None, **fields) -> dict:
    """What the case type form posts: its fields and one list of ticked targets per status."""
    data = {"name": name, "description": "", "target_days": "", "is_active": "on", **fields}
    for status, targets in (DEFAULT_TRANSITIONS if flows is None else flows).items():
        data[f"flow_{status}"] = [str(t) for t in targets]
    return data


def template_data(case_type, name: str = "Standard", steps=(), **fields) -> dict:
    """What the template form posts: the steps as three parallel lists, in page order."""
    data = {"case_type": case_type.pk, "name": name, "documents_needed": "",
            "documents_due_after_days": "7", "default_assignee": "", "default_team": "",
            **fields}  # fmt: skip
    data["step-title"] = [title for title, _kind, _days in steps]
    data["step-kind"] = [kind for _title, kind, _days in steps]
    data["step-days"] = [days for _title, _kind, days in steps]
    return data


def in_page_order(flows: dict) -> dict[str, list[str]]:
    """A workflow as the matrix lists it: targets in the order of the statuses."""
    return {str(k): [s for s in CaseStatus.values if s in v] for k, v in flows.items()}


def ticks(matrix: list[dict]) -> dict[str, list[str]]:
    return {row["status"]: [c["status"] for c in row["cells"] if c["is_checked"]] for row in matrix}


def steps_of(template) -> list[tuple]:
    return list(template.steps.values_list("title", "kind", "due_after_days"))


def settings_state(office) -> dict:
    """Every settings row of the office, to show that a refusal changed nothing."""
    return {
        "types": list(CaseType.objects.filter(office=office).order_by("pk").values()),
        "templates": list(CaseTemplate.objects.filter(office=office).order_by("pk").values()),
        "steps": list(TemplateStep.objects.filter(template__office=office).order_by("pk")
                      .values()),
        "teams": [(t.name, sorted(t.members.values_list("pk", flat=True)))
                  for t in Team.objects.filter(office=office).order_by("pk")],
        "audit": AuditEvent.objects.filter(office=office).count(),
    }  # fmt: skip


@pytest.fixture
def desk(ward1, alice) -> Team:
    return services.save_team(ward1, by=None, name="Veterans desk", member_ids=[alice.pk])


# ---------------------------------------------------------------- every page, and who may see it


def test_every_settings_page_renders_for_an_admin(web, adam, veterans, veterans_template, desk):
    client = web(adam)
    pages = [TYPES, TYPE_NEW, type_edit(veterans), TEMPLATES, TEMPLATE_NEW,
             template_edit(veterans_template), TEAMS, TEAM_NEW, team_edit(desk)]  # fmt: skip

    answers = {url: client.get(url) for url in pages}

    assert {url: r.status_code for url, r in answers.items()} == dict.fromkeys(pages, 200)
    for url, response in answers.items():
        assert 'aria-label="Casework settings"' in response.content.decode(), url


def test_the_settings_tabs_mark_the_open_page(web, adam):
    page = web(adam).get(TEMPLATES).content.decode()

    assert f'class="nav-link active" aria-current="page" href="{TEMPLATES}"' in page
    assert f'class="nav-link" href="{TYPES}"' in page
    assert f'class="nav-link" href="{TEAMS}"' in page


def test_a_caseworker_can_neither_open_nor_change_the_settings(
    web, alice, ward1, veterans, veterans_template, desk
):
    client = web(alice)
    before = settings_state(ward1)
    pages = [TYPES, TYPE_NEW, type_edit(veterans), TEMPLATES, TEMPLATE_NEW,
             template_edit(veterans_template), TEAMS, TEAM_NEW, team_edit(desk)]  # fmt: skip
    posts = {
        SEED: {},
        TYPE_NEW: type_data("Taxes"),
        type_edit(veterans): type_data("Renamed"),
        TEMPLATE_NEW: template_data(veterans, steps=[("Call", "call", "1")]),
        template_edit(veterans_template): template_data(veterans, steps=[]),
        template_delete(veterans_template): {},
        TEAM_NEW: {"name": "Housing desk", "members": [alice.pk]},
        team_edit(desk): {"name": "Renamed", "members": []},
    }

    gets = {url: client.get(url).status_code for url in pages}
    changes = {url: client.post(url, data).status_code for url, data in posts.items()}

    assert gets == dict.fromkeys(pages, 403)
    assert changes == dict.fromkeys(posts, 403)
    assert settings_state(ward1) == before


def test_another_offices_settings_are_404_like_missing_ones(web, adam, ward2, dora, carol):
    ward2_type = make_case_type(ward2, "Housing")
    ward2_template = services.save_template(
        ward2, by=None, case_type=ward2_type, name="Repairs", steps=[("Call", "call", 1)]
    )
    ward2_team = services.save_team(ward2, by=None, name="Front desk", member_ids=[carol.pk])
    before = settings_state(ward2)
    client = web(adam)
    urls = [type_edit(ward2_type), template_edit(ward2_template), team_edit(ward2_team),
            "/cases/settings/types/999999/", "/cases/settings/templates/999999/",
            "/cases/settings/teams/999999/"]  # fmt: skip

    gets = {url: client.get(url).status_code for url in urls}
    posts = {url: client.post(url, {"name": "Mine now"}).status_code for url in urls}
    delete = client.post(template_delete(ward2_template)).status_code

    assert gets == dict.fromkeys(urls, 404)
    assert posts == dict.fromkeys(urls, 404)
    assert delete == 404
    assert settings_state(ward2) == before


def test_a_ward2_case_type_cannot_be_given_to_a_ward1_template(web, adam, ward1, ward2):
    ward2_type = make_case_type(ward2, "Housing")
    before = settings_state(ward1)

    response = web(adam).post(TEMPLATE_NEW, template_data(ward2_type, name="Sneaky"))

    assert response.status_code == 200
    assert response.context["form"].errors["case_type"] == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    assert settings_state(ward1) == before


# ---------------------------------------------------------------- case types


def test_the_case_type_list_shows_flags_and_counts(
    web, adam, housing, veterans, immigration, veterans_template, case
):
    services.update_case_type(housing, by=None, target_days=30, is_active=False)

    response = web(adam).get(TYPES)

    rows = [(r["type"].name, r["type"].is_sensitive, r["type"].needs_privacy_release,
             r["type"].target_days, r["type"].is_active, r["open_cases"], r["cases"],
             r["templates"]) for r in response.context["rows"]]  # fmt: skip
    assert rows == [
        ("Housing", False, False, 30, False, 0, 0, 0),
        ("Immigration", True, True, None, True, 0, 0, 0),
        ("Veterans benefits", False, True, None, True, 1, 1, 1),
    ]
    page = response.content.decode()
    assert "30 days" in page
    assert "Not in use" in page
    assert "Add the usual case types" not in page


def test_the_case_type_list_needs_the_same_queries_for_one_type_or_many(web, adam, ward1):
    client = web(adam)
    make_case_type(ward1, "Housing")
    client.get(TYPES)  # warm the session and the middleware's caches
    with CaptureQueriesContext(connection) as one:
        assert client.get(TYPES).status_code == 200
    seed_case_types(ward1, by=None)
    with CaptureQueriesContext(connection) as many:
        response = client.get(TYPES)

    assert len(response.context["rows"]) == 8
    assert len(many) == len(one)


def test_an_office_without_case_types_is_offered_the_usual_ones(web, adam):
    page = web(adam).get(TYPES).content.decode()

    assert f'<form method="post" action="{SEED}">' in page
    assert "Add the usual case types" in page


def test_adding_the_usual_case_types_creates_each_with_its_template(web, adam, ward1):
    response = web(adam).post(SEED)

    assert response.status_code == 302
    assert response.url == TYPES
    types = CaseType.objects.filter(office=ward1).order_by("name")
    assert [(t.name, t.is_sensitive, t.needs_privacy_release, t.target_days) for t in types] == [
        ("Code enforcement", False, False, 30),
        ("Health care", True, True, 30),
        ("Housing", False, False, 30),
        ("Immigration", True, True, 90),
        ("Social Security", False, True, 45),
        ("Street repair", False, False, 21),
        ("Utilities", False, False, 14),
        ("Veterans benefits", False, True, 60),
    ]
    assert {t.name: t.transitions for t in types}["Housing"] == {
        k: [str(s) for s in v] for k, v in DEFAULT_TRANSITIONS.items()
    }
    assert [t.templates.count() for t in types] == [1] * 8
    veterans = CaseTemplate.objects.get(office=ward1, case_type__name="Veterans benefits")
    assert veterans.name == "Benefits claim"
    assert steps_of(veterans) == [
        ("Get the signed privacy release", "privacy_release", 2),
        ("Send the inquiry to the VA", "agency_inquiry", 3),
        ("Follow up with the agency", "call", 14),
        ("Update the constituent", "email", 21),
    ]
    assert veterans.documents_needed == ["DD-214", "Claim number"]
    assert AuditEvent.objects.filter(office=ward1, action="casetype.created").count() == 8


def test_adding_the_usual_case_types_again_skips_those_the_office_has(web, adam, ward1, housing):
    first = seed_case_types(ward1, by=adam)
    before = settings_state(ward1)

    second = seed_case_types(ward1, by=adam)
    response = web(adam).post(SEED, follow=True)

    assert len(first) == len(STARTER_CASE_TYPES) - 1  # Housing was there already
    assert CaseType.objects.get(pk=housing.pk).templates.count() == 0  # left alone
    assert second == []
    assert settings_state(ward1) == before
    assert "Your office already has all the usual case types." in response.content.decode()


def test_a_new_case_type_starts_with_the_default_workflow(web, adam):
    response = web(adam).get(TYPE_NEW)

    assert ticks(response.context["matrix"]) == in_page_order(DEFAULT_TRANSITIONS)


def test_the_workflow_matrix_disables_the_diagonal(web, adam):
    page = web(adam).get(TYPE_NEW).content.decode()

    assert page.count('type="checkbox" disabled') == 5
    assert 'name="flow_open" value="open"' not in page
    assert 'name="flow_open" value="closed" id="flow-open-closed" checked' in page


def test_an_admin_adds_a_case_type_with_its_workflow(web, adam, ward1):
    flows = {"open": ["waiting_agency", "resolved"], "waiting_agency": ["open", "resolved"],
             "waiting_constituent": ["open"], "resolved": ["closed", "open"],
             "closed": ["open"]}  # fmt: skip
    data = type_data("Passports", flows, description="Expedited passports.", target_days="10",
                     needs_privacy_release="on")  # fmt: skip

    response = web(adam).post(TYPE_NEW, data)

    assert response.status_code == 302
    case_type = CaseType.objects.get(office=ward1, name="Passports")
    assert (case_type.description, case_type.target_days, case_type.needs_privacy_release,
            case_type.is_sensitive, case_type.is_active) == (
        "Expedited passports.", 10, True, False, True)  # fmt: skip
    assert case_type.transitions == {
        "open": ["waiting_agency", "resolved"], "waiting_agency": ["open", "resolved"],
        "waiting_constituent": ["open"], "resolved": ["open", "closed"],
        "closed": ["open"],
    }  # fmt: skip
    event = AuditEvent.objects.get(office=ward1, action="casetype.created")
    assert (event.actor_id, event.object_id) == (adam.pk, str(case_type.pk))


def test_a_refused_workflow_shows_why_and_keeps_the_ticks(web, adam, ward1):
    flows = {"open": ["waiting_agency"], "waiting_agency": ["open"], "waiting_constituent": [],
             "resolved": ["closed"], "closed": ["open"]}  # fmt: skip
    before = settings_state(ward1)

    response = web(adam).post(TYPE_NEW, type_data("Passports", flows))

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "The workflow must let an open case be resolved or closed."
    ]
    assert ticks(response.context["matrix"]) == flows
    assert 'value="Passports"' in response.content.decode()
    assert settings_state(ward1) == before


def test_a_workflow_that_strands_a_status_is_refused_on_edit(web, adam, ward1, housing):
    flows = {"open": ["waiting_constituent", "resolved"], "waiting_agency": ["open"],
             "waiting_constituent": [], "resolved": ["closed"], "closed": ["open"]}  # fmt: skip
    before = settings_state(ward1)

    response = web(adam).post(type_edit(housing), type_data("Housing (renamed)", flows))

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "A case in Waiting on constituent could never move on: give it somewhere to go."
    ]
    assert ticks(response.context["matrix"]) == flows
    assert "Housing (renamed)" in response.content.decode()
    assert settings_state(ward1) == before


def test_unticking_every_box_is_refused_rather_than_reset_to_the_default(web, adam, housing):
    empty = {status: [] for status in DEFAULT_TRANSITIONS}

    response = web(adam).post(type_edit(housing), type_data("Housing", empty))

    assert response.context["form"].non_field_errors() == [
        "The workflow must let an open case be resolved or closed."
    ]
    assert ticks(response.context["matrix"]) == empty


def test_editing_a_case_type_saves_its_fields_and_workflow(web, adam, housing):
    flows = in_page_order(DEFAULT_TRANSITIONS)
    flows["closed"] = []  # a closed case stays closed

    response = web(adam).post(type_edit(housing), type_data("Housing and tenants", flows,
                                                            is_sensitive="on"))  # fmt: skip

    assert response.status_code == 302
    housing.refresh_from_db()
    assert (housing.name, housing.is_sensitive, housing.is_active) == (
        "Housing and tenants", True, True)  # fmt: skip
    assert housing.transitions["closed"] == []
    assert housing.next_statuses("closed") == []


def test_the_edit_page_shows_the_saved_workflow(web, adam, housing):
    flows = in_page_order(DEFAULT_TRANSITIONS)
    flows["resolved"] = ["closed"]
    services.update_case_type(housing, by=None, transitions=flows)

    response = web(adam).get(type_edit(housing))

    assert ticks(response.context["matrix"]) == flows


def test_a_second_type_with_the_same_name_is_refused_with_the_services_message(
    web, adam, ward1, housing
):
    before = settings_state(ward1)

    response = web(adam).post(TYPE_NEW, type_data("housing"))

    assert response.context["form"].non_field_errors() == [
        "There is already a case type called “housing”."
    ]
    assert settings_state(ward1) == before


# ---------------------------------------------------------------- templates


def test_template_steps_are_saved_in_the_order_given(web, adam, alice, ward1, veterans, desk):
    steps = [("Get the release", "privacy_release", "2"), ("", "task", "0"),
             ("Write to the VA", "agency_inquiry", "3"), ("Call the VA", "call", "14"),
             ("Tell John", "email", "21")]  # fmt: skip
    data = template_data(veterans, "Pension claim", steps, default_assignee=alice.pk,
                         default_team=desk.pk, documents_needed="DD-214\n\n  Claim number \n",
                         documents_due_after_days="5")  # fmt: skip

    response = web(adam).post(TEMPLATE_NEW, data)

    assert response.status_code == 302
    assert response.url == TEMPLATES
    template = CaseTemplate.objects.get(office=ward1, name="Pension claim")
    assert steps_of(template) == [
        ("Get the release", "privacy_release", 2),
        ("Write to the VA", "agency_inquiry", 3),
        ("Call the VA", "call", 14),
        ("Tell John", "email", 21),
    ]
    assert list(template.steps.values_list("position", flat=True)) == [0, 1, 2, 3]
    assert (template.case_type_id, template.documents_needed, template.documents_due_after_days,
            template.default_assignee_id, template.default_team_id) == (
        veterans.pk, ["DD-214", "Claim number"], 5, alice.pk, desk.pk)  # fmt: skip


def test_a_bad_step_shows_its_message_and_keeps_what_was_typed(web, adam, ward1, veterans):
    steps = [("Get the release", "privacy_release", "2"), ("Call the VA", "call", "soon"),
             ("Wait a long time", "task", "400")]  # fmt: skip
    before = settings_state(ward1)

    response = web(adam).post(TEMPLATE_NEW, template_data(veterans, "Pension claim", steps))

    assert response.status_code == 200
    rows = [(r.title, r.kind, r.days, r.error) for r in response.context["steps"].rows]
    assert rows == [
        ("Get the release", "privacy_release", "2", ""),
        ("Call the VA", "call", "soon", "Say after how many days the step is due, as a number."),
        ("Wait a long time", "task", "400",
         "A step is due between 0 and 365 days after the case opens."),
    ]  # fmt: skip
    page = response.content.decode()
    assert 'value="soon"' in page
    assert 'value="Pension claim"' in page
    assert settings_state(ward1) == before


def test_the_template_form_works_without_javascript(web, adam, veterans_template):
    new_page = web(adam).get(TEMPLATE_NEW).content.decode()
    edit_page = web(adam).get(template_edit(veterans_template)).content.decode()

    # The blank rows, plus the one in the <template> element JavaScript copies.
    assert new_page.count('name="step-title"') == BLANK_STEP_ROWS + 1
    assert edit_page.count('name="step-title"') == 2 + BLANK_STEP_ROWS + 1
    assert 'name="step-title" value="Get the privacy release"' in edit_page
    assert "<script>" not in new_page
    assert "casework/config.js" in new_page


def test_the_new_template_page_starts_on_the_case_type_of_the_link(web, adam, veterans, housing):
    response = web(adam).get(f"{TEMPLATE_NEW}?case_type={housing.pk}")

    assert response.context["form"]["case_type"].value() == housing.pk


def test_editing_a_template_replaces_its_steps(web, adam, veterans, veterans_template):
    steps = [("Follow up with the VA", "agency_inquiry", "10"),
             ("Get the release", "privacy_release", "1")]  # fmt: skip
    data = template_data(veterans, "Disability claim", steps, documents_needed="DD-214")

    response = web(adam).post(template_edit(veterans_template), data)

    assert response.status_code == 302
    assert steps_of(veterans_template) == [
        ("Follow up with the VA", "agency_inquiry", 10),
        ("Get the release", "privacy_release", 1),
    ]
    assert CaseTemplate.objects.filter(case_type=veterans).count() == 1


def test_a_volunteer_cannot_be_a_templates_default_assignee(web, adam, ward1, victor, veterans):
    before = settings_state(ward1)

    response = web(adam).post(TEMPLATE_NEW, template_data(veterans, default_assignee=victor.pk))

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["default_assignee"]
    assert settings_state(ward1) == before


def test_a_template_name_used_twice_for_a_type_is_refused(
    web, adam, ward1, veterans, veterans_template
):
    before = settings_state(ward1)

    response = web(adam).post(TEMPLATE_NEW, template_data(veterans, "Disability claim"))

    assert response.context["form"].non_field_errors() == [
        "This case type already has a template called “Disability claim”."
    ]
    assert settings_state(ward1) == before


def test_the_template_list_shows_each_types_templates_with_their_steps(
    web, adam, veterans_template, housing
):
    response = web(adam).get(TEMPLATES)

    assert [t.name for t in response.context["templates"]] == ["Disability claim"]
    page = response.content.decode()
    assert "Get the privacy release" in page
    assert "Documents: DD-214" in page


def test_deleting_a_template_keeps_the_todos_of_its_cases(
    web, adam, alice, ward1, case, veterans_template
):
    todos = services.apply_template(case, veterans_template, by=alice)

    response = web(adam).post(template_delete(veterans_template))

    assert response.status_code == 302
    assert not CaseTemplate.objects.filter(pk=veterans_template.pk).exists()
    assert not TemplateStep.objects.filter(template_id=veterans_template.pk).exists()
    case.refresh_from_db()
    assert case.template_id is None
    kept = CaseAction.objects.filter(pk__in=[t.pk for t in todos], state=ActionState.PLANNED)
    assert kept.count() == len(todos) == 3
    event = AuditEvent.objects.get(office=ward1, action="casetemplate.deleted")
    assert (event.actor_id, event.changes["name"]) == (adam.pk, ["Disability claim", None])


def test_deleting_a_template_answers_only_post(web, adam, veterans_template):
    assert web(adam).get(template_delete(veterans_template)).status_code == 405
    assert CaseTemplate.objects.filter(pk=veterans_template.pk).exists()


# ---------------------------------------------------------------- teams


def test_an_admin_makes_a_team_of_caseworkers(web, adam, ward1, alice, bella):
    response = web(adam).post(TEAM_NEW, {"name": "Housing desk", "members": [alice.pk, bella.pk]})

    assert response.status_code == 302
    assert response.url == TEAMS
    team = Team.objects.get(office=ward1, name="Housing desk")
    assert sorted(team.members.values_list("pk", flat=True)) == sorted([alice.pk, bella.pk])


def test_the_team_form_offers_only_staff_who_can_work_cases(web, adam, alice, victor, carol):
    response = web(adam).get(TEAM_NEW)

    offered = [m.pk for m in response.context["form"].fields["members"].queryset]
    assert sorted(offered) == sorted([adam.pk, alice.pk])


def test_editing_a_team_renames_it_and_sets_its_members(web, adam, alice, bella, desk):
    page = web(adam).get(team_edit(desk))
    assert page.context["form"]["members"].value() == [alice.pk]

    response = web(adam).post(team_edit(desk), {"name": "Veterans team", "members": [bella.pk]})

    assert response.status_code == 302
    desk.refresh_from_db()
    assert (desk.name, list(desk.members.values_list("pk", flat=True))) == (
        "Veterans team", [bella.pk])  # fmt: skip


def test_a_team_name_used_twice_is_refused(web, adam, ward1, alice, desk):
    before = settings_state(ward1)

    response = web(adam).post(TEAM_NEW, {"name": "veterans DESK", "members": [alice.pk]})

    assert response.context["form"].non_field_errors() == [
        "There is already a team called “veterans DESK”."
    ]
    assert settings_state(ward1) == before


def test_the_team_list_counts_the_open_cases_in_each_queue(web, adam, alice, case, desk):
    services.assign_case(case, by=alice, assignee=alice, team=desk)
    services.save_team(case.office, by=None, name="Front desk", member_ids=[])

    response = web(adam).get(TEAMS)

    rows = [(r["team"].name, r["open_cases"]) for r in response.context["rows"]]
    assert rows == [("Front desk", 0), ("Veterans desk", 1)]
    assert "Alice Alvarez" in response.content.decode()
