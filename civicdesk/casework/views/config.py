"""The office's casework settings: case types with their workflow, templates with their
checklist steps, teams. Only admins ("casetype.manage") open these pages: they hold no case
data, and what staff need of them (types, templates, teams) is offered where cases are worked."""

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from civicdesk.accounts.models import Office
from civicdesk.casework import queries, services
from civicdesk.casework.config_forms import CaseTemplateForm, CaseTypeForm, StepsEditor, TeamForm
from civicdesk.casework.models import OPEN_STATUSES, Case, CaseTemplate, CaseType, Team
from civicdesk.casework.services.config import delete_template, seed_case_types
from civicdesk.core.access import get_for_member, require_member
from civicdesk.core.errors import DomainError

MANAGE = "casetype.manage"


# ---------------------------------------------------------------- case types


def _type_rows(office: Office) -> list[dict]:
    """The office's case types with how many cases (open and in all) and templates each has:
    three queries, however many types."""
    types = list(queries.case_types(office))
    cases = {
        row["case_type"]: row
        for row in Case.objects.filter(office=office).order_by().values("case_type")
        .annotate(total=Count("id"), open=Count("id", filter=Q(status__in=OPEN_STATUSES)))
    }  # fmt: skip
    templates = dict(
        CaseTemplate.objects.filter(office=office).order_by().values_list("case_type")
        .annotate(n=Count("id"))
    )  # fmt: skip
    return [
        {"type": t, "cases": cases.get(t.pk, {}).get("total", 0),
         "open_cases": cases.get(t.pk, {}).get("open", 0), "templates": templates.get(t.pk, 0)}
        for t in types
    ]  # fmt: skip


@require_member(MANAGE)
def type_list(request: HttpRequest) -> HttpResponse:
    rows = _type_rows(request.member.office)
    return render(request, "casework/config_types.html", {"rows": rows, "tab": "types"})


@require_POST
@require_member(MANAGE)
def type_seed(request: HttpRequest) -> HttpResponse:
    try:
        created = seed_case_types(request.member.office, by=request.member)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if created:
            names = ", ".join(t.name for t in created)
            messages.success(request, ngettext(
                "Added %(n)s case type: %(names)s.", "Added %(n)s case types: %(names)s.",
                len(created)) % {"n": len(created), "names": names})  # fmt: skip
        else:
            messages.info(request, _("Your office already has all the usual case types."))
    return redirect("casework:config-types")


def _type_form(request: HttpRequest, case_type: CaseType | None) -> HttpResponse:
    member = request.member
    form = CaseTypeForm(request.POST or None, initial=CaseTypeForm.initial_for(case_type))
    if request.method == "POST" and form.is_valid():
        try:
            if case_type is None:
                case_type = services.create_case_type(
                    member.office, by=member, transitions=form.transitions(),
                    **form.fields_for_service(),
                )  # fmt: skip
                messages.success(request, _("Case type “%(name)s” added.") % {"name": case_type})
            else:
                services.update_case_type(case_type, by=member, transitions=form.transitions(),
                                          **form.fields_for_service())  # fmt: skip
                messages.success(request, _("Case type “%(name)s” saved.") % {"name": case_type})
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("casework:config-types")
    if case_type is not None:
        case_type.refresh_from_db()  # a refused save may have changed the instance's fields
    context = {
        "form": form, "case_type": case_type, "matrix": form.matrix(), "tab": "types",
        "templates": list(queries.templates_for(member.office, case_type)) if case_type else [],
    }  # fmt: skip
    return render(request, "casework/config_type_form.html", context)


@require_member(MANAGE)
def type_new(request: HttpRequest) -> HttpResponse:
    return _type_form(request, None)


@require_member(MANAGE)
def type_edit(request: HttpRequest, case_type_id: int) -> HttpResponse:
    case_type = get_for_member(request.member, CaseType.objects.all(), case_type_id, need=MANAGE)
    return _type_form(request, case_type)


# ---------------------------------------------------------------- templates


@require_member(MANAGE)
def template_list(request: HttpRequest) -> HttpResponse:
    office = request.member.office
    context = {
        "templates": list(queries.templates_for(office)),
        "has_types": queries.case_types(office).exists(),
        "tab": "templates",
    }
    return render(request, "casework/config_templates.html", context)


def _template_form(request: HttpRequest, template: CaseTemplate | None) -> HttpResponse:
    member = request.member
    if request.method == "POST":
        form = CaseTemplateForm(request.POST, office=member.office)
        steps = StepsEditor(request.POST)
        is_valid = form.is_valid() & steps.is_valid()  # both, to show every message at once
        if is_valid:
            data = form.cleaned_data
            try:
                saved = services.save_template(
                    member.office, by=member, case_type=data["case_type"], name=data["name"],
                    steps=steps.steps, documents_needed=data["documents_needed"],
                    documents_due_after_days=data["documents_due_after_days"],
                    default_assignee=data["default_assignee"], default_team=data["default_team"],
                    template=template,
                )  # fmt: skip
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Template “%(name)s” saved.") % {"name": saved})
                return redirect("casework:config-templates")
    elif template is not None:
        form = CaseTemplateForm(
            initial=CaseTemplateForm.initial_for(template), office=member.office
        )
        steps = StepsEditor(steps=template.steps.all())
    else:
        wanted = request.GET.get("case_type", "")
        initial = {"case_type": int(wanted)} if wanted.isdigit() else {}
        form = CaseTemplateForm(initial=initial, office=member.office)
        steps = StepsEditor(steps=())
    context = {"form": form, "steps": steps, "template": template, "tab": "templates"}
    return render(request, "casework/config_template_form.html", context)


def _template(request: HttpRequest, template_id: int) -> CaseTemplate:
    templates = CaseTemplate.objects.select_related("case_type")
    return get_for_member(request.member, templates, template_id, need=MANAGE)


@require_member(MANAGE)
def template_new(request: HttpRequest) -> HttpResponse:
    return _template_form(request, None)


@require_member(MANAGE)
def template_edit(request: HttpRequest, template_id: int) -> HttpResponse:
    return _template_form(request, _template(request, template_id))


@require_POST
@require_member(MANAGE)
def template_delete(request: HttpRequest, template_id: int) -> HttpResponse:
    template = _template(request, template_id)
    try:
        delete_template(template, by=request.member)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Template “%(name)s” deleted.") % {"name": template.name})
    return redirect("casework:config-templates")


# ---------------------------------------------------------------- teams


@require_member(MANAGE)
def team_list(request: HttpRequest) -> HttpResponse:
    office = request.member.office
    open_cases = dict(
        Case.objects.filter(office=office, team__isnull=False, status__in=OPEN_STATUSES)
        .order_by().values_list("team").annotate(n=Count("id"))
    )  # fmt: skip
    rows = [{"team": team, "open_cases": open_cases.get(team.pk, 0)}
            for team in queries.teams(office)]  # fmt: skip
    return render(request, "casework/config_teams.html", {"rows": rows, "tab": "teams"})


def _team_form(request: HttpRequest, team: Team | None) -> HttpResponse:
    member = request.member
    initial = {}
    if team is not None:
        initial = {"name": team.name, "members": [m.pk for m in team.members.all()]}
    form = TeamForm(request.POST or None, initial=initial, office=member.office)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.save_team(
                member.office, by=member, name=data["name"],
                member_ids=[m.pk for m in data["members"]], team=team,
            )  # fmt: skip
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Team “%(name)s” saved.") % {"name": saved})
            return redirect("casework:config-teams")
    return render(request, "casework/config_team_form.html",
                  {"form": form, "team": team, "tab": "teams"})  # fmt: skip


@require_member(MANAGE)
def team_new(request: HttpRequest) -> HttpResponse:
    return _team_form(request, None)


@require_member(MANAGE)
def team_edit(request: HttpRequest, team_id: int) -> HttpResponse:
    return _team_form(request, get_for_member(request.member, Team.objects.all(), team_id,
                                              need=MANAGE))  # fmt: skip


urlpatterns = [
    path("settings/types/", type_list, name="config-types"),
    path("settings/types/seed/", type_seed, name="config-types-seed"),
    path("settings/types/new/", type_new, name="config-type-new"),
    path("settings/types/<int:case_type_id>/", type_edit, name="config-type-edit"),
    path("settings/templates/", template_list, name="config-templates"),
    path("settings/templates/new/", template_new, name="config-template-new"),
    path("settings/templates/<int:template_id>/", template_edit, name="config-template-edit"),
    path(
        "settings/templates/<int:template_id>/delete/",
        template_delete,
        name="config-template-delete",
    ),  # fmt: skip
    path("settings/teams/", team_list, name="config-teams"),
    path("settings/teams/new/", team_new, name="config-team-new"),
    path("settings/teams/<int:team_id>/", team_edit, name="config-team-edit"),
]
