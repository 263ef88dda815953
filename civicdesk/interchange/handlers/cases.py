"""3A-3E (casework) and 4A, 4C, 4D (casework transactions: actions, their documents and texts)
become casework's cases, case actions and case documents.

Cases are of the type "Imported case" (made when needed), keep their CMS dates, and are
assigned to the member whose name or email is the CMS staff name; otherwise the name is kept
on the case's first entry ("Case imported from the House CMS"), which exports leave out."""

import secrets

from django.core.files import File
from django.db.models import Q
from django.utils.translation import gettext as _

from civicdesk.casework import services as casework_services
from civicdesk.casework.documents import check_upload, clean_name, extension
from civicdesk.casework.errors import UploadRefused
from civicdesk.casework.models import (
    CLOSED_STATUSES,
    DEFAULT_TRANSITIONS,
    ActionKind,
    ActionState,
    Case,
    CaseAction,
    CaseDistrict,
    CaseDocument,
    CaseParty,
    CaseStatus,
    CaseTag,
    CaseType,
    PartyRole,
)
from civicdesk.constituents.models import (
    AddressDistrict,
    Direction,
    Interaction,
    InteractionKind,
    Organization,
)
from civicdesk.interchange.models import StagedRecord

from . import Result, handler
from .people import date_of, person_or_orphan, text

IMPORTED_CASE_TYPE = "Imported case"
IMPORTED_MARK = "imported"  # CaseAction.details["interchange"] of a case's "imported" entry

STATUSES = {
    "open": CaseStatus.OPEN, "o": CaseStatus.OPEN, "active": CaseStatus.OPEN,
    "pending": CaseStatus.OPEN, "new": CaseStatus.OPEN, "in progress": CaseStatus.OPEN,
    "waiting agency": CaseStatus.WAITING_AGENCY, "agency": CaseStatus.WAITING_AGENCY,
    "waiting constituent": CaseStatus.WAITING_CONSTITUENT,
    "resolved": CaseStatus.RESOLVED, "r": CaseStatus.RESOLVED,
    "closed": CaseStatus.CLOSED, "c": CaseStatus.CLOSED, "complete": CaseStatus.CLOSED,
    "completed": CaseStatus.CLOSED, "done": CaseStatus.CLOSED, "inactive": CaseStatus.CLOSED,
}  # fmt: skip
ACTION_KINDS = {
    **{kind.value.replace("_", " "): kind for kind in ActionKind},
    "phone": ActionKind.CALL, "telephone": ActionKind.CALL, "e mail": ActionKind.EMAIL,
    "ltr": ActionKind.LETTER, "mail": ActionKind.LETTER, "mtg": ActionKind.MEETING,
    "inquiry": ActionKind.AGENCY_INQUIRY, "response": ActionKind.AGENCY_REPLY,
}  # fmt: skip
CANCELLED = "CANCELLED"  # 4A Response Type of a to-do that was called off (as CivicDesk writes)


def imported_mark() -> Q:
    """The "Case imported from the House CMS" entries. (An exclude() on the JSON key alone
    would drop the entries without the key too: the key's NULL compares as unknown.)"""
    return Q(details__has_key="interchange") & Q(details__interchange=IMPORTED_MARK)


def _words(value: object) -> str:
    return " ".join(str(value or "").lower().replace("_", " ").replace("-", " ").split())


def imported_case_type(context) -> CaseType:
    def find_or_make() -> CaseType:
        case_type, _created = CaseType.objects.get_or_create(
            office=context.office,
            name=IMPORTED_CASE_TYPE,
            defaults={
                "description": _("Cases brought in from a House CMS export."),
                "transitions": {k: list(v) for k, v in DEFAULT_TRANSITIONS.items()},
            },
        )
        return case_type

    return context.cached("case-type", find_or_make)


def case_of(context, record) -> Case | Result:
    case_id = str(record.fields.get("Casework ID", ""))
    case = context.linked_object(Case, "3A", case_id) if case_id else None
    if case is None:
        return Result.deferred(f"no 3A record for case {case_id or '(no id)'}")
    return case


# ---------------------------------------------------------------- 3A cases


def case_values(context, record) -> dict:
    fields = record.fields
    description = str(fields.get("Casework Description", "")).strip()
    subject = text(description, 200) or _("House CMS case %(id)s") % {
        "id": fields.get("Casework ID", "")
    }
    status_text = _words(fields.get("Casework Status"))
    started, ended = date_of(context, record, "Start Date"), date_of(context, record, "End Date")
    status = STATUSES.get(status_text)
    if status is None:
        if status_text:
            context.odd("case status", f"status {fields.get('Casework Status')!r} not known: "
                        f"read as {'closed' if ended else 'open'}")  # fmt: skip
        status = CaseStatus.CLOSED if ended else CaseStatus.OPEN
    opened_at = context.at(started) or context.at(date_of(context, record, "Update Date"))
    if opened_at is None:
        opened_at = context.now
    closed_at = None
    if status in CLOSED_STATUSES:
        closed_at = context.at(ended or date_of(context, record, "Update Date")) or opened_at
    agency_name = text(fields.get("Agency ID"), 200)
    agency = None
    if agency_name:
        agency = (
            Organization.objects.for_office(context.office).filter(name__iexact=agency_name).first()
        )
    staff = text(fields.get("Staff"), 150)
    return {
        "subject": subject,
        "description": description if len(description) > 200 else "",
        "status": status,
        "opened_at": opened_at,
        "closed_at": closed_at,
        "due_on": date_of(context, record, "Tickler date") if closed_at is None else None,
        "assignee": context.member_named(staff) if staff else None,
        "agency": agency,
        "staff": staff,
    }


@handler("3A")
def case(context, record) -> Result:
    """A case of the constituent, of the type "Imported case", with the CMS's dates."""
    person = person_or_orphan(context, record)
    if not hasattr(person, "pk"):
        return person
    values = case_values(context, record)
    staff = values.pop("staff")
    existing = context.linked_object(Case, "3A", record.key)
    if existing is not None:
        for name, value in values.items():
            if name != "description" or value:  # a 3D text may have given the description
                setattr(existing, name, value)
        existing.save()
        return Result.imported(existing)
    new = Case.objects.create(
        office=context.office,
        number=casework_services.next_case_number(context.office.pk),
        case_type=imported_case_type(context),
        primary_person=person,
        created_by=context.by,
        **values,
    )
    CaseParty.objects.create(office=context.office, case=new, person=person, role=PartyRole.PRIMARY)
    districts = set(
        AddressDistrict.objects.filter(office=context.office, address__person=person).values_list(
            "district_id", flat=True
        )
    )
    CaseDistrict.objects.bulk_create(
        [CaseDistrict(office=context.office, case=new, district_id=d) for d in sorted(districts)]
    )
    details = {"interchange": IMPORTED_MARK, "cms_case_id": str(record.key)}
    body = _("House CMS case %(id)s.") % {"id": record.key}
    if staff and values["assignee"] is None:
        details["cms_staff"] = staff
        body += " " + _("Staff in the CMS: %(name)s (no member of this office by that name).") % {
            "name": staff
        }
    CaseAction.objects.create(
        office=context.office,
        case=new,
        kind=ActionKind.NOTE,
        state=ActionState.DONE,
        subject=_("Case imported from the House CMS"),
        body=body,
        occurred_at=new.opened_at,
        by=context.by,
        details=details,
    )
    Interaction.objects.create(
        office=context.office,
        person=person,
        kind=InteractionKind.CASE,
        direction=Direction.INBOUND,
        occurred_at=new.opened_at,
        subject=(_("Case %(ref)s opened: %(subject)s") % {"ref": new.reference,
                                                          "subject": new.subject})[:200],
        logged_by=context.by,
        source_type=casework_services.CASE_INTERACTION_SOURCE,
        source_id=str(new.pk),
    )  # fmt: skip
    return Result.imported(new)


# ---------------------------------------------------------------- 3B codes, 3D texts, 3E parties


def _sequence(value: object) -> tuple[int, str]:
    text_ = str(value or "")
    return (int(text_), "") if text_.isdigit() else (10**9, text_)


def joined_text(context, record, *, text_type: str, field: str, number: str) -> str:
    """A text written over several records of one type (one line each, in the order of their
    sequence numbers), as CivicDesk writes a multi-line description or body: the lines joined.
    Only the newest version of each record counts."""
    rows = StagedRecord.objects.filter(
        office=context.office, record_type=record.record_type, parent_key=record.parent_key
    ).order_by("pk")
    newest: dict[str, dict] = {}
    for key, fields in rows.values_list("key", "fields"):
        if str(fields.get("Text Type", "")).strip().upper() == text_type:
            newest[key] = fields
    ordered = sorted(newest.values(), key=lambda fields: _sequence(fields.get(number)))
    return "\n".join(str(fields.get(field, "")).strip() for fields in ordered).strip()


@handler("3B")
def case_code(context, record) -> Result:
    """A code on the case: the code's tag (through 8A) on the case."""
    found = case_of(context, record)
    if isinstance(found, Result):
        return found
    code = str(record.fields.get("Casework Code", ""))
    if not code:
        return Result.skipped("no code")
    tag = context.tag_for("", code)
    link = CaseTag.objects.filter(case=found, tag=tag).first() or CaseTag.objects.create(
        office=context.office, case=found, tag=tag
    )
    return Result.imported(link)


@handler("3D")
def case_text(context, record) -> Result:
    """A text of the case: its description, its resolution (text types DESCRIPTION and
    RESOLUTION, as CivicDesk writes them, a line a record), else a note in the case's history."""
    found = case_of(context, record)
    if isinstance(found, Result):
        return found
    text_type = text(record.fields.get("Text Type"), 200)
    body = str(record.fields.get("Casework Text", "")).strip()
    if text_type.upper() in {"DESCRIPTION", "RESOLUTION"}:
        whole = joined_text(
            context, record, text_type=text_type.upper(), field="Casework Text",
            number="3D Sequence Number",
        )  # fmt: skip
        Case.objects.filter(pk=found.pk).update(**{text_type.lower(): whole})
        return Result.imported(found)
    note = context.linked_object(CaseAction, "3D", record.key) or CaseAction(
        office=context.office, case=found, kind=ActionKind.NOTE, state=ActionState.DONE,
        occurred_at=found.opened_at, by=context.by,
    )  # fmt: skip
    note.subject = (text_type or _("Case text"))[:200]
    note.body = body
    note.save()
    return Result.imported(note)


@handler("3E")
def case_party(context, record) -> Result:
    """Another person the case is for (a family member): their constituent id is the party id."""
    found = case_of(context, record)
    if isinstance(found, Result):
        return found
    person = person_or_orphan(context, record, "Party ID")
    if not hasattr(person, "pk"):
        return person
    party = CaseParty.objects.filter(case=found, person=person).first()
    if party is None:
        party = CaseParty.objects.create(
            office=context.office, case=found, person=person, role=PartyRole.FAMILY
        )
    return Result.imported(party)


# ---------------------------------------------------------------- 4A actions, 4C documents, 4D texts


@handler("4A")
def case_action(context, record) -> Result:
    """A transaction of the case: an entry of its history, or a to-do while it has a tickler
    date and no end date (or a cancelled one, Response Type CANCELLED)."""
    found = case_of(context, record)
    if isinstance(found, Result):
        return found
    fields = record.fields
    type_text = text(fields.get("Transaction Type"), 200)
    kind = ACTION_KINDS.get(_words(type_text), ActionKind.NOTE)
    started, ended = date_of(context, record, "Start Date"), date_of(context, record, "End Date")
    tickler = date_of(context, record, "Tickler date")
    if text(fields.get("Response Type"), 40).upper() == CANCELLED:
        state = ActionState.CANCELLED
    elif tickler is not None and ended is None:
        state = ActionState.PLANNED
    else:
        state = ActionState.DONE
    staff = text(fields.get("Staff"), 150)
    member = context.member_named(staff) if staff else None
    action = context.linked_object(CaseAction, "4A", record.key) or CaseAction(
        office=context.office, case=found, subject=type_text.title() or _("Transaction")
    )
    action.kind = kind
    action.state = state
    action.occurred_at = None if state == ActionState.PLANNED else context.at(ended or started)
    action.due_on = tickler
    action.by = member
    action.assignee = member if state == ActionState.PLANNED else None
    details = dict(action.details or {})
    details["cms_transaction"] = record.key.rsplit(":", 1)[-1]
    if staff and member is None:
        details["cms_staff"] = staff
    action.details = details
    action.save()
    return Result.imported(action)


def _action_of(context, record) -> CaseAction | None:
    """The 4A entry a 4C or 4D record belongs to (its Transaction ID is the 4A's place)."""
    case_id = record.fields.get("Casework ID", "")
    key = f"{case_id}:{record.fields.get('Transaction ID', '')}"
    return context.linked_object(CaseAction, "4A", key)


@handler("4D")
def action_text(context, record) -> Result:
    """A text of a transaction: its subject (text type SUBJECT), its body (BODY), or more of
    its body. A text whose transaction is not found becomes a note on the case."""
    found = case_of(context, record)
    if isinstance(found, Result):
        return found
    text_type = text(record.fields.get("Text Type"), 200)
    body = str(record.fields.get("Transaction Text", "")).strip()
    action = _action_of(context, record)
    if action is None:
        action = context.linked_object(CaseAction, "4D", record.key) or CaseAction(
            office=context.office, case=found, kind=ActionKind.NOTE, state=ActionState.DONE,
            occurred_at=found.opened_at, by=context.by,
        )  # fmt: skip
        action.subject = (text_type or _("Transaction text"))[:200]
        action.body = body
    elif text_type.upper() == "SUBJECT":
        action.subject = text(body, 200) or action.subject
    elif text_type.upper() == "BODY":
        action.body = joined_text(
            context, record, text_type="BODY", field="Transaction Text",
            number="4D Sequence Number",
        )  # fmt: skip
    elif not action.body:
        action.body = body
    elif body not in action.body:
        action.body = f"{action.body}\n\n{body}"
    action.save()
    return Result.imported(action)


@handler("4C")
def action_document(context, record) -> Result:
    """A document of a transaction: a document on the case (checked as uploads are), linked
    from its transaction's entry."""
    found = case_of(context, record)
    if isinstance(found, Result):
        return found
    if not record.document:
        return Result.skipped("its file is not in the export")
    name = clean_name(
        str(record.fields.get("Casework Transaction Document Name", "")) or record.document.name
    )
    existing = context.linked_object(CaseDocument, "4C", record.key)
    if existing is not None:
        return Result.imported(existing)
    with record.document.open("rb") as handle:
        upload = File(handle, name=name)
        try:
            content_type, sha256 = check_upload(upload)
        except UploadRefused as exc:
            return Result.skipped(exc.message)
        document = CaseDocument(
            office=context.office,
            case=found,
            name=name,
            content_type=content_type,
            size=upload.size,
            sha256=sha256,
            uploaded_by=context.by,
        )
        upload.seek(0)
        document.file.save(f"{secrets.token_hex(12)}{extension(name)}", upload, save=False)
    document.save()
    action = _action_of(context, record)
    if action is not None:
        action.details = {**(action.details or {}), "document_id": document.pk}
        action.save(update_fields=["details", "updated_at"])
    return Result.imported(document)
