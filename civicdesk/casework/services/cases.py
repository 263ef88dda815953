"""Writes on cases: open, edit, change status, assign (one or many), log and plan actions,
apply a template. Each checks the actor's permission, runs in one transaction and audits."""

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from civicdesk import audit
from civicdesk.accounts.models import Membership, Office
from civicdesk.casework.errors import (
    CaseEditConflict,
    CaseRefused,
    IllegalStatusChange,
    PrivacyReleaseRequired,
)
from civicdesk.casework.models import (
    CLOSED_STATUSES,
    DEFAULT_TRANSITIONS,
    LOGGABLE_KINDS,
    ActionKind,
    ActionState,
    Case,
    CaseAction,
    CaseCounter,
    CaseDistrict,
    CaseParty,
    CasePriority,
    CaseStatus,
    CaseTag,
    CaseTemplate,
    CaseType,
    PartyRole,
    Team,
)
from civicdesk.constituents.models import (
    AddressDistrict,
    Direction,
    Interaction,
    InteractionKind,
    Organization,
    Person,
)
from civicdesk.tags import services as tag_services
from civicdesk.tags.models import Tag

from ._common import require, same_office, text

__all__ = [
    "CASE_INTERACTION_SOURCE", "allowed_statuses", "apply_template", "assign_case",
    "bulk_assign", "change_status", "complete_action", "create_case_type",
    "ensure_release_for_agency", "log_action", "next_case_number", "open_case", "plan_action", "save_team",
    "save_template", "touch", "update_case", "update_case_type",
]  # fmt: skip

# Fields `update_case` changes; the others have their own services.
EDITABLE_FIELDS = (
    "subject", "description", "priority", "due_on", "agency", "agency_contact",
    "agency_reference", "is_sensitive",
)  # fmt: skip
CASE_INTERACTION_SOURCE = "casework.case"


# ---------------------------------------------------------------- helpers


def next_case_number(office_id: int) -> int:
    """The office's next case number; the counter row lock makes two openings never share one."""
    CaseCounter.objects.get_or_create(office_id=office_id)
    counter = CaseCounter.objects.select_for_update().get(office_id=office_id)
    counter.last_number = F("last_number") + 1
    counter.save(update_fields=["last_number"])
    counter.refresh_from_db(fields=["last_number"])
    return counter.last_number


def _check_assignee(office_id: int, assignee: Membership | None) -> None:
    if assignee is not None and (assignee.office_id != office_id or not assignee.is_active):
        raise CaseRefused(_("That staff member does not work in this office."))
    if assignee is not None and not assignee.can("case.edit"):
        raise CaseRefused(
            _("%(name)s's role cannot work on cases.") % {"name": assignee.user.display_name}
        )


def _check_links(office_id: int, fields: dict[str, Any]) -> None:
    for name, what in (("agency", _("agency")), ("agency_contact", _("agency contact"))):
        value = fields.get(name)
        if value is not None:
            same_office(value, office_id, what)
    team = fields.get("team")
    if team is not None:
        same_office(team, office_id, _("team"))


def _person_districts(office_id: int, person_ids: Iterable[int]) -> set[int]:
    return set(
        AddressDistrict.objects.filter(
            office_id=office_id, address__person_id__in=list(person_ids)
        ).values_list("district_id", flat=True)
    )


def _set_tags(case: Case, tag_ids: Iterable[int]) -> tuple[list[int], list[int]]:
    """Make the case's tags exactly these; only the office's tags that may still be applied."""
    wanted = set(tag_ids)
    allowed = set(
        Tag.objects.filter(office_id=case.office_id, pk__in=wanted, is_deprecated=False)
        .values_list("pk", flat=True)
    )  # fmt: skip
    if wanted - allowed:
        raise CaseRefused(_("Some of those tags are not in the office's vocabulary."))
    current = set(CaseTag.objects.filter(case=case).values_list("tag_id", flat=True))
    CaseTag.objects.filter(case=case, tag_id__in=current - wanted).delete()
    CaseTag.objects.bulk_create(
        [CaseTag(office_id=case.office_id, case=case, tag_id=t) for t in wanted - current]
    )
    touched = (current - wanted) | (wanted - current)
    if touched:
        tag_services.refresh_usage_counts(case.office, tags=Tag.objects.filter(pk__in=touched))
    return sorted(current - wanted), sorted(wanted - current)


def _action(case: Case, *, by: Membership | None, kind: str, subject: str, **fields) -> CaseAction:
    """A done action in the case's history, now."""
    return CaseAction.objects.create(
        office_id=case.office_id,
        case=case,
        kind=kind,
        state=ActionState.DONE,
        subject=subject[:200],
        occurred_at=fields.pop("occurred_at", None) or timezone.now(),
        by=by,
        **fields,
    )


def _timeline_entry(case: Case, person: Person, *, by: Membership | None, subject: str) -> None:
    """The case on the person's timeline. A sensitive case says only that it exists: the person
    page is seen by staff who may not see the case."""
    if case.is_sensitive:
        subject = _("Sensitive case %(ref)s") % {"ref": case.reference}
    Interaction.objects.create(
        office_id=case.office_id,
        person=person,
        kind=InteractionKind.CASE,
        direction=Direction.INBOUND,
        occurred_at=timezone.now(),
        subject=subject[:200],
        logged_by=by,
        source_type=CASE_INTERACTION_SOURCE,
        source_id=str(case.pk),
    )


def touch(case: Case) -> None:
    """Mark the case as just worked on (lists sort by it) without bumping its version."""
    Case.objects.filter(pk=case.pk).update(updated_at=timezone.now())


# ---------------------------------------------------------------- opening


@transaction.atomic
def open_case(
    office: Office,
    *,
    by: Membership | None,
    person: Person,
    case_type: CaseType,
    subject: str,
    description: str = "",
    priority: int = CasePriority.NORMAL,
    due_on: dt.date | None = None,
    assignee: Membership | None = None,
    team: Team | None = None,
    agency: Organization | None = None,
    agency_contact: Person | None = None,
    family: Sequence[Person] = (),
    tag_ids: Iterable[int] = (),
    template: CaseTemplate | None = None,
) -> Case:
    """Open a case for `person` (and their family members). Takes the districts of their
    addresses, applies `template` if given, and adds the case to each person's timeline."""
    require(by, "case.edit", office.pk)
    same_office(person, office.pk, _("person"))
    same_office(case_type, office.pk, _("case type"))
    if not case_type.is_active:
        raise CaseRefused(_("The case type “%(name)s” is no longer in use.") % {"name": case_type})
    for relative in family:
        same_office(relative, office.pk, _("family member"))
    _check_links(office.pk, {"agency": agency, "agency_contact": agency_contact, "team": team})
    _check_assignee(office.pk, assignee)
    subject = text(subject)
    if not subject:
        raise CaseRefused(_("Give the case a subject."))
    if priority not in CasePriority.values:
        raise CaseRefused(_("Choose a priority."))
    now = timezone.now()
    if due_on is None and case_type.target_days:
        # The type's target sets the due date unless one is given.
        due_on = timezone.localdate() + dt.timedelta(days=case_type.target_days)
    case = Case.objects.create(
        office=office,
        number=next_case_number(office.pk),
        case_type=case_type,
        subject=subject[:200],
        description=(description or "").strip(),
        priority=priority,
        due_on=due_on,
        assignee=assignee,
        team=team,
        agency=agency,
        agency_contact=agency_contact,
        is_sensitive=case_type.is_sensitive,
        opened_at=now,
        primary_person=person,
        created_by=by,
    )
    people = [person, *(p for p in family if p.pk != person.pk)]
    CaseParty.objects.bulk_create(
        [
            CaseParty(
                office=office,
                case=case,
                person=p,
                role=PartyRole.PRIMARY if p.pk == person.pk else PartyRole.FAMILY,
            )
            for p in people
        ]
    )
    CaseDistrict.objects.bulk_create(
        [
            CaseDistrict(office=office, case=case, district_id=d)
            for d in sorted(_person_districts(office.pk, [person.pk]))
        ]
    )
    _set_tags(case, tag_ids)
    _action(case, by=by, kind=ActionKind.NOTE, subject=_("Case opened"), occurred_at=now)
    audit.record(
        by,
        "case.opened",
        case,
        changes={
            "number": [None, case.number],
            "case_type": [None, case_type.name],
            "subject": [None, case.subject],
            "person": [None, person.pk],
        },
    )
    for p in people:
        _timeline_entry(
            case, p, by=by, subject=_("Case %(ref)s opened: %(subject)s")
            % {"ref": case.reference, "subject": case.subject},
        )  # fmt: skip
    if template is not None:
        apply_template(case, template, by=by)
        case.refresh_from_db()
    return case


# ---------------------------------------------------------------- editing


def _case_snapshot(case: Case) -> dict[str, Any]:
    values = audit.snapshot(case, ("subject", "description", "priority", "due_on",
                                   "agency_reference", "is_sensitive"))  # fmt: skip
    values["agency"] = case.agency_id
    values["agency_contact"] = case.agency_contact_id
    return values


@transaction.atomic
def update_case(
    case: Case,
    *,
    by: Membership | None,
    version: int,
    fields: dict[str, Any],
    tag_ids: Iterable[int] | None = None,
) -> Case:
    """Save an edit made on `version` of the case; refused with CaseEditConflict when someone
    saved in between (nothing is written: the door shows theirs beside what was typed)."""
    require(by, "case.edit", case.office_id)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise CaseRefused(_("These fields cannot be changed here: %s") % ", ".join(sorted(unknown)))
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.version != version:
        raise CaseEditConflict(
            _(
                "Someone changed this case after you opened it. Your changes were not saved: "
                "look at theirs, then make yours again."
            ),
            details={"current_version": locked.version},
        )
    is_sensitivity_change = fields.get("is_sensitive", locked.is_sensitive) != locked.is_sensitive
    if is_sensitivity_change and by is not None and not by.can("case.view_sensitive"):
        raise CaseRefused(_("Only managers may change whether a case is sensitive."))
    _check_links(case.office_id, fields)
    if "subject" in fields:
        fields["subject"] = text(fields["subject"])[:200]
        if not fields["subject"]:
            raise CaseRefused(_("Give the case a subject."))
    if "priority" in fields and fields["priority"] not in CasePriority.values:
        raise CaseRefused(_("Choose a priority."))
    before = _case_snapshot(locked)
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.version += 1
    locked.save()
    changes = audit.changes_between(before, _case_snapshot(locked))
    if tag_ids is not None:
        removed, added = _set_tags(locked, tag_ids)
        if removed or added:
            changes["tags"] = [removed, added]
    if changes:
        audit.record(by, "case.changed", locked, changes=changes)
    return locked


# ---------------------------------------------------------------- status


def allowed_statuses(case: Case) -> list[str]:
    """Where the case may go next under its type's workflow."""
    return case.case_type.next_statuses(case.status)


@transaction.atomic
def change_status(
    case: Case,
    *,
    by: Membership | None,
    status: str,
    note: str = "",
    resolution: str = "",
    is_public: bool = True,
) -> Case:
    """Move the case along its type's workflow. Finishing (resolved, closed) needs a resolution;
    going back to open from a finished status reopens the case. Waiting on the agency needs
    the privacy release when the type asks for one."""
    require(by, "case.edit", case.office_id)
    locked = Case.objects.select_for_update().select_related("case_type").get(pk=case.pk)
    old = locked.status
    if status not in CaseStatus.values:
        raise IllegalStatusChange(_("“%(value)s” is not a case status.") % {"value": status})
    if status == old:
        raise IllegalStatusChange(
            _("The case is already “%(status)s”.") % {"status": CaseStatus(old).label}
        )
    if status not in locked.case_type.next_statuses(old):
        allowed = ", ".join(f"“{CaseStatus(s).label}”" for s in locked.case_type.next_statuses(old))
        raise IllegalStatusChange(
            _(
                "A “%(type)s” case cannot go from “%(old)s” to “%(new)s”. From “%(old)s” it may "
                "go to: %(allowed)s."
            )
            % {
                "type": locked.case_type.name,
                "old": CaseStatus(old).label,
                "new": CaseStatus(status).label,
                "allowed": allowed or _("nowhere"),
            },
            details={"from": old, "to": status, "allowed": locked.case_type.next_statuses(old)},
        )
    if status == CaseStatus.WAITING_AGENCY:
        ensure_release_for_agency(locked, locked.agency)
    resolution = (resolution or "").strip()
    if status in CLOSED_STATUSES:
        if not resolution and not locked.resolution:
            raise IllegalStatusChange(
                _("Say how the case was resolved before marking it “%(status)s”.")
                % {"status": CaseStatus(status).label},
                code="resolution_required",
            )
        locked.resolution = resolution or locked.resolution
        locked.closed_at = locked.closed_at if old in CLOSED_STATUSES else timezone.now()
    else:
        locked.closed_at = None
    locked.status = status
    locked.save(update_fields=["status", "resolution", "closed_at", "updated_at"])
    if status in CLOSED_STATUSES and old not in CLOSED_STATUSES:
        # A finished case promises nothing more: its open to-dos leave everyone's "My work".
        CaseAction.objects.filter(case=locked, state=ActionState.PLANNED).update(
            state=ActionState.CANCELLED, occurred_at=timezone.now(), updated_at=timezone.now()
        )
    is_reopen = old in CLOSED_STATUSES and status not in CLOSED_STATUSES
    subject = (
        _("Case reopened")
        if is_reopen
        else _("Status: %(old)s → %(new)s")
        % {"old": CaseStatus(old).label, "new": CaseStatus(status).label}
    )
    body = "\n\n".join(part for part in ((note or "").strip(), resolution) if part)
    _action(
        locked, by=by, kind=ActionKind.STATUS_CHANGE, subject=subject, body=body,
        is_public=is_public, details={"status": [old, status]},
    )  # fmt: skip
    audit.record(by, "case.status_changed", locked, changes={"status": [old, status]})
    if status in CLOSED_STATUSES and old not in CLOSED_STATUSES:
        _timeline_entry(
            locked, locked.primary_person, by=by,
            subject=_("Case %(ref)s %(status)s") % {"ref": locked.reference,
                                                    "status": CaseStatus(status).label.lower()},
        )  # fmt: skip
    return locked


def ensure_release_for_agency(case: Case, agency: Organization | None) -> None:
    """Refuse (PrivacyReleaseRequired) to contact an agency for a case whose type needs the
    constituent's privacy release, unless one is on file, in force and covers that agency."""
    from civicdesk.casework.queries import valid_release

    if not case.case_type.needs_privacy_release:
        return
    if valid_release(case, agency=agency) is None:
        raise PrivacyReleaseRequired(
            _(
                "A “%(type)s” case needs the constituent's privacy release before the agency is "
                "contacted. Record the signed release on the case first."
            )
            % {"type": case.case_type.name}
        )


# ---------------------------------------------------------------- assignment


def _assign(
    case: Case, *, by: Membership | None, assignee: Membership | None, team: Team | None
) -> dict[str, list]:
    old_assignee, old_team = case.assignee_id, case.team_id
    if (old_assignee, old_team) == (getattr(assignee, "pk", None), getattr(team, "pk", None)):
        return {}
    case.assignee, case.team = assignee, team
    case.save(update_fields=["assignee", "team", "updated_at"])
    if old_assignee != case.assignee_id:
        # The case's open to-dos follow it to its new owner.
        CaseAction.objects.filter(
            case=case, state=ActionState.PLANNED, assignee_id=old_assignee
        ).update(assignee=assignee)
    who = assignee.user.display_name if assignee else _("nobody")
    where = f" ({team.name})" if team else ""
    _action(case, by=by, kind=ActionKind.ASSIGNMENT, subject=_("Assigned to %(who)s")
            % {"who": who} + where,
            details={"assignee": [old_assignee, case.assignee_id], "team": [old_team, case.team_id]})  # fmt: skip
    return {"assignee": [old_assignee, case.assignee_id], "team": [old_team, case.team_id]}


@transaction.atomic
def assign_case(
    case: Case, *, by: Membership | None, assignee: Membership | None, team: Team | None = None
) -> Case:
    """Give the case to a staff member and/or a team queue (None leaves it unassigned)."""
    require(by, "case.assign", case.office_id)
    _check_assignee(case.office_id, assignee)
    _check_links(case.office_id, {"team": team})
    locked = Case.objects.select_for_update().get(pk=case.pk)
    changes = _assign(locked, by=by, assignee=assignee, team=team)
    if changes:
        audit.record(by, "case.assigned", locked, changes=changes)
    return locked


@transaction.atomic
def bulk_assign(
    office: Office,
    *,
    by: Membership | None,
    case_ids: Iterable[int],
    assignee: Membership | None,
    team: Team | None = None,
) -> int:
    """Reassign many of the office's cases at once; returns how many changed. Ids of other
    offices' cases are refused as a whole, so nothing half-happens."""
    require(by, "case.bulk_assign", office.pk)
    _check_assignee(office.pk, assignee)
    _check_links(office.pk, {"team": team})
    wanted = set(case_ids)
    cases = list(Case.objects.filter(office=office, pk__in=wanted).select_for_update())
    if len(cases) != len(wanted):
        raise CaseRefused(_("Some of those cases are not in this office."))
    changed = 0
    for case in cases:
        changes = _assign(case, by=by, assignee=assignee, team=team)
        if changes:
            audit.record(by, "case.assigned", case, changes=changes)
            changed += 1
    return changed


# ---------------------------------------------------------------- actions and ticklers


@transaction.atomic
def log_action(
    case: Case,
    *,
    by: Membership | None,
    kind: str,
    subject: str,
    body: str = "",
    occurred_at: dt.datetime | None = None,
    is_public: bool = False,
) -> CaseAction:
    """Add something that happened to the case's history: a call, a note, the agency's answer."""
    require(by, "case.edit", case.office_id)
    if kind not in LOGGABLE_KINDS:
        # Status changes, documents, releases, assignments are written by their own services.
        raise CaseRefused(_("“%(value)s” cannot be logged by hand.") % {"value": kind})
    subject = text(subject)
    if not subject:
        raise CaseRefused(_("Say in a few words what happened."))
    if occurred_at is not None and occurred_at > timezone.now() + dt.timedelta(minutes=5):
        raise CaseRefused(_("That is in the future: plan it as a to-do instead."))
    if kind == ActionKind.AGENCY_INQUIRY:
        ensure_release_for_agency(case, case.agency)
    action = _action(case, by=by, kind=kind, subject=subject, body=(body or "").strip(),
                     occurred_at=occurred_at, is_public=is_public)  # fmt: skip
    touch(case)
    audit.record(by, "case.action_logged", case,
                 changes={"action": [None, {"id": action.pk, "kind": kind}]})  # fmt: skip
    return action


@transaction.atomic
def plan_action(
    case: Case,
    *,
    by: Membership | None,
    subject: str,
    due_on: dt.date,
    kind: str = ActionKind.TASK,
    body: str = "",
    assignee: Membership | None = None,
) -> CaseAction:
    """Add a tickler: something to do on the case by `due_on`, for `assignee` (by default the
    case's assignee). It shows in their "My work" and daily digest until done."""
    require(by, "case.edit", case.office_id)
    if kind not in ActionKind.values:
        raise CaseRefused(_("“%(value)s” is not a kind of action.") % {"value": kind})
    subject = text(subject)
    if not subject:
        raise CaseRefused(_("Say in a few words what is to be done."))
    if due_on is None:
        raise CaseRefused(_("Give the date it is due."))
    assignee = assignee or case.assignee
    _check_assignee(case.office_id, assignee)
    action = CaseAction.objects.create(
        office_id=case.office_id, case=case, kind=kind, state=ActionState.PLANNED,
        subject=subject[:200], body=(body or "").strip(), due_on=due_on, assignee=assignee, by=by,
    )  # fmt: skip
    touch(case)
    audit.record(by, "case.action_planned", case,
                 changes={"action": [None, {"id": action.pk, "due_on": due_on.isoformat()}]})  # fmt: skip
    return action


@transaction.atomic
def complete_action(
    action: CaseAction, *, by: Membership | None, note: str = "", cancel: bool = False
) -> CaseAction:
    """Tick a tickler off (or cancel it). Twice is refused: it was already done."""
    require(by, "case.edit", action.office_id)
    locked = CaseAction.objects.select_for_update().get(pk=action.pk)
    if locked.state != ActionState.PLANNED:
        raise CaseRefused(_("That to-do is already %(state)s.")
                          % {"state": locked.get_state_display().lower()})  # fmt: skip
    locked.state = ActionState.CANCELLED if cancel else ActionState.DONE
    locked.occurred_at = timezone.now()
    if note.strip():
        locked.body = "\n\n".join(part for part in (locked.body, note.strip()) if part)
    locked.by = by or locked.by
    locked.save(update_fields=["state", "occurred_at", "body", "by", "updated_at"])
    touch(locked.case)
    audit.record(by, "case.action_cancelled" if cancel else "case.action_done", locked.case,
                 changes={"action": [locked.pk, locked.state]})  # fmt: skip
    return locked


# ---------------------------------------------------------------- templates


@transaction.atomic
def apply_template(
    case: Case, template: CaseTemplate, *, by: Membership | None
) -> list[CaseAction]:
    """Add the template's steps (and one per document needed) as ticklers due their offset
    after today, and give the case the template's assignee or team if it has none."""
    require(by, "case.edit", case.office_id)
    same_office(template, case.office_id, _("template"))
    if template.case_type_id != case.case_type_id:
        raise CaseRefused(
            _("“%(name)s” is a template for “%(type)s” cases.")
            % {"name": template.name, "type": template.case_type.name}
        )
    today = timezone.localdate()
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.assignee_id is None and locked.team_id is None:
        default = template.default_assignee
        if default is not None and (not default.is_active or not default.can("case.edit")):
            default = None
        _assign(locked, by=by, assignee=default, team=template.default_team)
    owner = locked.assignee
    planned = [
        CaseAction(
            office_id=case.office_id,
            case=locked,
            kind=step.kind,
            state=ActionState.PLANNED,
            subject=step.title,
            due_on=today + dt.timedelta(days=step.due_after_days),
            assignee=owner,
            by=by,
        )  # fmt: skip
        for step in template.steps.all()
    ]
    planned += [
        CaseAction(
            office_id=case.office_id,
            case=locked,
            kind=ActionKind.DOCUMENT,
            state=ActionState.PLANNED,
            subject=_("Get the document: %(name)s") % {"name": name},
            due_on=today + dt.timedelta(days=template.documents_due_after_days),
            assignee=owner,
            by=by,
        )  # fmt: skip
        for name in template.documents_needed
    ]
    created = CaseAction.objects.bulk_create(planned)
    locked.template = template
    locked.save(update_fields=["template", "updated_at"])
    _action(locked, by=by, kind=ActionKind.NOTE,
            subject=_("Template “%(name)s” applied") % {"name": template.name})  # fmt: skip
    audit.record(by, "case.template_applied", locked,
                 changes={"template": [None, template.name], "steps": [None, len(created)]})  # fmt: skip
    return created


# ---------------------------------------------------------------- configuration


def _clean_transitions(transitions: dict[str, Sequence[str]] | None) -> dict[str, list[str]]:
    """A workflow over the known statuses: every status may go somewhere, and every status
    other than "open" may be reached (a workflow that strands cases is refused)."""
    if not transitions:
        return {k: list(v) for k, v in DEFAULT_TRANSITIONS.items()}
    clean: dict[str, list[str]] = {}
    for source, targets in transitions.items():
        if source not in CaseStatus.values or any(t not in CaseStatus.values for t in targets):
            raise CaseRefused(_("The workflow names a status that does not exist."))
        clean[source] = [t for t in CaseStatus.values if t in set(targets) and t != source]
    reachable = {CaseStatus.OPEN.value}
    frontier = [CaseStatus.OPEN.value]
    while frontier:
        for target in clean.get(frontier.pop(), []):
            if target not in reachable:
                reachable.add(target)
                frontier.append(target)
    if not reachable & set(CLOSED_STATUSES):
        raise CaseRefused(_("The workflow must let an open case be resolved or closed."))
    stuck = [
        str(CaseStatus(s).label) for s in reachable if s not in CLOSED_STATUSES and not clean.get(s)
    ]
    if stuck:
        raise CaseRefused(
            _("A case in %(statuses)s could never move on: give it somewhere to go.")
            % {"statuses": ", ".join(sorted(stuck))}
        )
    return {s: clean[s] for s in CaseStatus.values if s in clean}


TYPE_FIELDS = ("name", "description", "is_sensitive", "needs_privacy_release", "target_days",
               "is_active")  # fmt: skip


@transaction.atomic
def create_case_type(
    office: Office,
    *,
    by: Membership | None,
    name: str,
    transitions: dict[str, Sequence[str]] | None = None,
    **fields: Any,
) -> CaseType:
    require(by, "casetype.manage", office.pk)
    name = text(name)
    if not name:
        raise CaseRefused(_("Give the case type a name."))
    if CaseType.objects.filter(office=office, name__iexact=name).exists():
        raise CaseRefused(_("There is already a case type called “%(name)s”.") % {"name": name})
    case_type = CaseType.objects.create(
        office=office, name=name[:100], transitions=_clean_transitions(transitions),
        **{k: v for k, v in fields.items() if k in TYPE_FIELDS},
    )  # fmt: skip
    audit.record(by, "casetype.created", case_type, changes={"name": [None, name]})
    return case_type


@transaction.atomic
def update_case_type(
    case_type: CaseType,
    *,
    by: Membership | None,
    transitions: dict[str, Sequence[str]] | None = None,
    **fields: Any,
) -> CaseType:
    require(by, "casetype.manage", case_type.office_id)
    before = audit.snapshot(case_type, (*TYPE_FIELDS, "transitions"))
    if "name" in fields:
        fields["name"] = text(fields["name"])[:100]
        if not fields["name"]:
            raise CaseRefused(_("Give the case type a name."))
        clash = CaseType.objects.filter(office_id=case_type.office_id,
                                        name__iexact=fields["name"]).exclude(pk=case_type.pk)  # fmt: skip
        if clash.exists():
            raise CaseRefused(
                _("There is already a case type called “%(name)s”.") % {"name": fields["name"]}
            )
    # Validate before touching the object: a refusal leaves the caller's instance as it was.
    workflow = _clean_transitions(transitions) if transitions is not None else None
    for key, value in fields.items():
        if key in TYPE_FIELDS:
            setattr(case_type, key, value)
    if workflow is not None:
        case_type.transitions = workflow
    case_type.save()
    changes = audit.changes_between(
        before, audit.snapshot(case_type, (*TYPE_FIELDS, "transitions"))
    )
    if changes:
        audit.record(by, "casetype.changed", case_type, changes=changes)
    return case_type


@transaction.atomic
def save_template(
    office: Office,
    *,
    by: Membership | None,
    case_type: CaseType,
    name: str,
    steps: Sequence[tuple[str, str, int]],
    documents_needed: Sequence[str] = (),
    documents_due_after_days: int = 7,
    default_assignee: Membership | None = None,
    default_team: Team | None = None,
    template: CaseTemplate | None = None,
) -> CaseTemplate:
    """Create a template (or replace `template`'s contents): steps are (title, kind, days)."""
    require(by, "casetype.manage", office.pk)
    same_office(case_type, office.pk, _("case type"))
    if template is not None:
        same_office(template, office.pk, _("template"))
    _check_links(office.pk, {"team": default_team})
    if default_assignee is not None:
        _check_assignee(office.pk, default_assignee)
    name = text(name)
    if not name:
        raise CaseRefused(_("Give the template a name."))
    clash = CaseTemplate.objects.filter(office=office, case_type=case_type, name__iexact=name)
    if template is not None:
        clash = clash.exclude(pk=template.pk)
    if clash.exists():
        raise CaseRefused(_("This case type already has a template called “%(name)s”.")
                          % {"name": name})  # fmt: skip
    try:
        clean_steps = [(text(t)[:200], k, int(d)) for t, k, d in steps if text(t)]
    except (TypeError, ValueError):
        raise CaseRefused(_("A step's days must be a whole number.")) from None
    for _title, kind, days in clean_steps:
        if kind not in ActionKind.values:
            raise CaseRefused(_("“%(value)s” is not a kind of action.") % {"value": kind})
        if not 0 <= days <= 365:
            raise CaseRefused(_("A step is due between 0 and 365 days after the case opens."))
    values = {
        "case_type": case_type, "name": name[:100],
        "documents_needed": [text(d)[:150] for d in documents_needed if text(d)],
        "documents_due_after_days": documents_due_after_days,
        "default_assignee": default_assignee, "default_team": default_team,
    }  # fmt: skip
    action = "casetemplate.changed" if template else "casetemplate.created"
    if template is None:
        template = CaseTemplate.objects.create(office=office, **values)
    else:
        for key, value in values.items():
            setattr(template, key, value)
        template.save()
        template.steps.all().delete()
    from civicdesk.casework.models import TemplateStep

    TemplateStep.objects.bulk_create(
        [
            TemplateStep(template=template, position=i, title=t, kind=k, due_after_days=d)
            for i, (t, k, d) in enumerate(clean_steps)
        ]
    )
    audit.record(by, action, template, changes={"steps": [None, len(clean_steps)]})
    return template


@transaction.atomic
def save_team(
    office: Office,
    *,
    by: Membership | None,
    name: str,
    member_ids: Iterable[int],
    team: Team | None = None,
) -> Team:
    """Create a team (or rename `team` and set its members)."""
    require(by, "casetype.manage", office.pk)
    name = text(name)
    if not name:
        raise CaseRefused(_("Give the team a name."))
    clash = Team.objects.filter(office=office, name__iexact=name)
    if team is not None:
        same_office(team, office.pk, _("team"))
        clash = clash.exclude(pk=team.pk)
    if clash.exists():
        raise CaseRefused(_("There is already a team called “%(name)s”.") % {"name": name})
    wanted = set(member_ids)
    members = list(Membership.objects.filter(office=office, is_active=True, pk__in=wanted))
    if len(members) != len(wanted):
        raise CaseRefused(_("Some of those people are not active staff of this office."))
    created = team is None
    if team is None:
        team = Team.objects.create(office=office, name=name[:100])
    else:
        team.name = name[:100]
        team.save(update_fields=["name", "updated_at"])
    team.members.set(members)
    audit.record(by, "team.created" if created else "team.changed", team,
                 changes={"name": [None, team.name], "members": [None, sorted(wanted)]})  # fmt: skip
    return team
