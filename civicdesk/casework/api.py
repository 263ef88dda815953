"""API of casework (mounted at /api/v1 by civicdesk/api.py): cases (list with queues, filters
and a cursor; open; read; edit with optimistic locking; status; assignment, one or in bulk),
their actions and to-dos, their attachments, and the case types and templates.

Every read of a case is audited ("case.viewed"); another office's case, or a sensitive case the
member may not see, is a 404 like a missing one. Ids in a body are looked up in the member's
office only: one of another office answers 422 `unknown_reference`, exactly like one that does
not exist. Refusals of the rules answer 409 with their code (`edit_conflict`,
`illegal_status_change`, `privacy_release_required`, `case_refused`); a refused upload 400."""

from typing import Any

from django.db.models import QuerySet
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import CursorPagination, paginate

from civicdesk.accounts.models import Membership
from civicdesk.constituents.models import Organization, Person
from civicdesk.core.api import ErrorOut, needs
from civicdesk.core.errors import DomainError

from . import queries, services
from .errors import UploadRefused
from .models import ActionState, Case, CaseAction, CaseDocument, CaseTemplate, CaseType, Team
from .schemas import (
    CaseActionCompleteIn,
    CaseActionIn,
    CaseActionOut,
    CaseAssignIn,
    CaseBulkAssignIn,
    CaseBulkAssignOut,
    CaseDetailOut,
    CaseDocumentOut,
    CaseIn,
    CaseOut,
    CasePatch,
    CaseQuery,
    CaseStatusIn,
    CaseTemplateApplyIn,
    CaseTemplateOut,
    CaseTypeOut,
)

router = Router(tags=["casework"])

REFUSALS = {400: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class UnknownReference(DomainError):
    """A body names an id that is not one of the office's records. Another office's id gets
    the same answer as one that does not exist."""

    code = "unknown_reference"
    status = 422


# ---------------------------------------------------------------- ids in bodies


# A body's `<name>_id` (or `<name>_ids`) → the member's office's rows it may name, and the word
# for one of them in the refusal.
REFERENCES: dict[str, tuple[Any, str]] = {
    "person_id": (lambda office: Person.objects.for_office(office), "person"),
    "family_ids": (lambda office: Person.objects.for_office(office), "person"),
    "agency_contact_id": (lambda office: Person.objects.for_office(office), "person"),
    "case_type_id": (lambda office: CaseType.objects.for_office(office), "case type"),
    "assignee_id": (lambda office: Membership.objects.filter(office=office), "staff member"),
    "team_id": (lambda office: Team.objects.for_office(office), "team"),
    "agency_id": (lambda office: Organization.objects.for_office(office), "organization"),
    "template_id": (lambda office: CaseTemplate.objects.for_office(office), "template"),
}


def _rows(member: Membership, sent: dict[str, Any]) -> dict[str, Any]:
    """The records the ids of a body name, keyed without `_id`/`_ids` (`agency_id` → `agency`).
    None stays None. Unknown ids of any field refuse the whole body with UnknownReference."""
    found: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for field, value in sent.items():
        if field not in REFERENCES:
            continue
        name = field.removesuffix("_ids") if field.endswith("_ids") else field.removesuffix("_id")
        rows, what = REFERENCES[field]
        if value is None:
            found[name] = None
        elif isinstance(value, list):
            wanted = list(dict.fromkeys(value))
            by_id = {row.pk: row for row in rows(member.office).filter(pk__in=wanted)}
            missing = [pk for pk in wanted if pk not in by_id]
            if missing:
                problems[field] = _("No %(what)s with id %(ids)s in this office.") % {
                    "what": what, "ids": ", ".join(map(str, missing))
                }  # fmt: skip
            found[name] = [by_id[pk] for pk in wanted if pk in by_id]
        else:
            found[name] = rows(member.office).filter(pk=value).first()
            if found[name] is None:
                problems[field] = _("No %(what)s with id %(id)s in this office.") % {
                    "what": what, "id": value
                }  # fmt: skip
    if problems:
        raise UnknownReference(" ".join(problems.values()), details=problems)
    return found


# ---------------------------------------------------------------- answers


def _case_detail(case: Case) -> dict[str, Any]:
    """Everything CaseDetailOut shows of a case fetched by queries.get_case/case_for_change."""
    return {
        **{name: getattr(case, name) for name in CaseOut.model_fields},
        "description": case.description,
        "resolution": case.resolution,
        "agency_contact": case.agency_contact,
        "agency_reference": case.agency_reference,
        "template_id": case.template_id,
        "created_at": case.created_at,
        "people": [
            {
                "id": party.person_id,
                "display_name": str(party.person.display_name),
                "role": party.role,
            }
            for party in case.parties.select_related("person").order_by(
                "-role", "person__sort_name"
            )
        ],
        "tags": [
            {"id": link.tag_id, "name": link.tag.name, "path": link.tag.path}
            for link in case.tag_links.select_related("tag").order_by("tag__path")
        ],
        "districts": [
            {"id": link.district_id, "name": link.district.name, "layer": link.district.layer.name}
            for link in case.district_links.select_related("district__layer").order_by(
                "district__layer__name", "district__name"
            )
        ],
        "allowed_statuses": services.allowed_statuses(case),
        "needs_privacy_release": case.case_type.needs_privacy_release,
        "has_privacy_release": queries.valid_release(case, agency=case.agency) is not None,
    }


def _changed(case: Case) -> dict[str, Any]:
    """The case as a change left it, for the answer. Read again past the visibility rule: a
    caseworker who just gave their sensitive case away still gets the answer to the change."""
    fresh = Case.objects.select_related(
        "case_type", "assignee__user", "team", "agency", "agency_contact", "primary_person"
    ).get(pk=case.pk)
    return _case_detail(fresh)


def _action_of(case: Case, action_id: int) -> CaseAction:
    return get_object_or_404(
        CaseAction.objects.filter(case=case).select_related("by__user", "assignee__user"),
        pk=action_id,
    )


def _actions(case: Case) -> QuerySet[CaseAction]:
    """History and to-dos of a case together; `at` orders them: when done, else when planned."""
    return (
        CaseAction.objects.filter(case=case)
        .select_related("by__user", "assignee__user")
        .annotate(at=Coalesce("occurred_at", "created_at"))
    )


# ---------------------------------------------------------------- cases


@router.get("/cases", response=list[CaseOut])
@needs("case.view")
@paginate(CursorPagination, ordering=("-updated_at", "-id"))
def list_cases(request, filters: Query[CaseQuery]):
    """The cases the member may see, most recently worked on first; `queue` is one of the case
    list's tabs ("mine" is the member's open cases)."""
    flt = queries.CaseFilter(
        queue=filters.queue,
        status=filters.status,
        case_type_id=filters.case_type_id,
        assignee_id=filters.assignee_id,
        team_id=filters.team_id,
        person_id=filters.person_id,
        priority=filters.priority,
        district_id=filters.district_id,
        tag_ids=filters.tag_ids,
        text=filters.q,
    )
    return (
        queries.filtered_cases(request.auth, flt)
        .select_related("case_type", "assignee__user", "team", "primary_person", "agency")
        .defer("description", "resolution", "primary_person__search_text")
    )


@router.post("/cases", response={201: CaseDetailOut, **REFUSALS})
@needs("case.edit")
def open_case(request, payload: CaseIn):
    """Open a case for a constituent (and family members); `template_id` adds its steps as
    to-dos. The case takes the districts of the constituent's addresses."""
    sent = payload.dict()
    rows = _rows(request.auth, sent)
    case = services.open_case(
        request.auth.office,
        by=request.auth,
        **rows,
        subject=payload.subject,
        description=payload.description,
        priority=payload.priority,
        due_on=payload.due_on,
        tag_ids=payload.tag_ids,
    )
    return Status(201, _changed(case))


# Before /cases/{case_id}: Django would take "bulk-assign" for a case id and answer 405.
@router.post("/cases/bulk-assign", response={200: CaseBulkAssignOut, **REFUSALS})
@needs("case.bulk_assign")
def bulk_assign_cases(request, payload: CaseBulkAssignIn):
    """Reassign many cases at once. If any id is not one of the office's cases, nothing changes."""
    rows = _rows(request.auth, payload.dict(exclude={"case_ids"}))
    changed = services.bulk_assign(
        request.auth.office, by=request.auth, case_ids=payload.case_ids, **rows
    )
    return {"changed": changed}


@router.get("/cases/{case_id}", response=CaseDetailOut)
@needs("case.view")
def get_case(request, case_id: int):
    """One case with its people, tags, districts and where it may go next. Audited."""
    return _case_detail(queries.get_case(request.auth, case_id))


# Null empties these; for the other fields of CasePatch null means "unchanged".
CLEARABLE = {"due_on", "agency_id", "agency_contact_id"}


@router.patch("/cases/{case_id}", response={200: CaseDetailOut, **REFUSALS})
@needs("case.edit")
def update_case(request, case_id: int, payload: CasePatch):
    """Change a case. Send the `version` you read: if someone saved in between, the answer is
    409 `edit_conflict` with `details.current_version`, and nothing changes."""
    case = queries.case_for_change(request.auth, case_id)
    sent = payload.dict(exclude_unset=True)
    version, tag_ids = sent.pop("version"), sent.pop("tag_ids", None)
    sent = {k: v for k, v in sent.items() if v is not None or k in CLEARABLE}
    fields = {k: v for k, v in sent.items() if k not in REFERENCES}
    fields.update(_rows(request.auth, sent))
    services.update_case(case, by=request.auth, version=version, fields=fields, tag_ids=tag_ids)
    return _changed(case)


@router.post("/cases/{case_id}/status", response={200: CaseDetailOut, **REFUSALS})
@needs("case.edit")
def change_case_status(request, case_id: int, payload: CaseStatusIn):
    """Move the case along its type's workflow. A move the workflow does not allow answers 409
    `illegal_status_change` saying where it may go; waiting on an agency without the needed
    privacy release, 409 `privacy_release_required`."""
    case = queries.case_for_change(request.auth, case_id)
    services.change_status(case, by=request.auth, **payload.dict())
    return _changed(case)


@router.post("/cases/{case_id}/assign", response={200: CaseDetailOut, **REFUSALS})
@needs("case.assign")
def assign_case(request, case_id: int, payload: CaseAssignIn):
    """Give the case to a staff member and/or a team's queue; its open to-dos follow."""
    case = queries.case_for_change(request.auth, case_id, need="case.assign")
    services.assign_case(case, by=request.auth, **_rows(request.auth, payload.dict()))
    return _changed(case)


@router.post("/cases/{case_id}/apply-template", response={200: list[CaseActionOut], **REFUSALS})
@needs("case.edit")
def apply_case_template(request, case_id: int, payload: CaseTemplateApplyIn):
    """Add a template's steps and documents needed to the case as to-dos; returns them."""
    case = queries.case_for_change(request.auth, case_id)
    template = _rows(request.auth, payload.dict())["template"]
    created = services.apply_template(case, template, by=request.auth)
    return list(_actions(case).filter(pk__in=[action.pk for action in created]).order_by("id"))


# ---------------------------------------------------------------- actions and to-dos


@router.get("/cases/{case_id}/actions", response=list[CaseActionOut])
@needs("case.view")
@paginate(CursorPagination, ordering=("-at", "-id"))
def list_case_actions(request, case_id: int, state: ActionState | None = None):
    """The case's history and its to-dos, newest first (a to-do counts from when it was
    planned). `state`: planned, done or cancelled. Audited as a view of the case."""
    actions = _actions(queries.get_case(request.auth, case_id))
    return actions.filter(state=state) if state else actions


@router.post("/cases/{case_id}/actions", response={201: CaseActionOut, **REFUSALS})
@needs("case.edit")
def add_case_action(request, case_id: int, payload: CaseActionIn):
    """Log something done on the case (a call, a note, the agency's reply), or with `due_on`
    plan a to-do that shows in its assignee's "My work" and daily digest."""
    case = queries.case_for_change(request.auth, case_id)
    if payload.due_on is not None:
        action = services.plan_action(
            case,
            by=request.auth,
            kind=payload.kind,
            subject=payload.subject,
            body=payload.body,
            due_on=payload.due_on,
            assignee=_rows(request.auth, {"assignee_id": payload.assignee_id})["assignee"],
        )
    else:
        action = services.log_action(
            case,
            by=request.auth,
            kind=payload.kind,
            subject=payload.subject,
            body=payload.body,
            occurred_at=payload.occurred_at,
            is_public=payload.is_public,
        )
    return Status(201, _action_of(case, action.pk))


@router.post(
    "/cases/{case_id}/actions/{action_id}/complete", response={200: CaseActionOut, **REFUSALS}
)
@needs("case.edit")
def complete_case_action(request, case_id: int, action_id: int, payload: CaseActionCompleteIn):
    """Tick a to-do off, or cancel it; doing it twice answers 409."""
    case = queries.case_for_change(request.auth, case_id)
    action = services.complete_action(
        _action_of(case, action_id), by=request.auth, **payload.dict()
    )
    return _action_of(case, action.pk)


# ---------------------------------------------------------------- attachments


def _documents(case: Case) -> QuerySet[CaseDocument]:
    return CaseDocument.objects.filter(case=case).select_related("uploaded_by__user")


@router.get("/cases/{case_id}/attachments", response=list[CaseDocumentOut])
@needs("case.view")
def list_case_attachments(request, case_id: int):
    """The files on the case, newest first. Audited as a view of the case."""
    return list(_documents(queries.get_case(request.auth, case_id)).order_by("-created_at", "-id"))


@router.post("/cases/{case_id}/attachments", response={201: CaseDocumentOut, **REFUSALS})
@needs("case.edit")
def add_case_attachment(
    request, case_id: int, file: File[UploadedFile | None] = None, is_public: Form[bool] = False
):
    """Attach a file (multipart: `file`, `is_public`). Too large, of a type the office does not
    take, or refused by the scanner: 400 `upload_refused`, saying why."""
    case = queries.case_for_change(request.auth, case_id)
    # Optional in the signature so that a missing file gets a sentence, not a schema error.
    if file is None:
        raise UploadRefused(_("Choose a file to attach."))
    document = services.add_document(case, by=request.auth, upload=file, is_public=is_public)
    return Status(201, _documents(case).get(pk=document.pk))


def _document_of(case: Case, document_id: int) -> CaseDocument:
    return get_object_or_404(_documents(case), pk=document_id)


@router.get("/cases/{case_id}/attachments/{document_id}")
@needs("case.view")
def download_case_attachment(request, case_id: int, document_id: int):
    """The file itself, as a download. Audited ("case.document_downloaded"), so not audited
    again as a view of the case."""
    case = queries.case_for_change(request.auth, case_id, need="case.view")
    document = _document_of(case, document_id)
    try:
        handle = services.download_document(document, by=request.auth)
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(
        handle,
        as_attachment=True,
        filename=document.name,
        content_type=document.content_type or "application/octet-stream",
    )


@router.delete("/cases/{case_id}/attachments/{document_id}", response={204: None, **REFUSALS})
@needs("case.edit")
def remove_case_attachment(request, case_id: int, document_id: int):
    """Delete a file from the case. The signed form of a privacy release is kept: 409
    `document_in_use`."""
    case = queries.case_for_change(request.auth, case_id)
    services.remove_document(_document_of(case, document_id), by=request.auth)
    return Status(204, None)


# ---------------------------------------------------------------- configuration


@router.get("/case-types", response=list[CaseTypeOut])
@needs("case.view")
def list_case_types(request, active_only: bool = False):
    """The office's kinds of case, each with its workflow."""
    return list(queries.case_types(request.auth.office, active_only=active_only))


@router.get("/case-templates", response=list[CaseTemplateOut])
@needs("case.view")
def list_case_templates(request, case_type_id: int | None = None, active_only: bool = False):
    """The office's templates with their checklist steps, by case type."""
    templates = queries.templates_for(request.auth.office)
    if case_type_id is not None:
        templates = templates.filter(case_type_id=case_type_id)
    return list(templates.filter(is_active=True) if active_only else templates)
