"""The case list with its queues, opening a case from a person, the case page and what is done
on it (status, assignment, actions, to-dos, templates) and editing a case."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from civicdesk.casework import queries, services
from civicdesk.casework.errors import CaseEditConflict
from civicdesk.casework.forms import (
    ActionLogForm,
    ActionPlanForm,
    AssignForm,
    BulkAssignForm,
    CaseEditForm,
    CaseFilterForm,
    CaseOpenForm,
    StatusForm,
)
from civicdesk.casework.models import CLOSED_STATUSES, Case, CaseStatus, CaseTemplate
from civicdesk.constituents import queries as constituent_queries
from civicdesk.constituents.models import Person
from civicdesk.core.access import get_for_member, require_member
from civicdesk.core.errors import DomainError
from civicdesk.core.net import posted_next

from . import letters, records

PAGE_SIZE = 50
QUEUE_LABELS = {
    "mine": _("My cases"),
    "team": _("My teams"),
    "unassigned": _("Unassigned"),
    "due_week": _("Due this week"),
    "overdue": _("Overdue"),
    "waiting_agency": _("Waiting on agency"),
    "all": _("All cases"),
    "closed": _("Finished"),
}
ACTION_ICONS = {
    "call": "telephone", "email": "envelope", "letter": "mailbox", "note": "sticky",
    "meeting": "people", "agency_inquiry": "send", "agency_reply": "reply",
    "status_change": "signpost-split", "document": "file-earmark", "privacy_release": "file-lock",
    "assignment": "person-check", "task": "check2-square",
}  # fmt: skip
STATUS_TONES = {
    CaseStatus.OPEN: "primary",
    CaseStatus.WAITING_AGENCY: "warning",
    CaseStatus.WAITING_CONSTITUENT: "info",
    CaseStatus.RESOLVED: "success",
    CaseStatus.CLOSED: "secondary",
}


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False)) and not request.htmx.boosted


def _case_url(case: Case) -> str:
    return reverse("casework:case-detail", args=[case.pk])


# ---------------------------------------------------------------- the list


@require_member("case.view")
def case_list(request: HttpRequest) -> HttpResponse:
    member = request.member
    form = CaseFilterForm(request.GET or None, member=member)
    flt = form.case_filter()
    after = form.values().get("after") or None
    try:
        page = queries.case_list(member, flt, after=after, limit=PAGE_SIZE)
    except queries.BadCaseCursor:
        page = queries.case_list(member, flt, limit=PAGE_SIZE)
    # The queue tabs are outside the rows that htmx swaps: their counts are for whole pages only.
    counts = {} if _is_htmx(request) else queries.queue_counts(member)
    params = {k: v for k, v in request.GET.items() if k not in ("after", "queue") and v}
    here = reverse("casework:case-list")
    tabs = [
        {
            "key": key,
            "label": label,
            "count": counts.get(key),
            "url": "?" + urlencode({**params, "queue": key}),
            "active": flt.queue == key,
        }  # fmt: skip
        for key, label in QUEUE_LABELS.items()
    ]
    next_url = ""
    if page.next_cursor:
        next_url = f"{here}?{urlencode({**params, 'queue': flt.queue, 'after': page.next_cursor})}"
    context = {
        "form": form,
        "flt": flt,
        "page": page,
        "rows": page.items,
        "tabs": tabs,
        "queue_label": QUEUE_LABELS.get(flt.queue, ""),
        "next_url": next_url,
        "status_tones": STATUS_TONES,
        "is_filtered": any(v for k, v in params.items()),
        "bulk_form": BulkAssignForm(member=member) if member.can("case.bulk_assign") else None,
        "here": request.get_full_path(),
    }
    template = "casework/case_list.html"
    if _is_htmx(request):
        template += "#case-page" if after else "#case-rows"
    return render(request, template, context)


@require_POST
@require_member("case.bulk_assign")
def case_bulk_assign(request: HttpRequest) -> HttpResponse:
    member = request.member
    back = posted_next(request, reverse("casework:case-list"))
    form = BulkAssignForm(request.POST, member=member)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    try:
        changed = services.bulk_assign(
            member.office, by=member, case_ids=form.cleaned_data["case_ids"], **form.chosen()
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            ngettext("Reassigned %(n)s case.", "Reassigned %(n)s cases.", changed) % {"n": changed},
        )
    return redirect(back)


# ---------------------------------------------------------------- opening


@require_member("case.edit")
def case_open(request: HttpRequest) -> HttpResponse:
    """Open a case for the person given as ?person=<id>; without one, find the person first."""
    member = request.member
    person_id = request.GET.get("person") or request.POST.get("person")
    if not person_id or not str(person_id).isdigit():
        text = request.GET.get("q", "").strip()
        hits = constituent_queries.search_people(member.office, text, limit=20) if text else []
        return render(request, "casework/case_open_choose.html", {"q": text, "hits": hits})
    person = get_for_member(member, Person.objects.all(), int(person_id), need="person.view")
    form = CaseOpenForm(request.POST or None, member=member, person=person)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.open_case(
                member.office, by=member, person=person, **form.service_arguments()
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, _("Case %(ref)s opened for %(name)s.")
                % {"ref": case.reference, "name": person.display_name},
            )  # fmt: skip
            if not queries.visible_cases(member).filter(pk=case.pk).exists():
                # A sensitive case opened for a colleague: only they and managers see it now.
                messages.info(
                    request,
                    _("It is sensitive: only its assignee and managers can open it from now on."),
                )
                return redirect(reverse("constituents:person-detail", args=[person.pk]))
            return redirect(_case_url(case))
    context = {"form": form, "person": person, "type_flags": _type_flags(form)}
    return render(request, "casework/case_open.html", context, status=400 if form.errors else 200)


def _type_flags(form: CaseOpenForm) -> dict:
    """What the page says about each type when chosen (json_script for case_form.js)."""
    return {
        pk: {
            "sensitive": t.is_sensitive,
            "release": t.needs_privacy_release,
            "target_days": t.target_days,
        }
        for pk, t in form.type_flags.items()
    }


# ---------------------------------------------------------------- the case page


def _with_icons(actions) -> list:
    actions = list(actions)
    for action in actions:
        action.icon = ACTION_ICONS.get(action.kind, "dot")
    return actions


def _detail_context(request: HttpRequest, case: Case, **forms) -> dict:
    member = request.member
    allowed = services.allowed_statuses(case)
    context = {
        "case": case,
        "people": queries.case_people(case),
        "history": _with_icons(queries.case_history(case)[:200]),
        "todos": list(queries.case_todos(case)),
        "tags": list(case.tags.order_by("path")),
        "districts": list(case.districts.select_related("layer").defer("geometry")),
        "status_tone": STATUS_TONES.get(case.status, "secondary"),
        "allowed_statuses": [(s, CaseStatus(s).label) for s in allowed],
        "is_finished": case.status in CLOSED_STATUSES,
        "templates": [
            t for t in queries.templates_for(member.office, case.case_type) if t.is_active
        ],
        "release_missing": case.case_type.needs_privacy_release
        and queries.valid_release(case, agency=case.agency) is None,
        "today": timezone.localdate(),
    }
    if member.can("case.edit"):
        context.update(
            status_form=forms.get("status_form") or StatusForm(case=case, allowed=allowed),
            log_form=forms.get("log_form") or ActionLogForm(),
            plan_form=forms.get("plan_form") or ActionPlanForm(member=member),
        )
    if member.can("case.assign"):
        context["assign_form"] = forms.get("assign_form") or AssignForm(
            member=member,
            initial={"assignee": str(case.assignee_id or ""), "team": str(case.team_id or "")},
        )
    context.update(letters.panel_context(member, case))
    context.update(records.panel_context(member, case))
    return context


@require_member("case.view")
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    case = queries.get_case(request.member, case_id)
    return render(request, "casework/case_detail.html", _detail_context(request, case))


def _refused(request: HttpRequest, case: Case, exc: DomainError, **forms) -> HttpResponse:
    """The case page again with the service's message and what was typed."""
    messages.error(request, exc.message)
    context = _detail_context(request, case, **forms)
    return render(request, "casework/case_detail.html", context, status=exc.status)


def _invalid(request: HttpRequest, case: Case, **forms) -> HttpResponse:
    messages.error(request, _("Please correct the errors below."))
    return render(request, "casework/case_detail.html", _detail_context(request, case, **forms),
                  status=400)  # fmt: skip


@require_POST
@require_member("case.edit")
def case_status(request: HttpRequest, case_id: int) -> HttpResponse:
    member = request.member
    case = queries.case_for_change(member, case_id)
    form = StatusForm(request.POST, case=case, allowed=services.allowed_statuses(case))
    if not form.is_valid():
        return _invalid(request, case, status_form=form)
    try:
        case = services.change_status(case, by=member, **form.cleaned_data)
    except DomainError as exc:
        return _refused(request, case, exc, status_form=form)
    messages.success(
        request, _("The case is now “%(status)s”.") % {"status": case.get_status_display()}
    )
    return redirect(_case_url(case))


@require_POST
@require_member("case.assign")
def case_assign(request: HttpRequest, case_id: int) -> HttpResponse:
    member = request.member
    case = queries.case_for_change(member, case_id, need="case.assign")
    form = AssignForm(request.POST, member=member)
    if not form.is_valid():
        return _invalid(request, case, assign_form=form)
    try:
        services.assign_case(case, by=member, **form.chosen())
    except DomainError as exc:
        return _refused(request, case, exc, assign_form=form)
    messages.success(request, _("Assignment saved."))
    return redirect(_case_url(case))


@require_POST
@require_member("case.edit")
def action_log(request: HttpRequest, case_id: int) -> HttpResponse:
    member = request.member
    case = queries.case_for_change(member, case_id)
    form = ActionLogForm(request.POST)
    if not form.is_valid():
        return _invalid(request, case, log_form=form)
    try:
        services.log_action(case, by=member, **form.cleaned_data)
    except DomainError as exc:
        return _refused(request, case, exc, log_form=form)
    messages.success(request, _("Added to the case history."))
    return redirect(_case_url(case) + "#history")


@require_POST
@require_member("case.edit")
def action_plan(request: HttpRequest, case_id: int) -> HttpResponse:
    member = request.member
    case = queries.case_for_change(member, case_id)
    form = ActionPlanForm(request.POST, member=member)
    if not form.is_valid():
        return _invalid(request, case, plan_form=form)
    data = form.cleaned_data
    try:
        services.plan_action(
            case, by=member, subject=data["subject"], kind=data["kind"], due_on=data["due_on"],
            assignee=form._member(data["assignee"]),
        )  # fmt: skip
    except DomainError as exc:
        return _refused(request, case, exc, plan_form=form)
    messages.success(request, _("To-do added."))
    return redirect(_case_url(case) + "#todos")


@require_POST
@require_member("case.edit")
def template_apply(request: HttpRequest, case_id: int) -> HttpResponse:
    member = request.member
    case = queries.case_for_change(member, case_id)
    template_id = request.POST.get("template", "")
    template = (
        CaseTemplate.objects.for_office(member.office).filter(pk=template_id).first()
        if template_id.isdigit()
        else None
    )
    if template is None:
        messages.error(request, _("Choose a template."))
        return redirect(_case_url(case))
    try:
        todos = services.apply_template(case, template, by=member)
    except DomainError as exc:
        return _refused(request, case, exc)
    messages.success(
        request,
        ngettext("Template applied: %(n)s to-do added.", "Template applied: %(n)s to-dos added.",
                 len(todos)) % {"n": len(todos)},
    )  # fmt: skip
    return redirect(_case_url(case) + "#todos")


# ---------------------------------------------------------------- editing


@require_member("case.edit")
def case_edit(request: HttpRequest, case_id: int) -> HttpResponse:
    member = request.member
    case = queries.case_for_change(member, case_id)
    if request.method != "POST":
        form = CaseEditForm(initial=CaseEditForm.initial_for(case), member=member, case=case)
        return render(request, "casework/case_form.html", {"form": form, "case": case})
    form = CaseEditForm(request.POST, member=member, case=case)
    conflict = None
    if form.is_valid():
        try:
            services.update_case(
                case, by=member, version=form.cleaned_data["version"],
                fields=form.service_fields(),
                tag_ids=[tag.pk for tag in form.cleaned_data["tags"]],
            )  # fmt: skip
        except CaseEditConflict as exc:
            conflict = exc
            _show_theirs(form, case)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Case saved."))
            return redirect(_case_url(case))
    context = {"form": form, "case": case, "conflict": conflict}
    return render(request, "casework/case_form.html", context, status=409 if conflict else 400)


def _show_theirs(form: CaseEditForm, case: Case) -> None:
    """After a conflict: keep what was typed, show beside each field what is saved now, and
    take the new version so that saving again overwrites knowingly."""
    case.refresh_from_db()
    saved = CaseEditForm.initial_for(case)
    for name, value in saved.items():
        if name in ("version", "tags") or name not in form.fields:
            continue
        typed = form.cleaned_data.get(name)
        shown = value
        if name == "agency":
            shown = case.agency.name if case.agency else ""
        elif name == "agency_contact":
            shown = case.agency_contact.display_name if case.agency_contact else ""
        elif name == "priority":
            shown = case.get_priority_display()
        if str(typed or "") != str(value or ""):
            form[name].conflict_value = shown or _("(empty)")
    data = form.data.copy()
    data["version"] = case.version
    form.data = data


# ---------------------------------------------------------------- the person page's panel


def person_panel(member, person: Person) -> dict | None:
    """The "Cases" section of a person's page (registered in constituents.panels)."""
    if not member.can("case.view"):
        return None
    cases = list(
        queries.visible_cases(member)
        .filter(parties__person=person)
        .select_related("case_type", "assignee__user")
        .order_by("-opened_at")[:20]
    )
    return {
        "template": "casework/_person_cases.html",
        "cases": cases,
        "person": person,
        "status_tones": STATUS_TONES,
    }


urlpatterns = [
    path("", case_list, name="case-list"),
    path("new/", case_open, name="case-open"),
    path("bulk-assign/", case_bulk_assign, name="case-bulk-assign"),
    path("<int:case_id>/", case_detail, name="case-detail"),
    path("<int:case_id>/edit/", case_edit, name="case-edit"),
    path("<int:case_id>/status/", case_status, name="case-status"),
    path("<int:case_id>/assign/", case_assign, name="case-assign"),
    path("<int:case_id>/log/", action_log, name="action-log"),
    path("<int:case_id>/plan/", action_plan, name="action-plan"),
    path("<int:case_id>/template/", template_apply, name="template-apply"),
]
