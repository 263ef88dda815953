"""What the isolation walk (accounts/tests/test_isolation.py) needs to know about casework:
one case of an office and each record hanging off it. URL and API parameters of casework use
exactly these names."""

import datetime as dt
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from civicdesk.casework import services
from civicdesk.casework.models import (
    ActionState,
    Case,
    CaseAction,
    CaseDocument,
    CaseLetter,
    CaseStatusLink,
    CaseTemplate,
    CaseType,
    LetterRecipient,
    LetterTemplate,
    PrivacyRelease,
    ReleaseMethod,
    Team,
)
from civicdesk.constituents import services as constituent_services


def _case_type(side, made: dict[str, Any]) -> CaseType:
    existing = CaseType.objects.filter(office=side.office, name=f"Housing {side.label}").first()
    return existing or services.create_case_type(side.office, by=None, name=f"Housing {side.label}")


def _case(side, made: dict[str, Any]) -> Case:
    person = constituent_services.create_person(
        side.office, by=None, fields={"first_name": "Casey", "last_name": f"Jones {side.label}"}
    )
    return services.open_case(
        side.office, by=None, person=person, case_type=_case_type(side, made), subject="Heat"
    )


def _of_case(made: dict[str, Any], side) -> Case:
    return made["case_id"] if "case_id" in made else _case(side, made)


def _action(side, made: dict[str, Any]) -> CaseAction:
    case = _of_case(made, side)
    return CaseAction.objects.create(
        office=side.office, case=case, kind="task", state=ActionState.PLANNED,
        subject="Call the landlord", due_on=timezone.localdate(),
    )  # fmt: skip


def _document(side, made: dict[str, Any]) -> CaseDocument:
    case = _of_case(made, side)
    document = CaseDocument(
        office=side.office, case=case, name="lease.pdf", content_type="application/pdf",
        size=8, sha256="0" * 64,
    )  # fmt: skip
    document.file.save("lease.pdf", ContentFile(b"%PDF-1.4"), save=False)
    document.save()
    return document


def _release(side, made: dict[str, Any]) -> PrivacyRelease:
    case = _of_case(made, side)
    return PrivacyRelease.objects.create(
        office=side.office, case=case, person=case.primary_person,
        method=ReleaseMethod.E_SIGNATURE, signed_name="Casey Jones",
        signed_on=timezone.localdate(), expires_on=timezone.localdate() + dt.timedelta(days=365),
    )  # fmt: skip


def _letter(side, made: dict[str, Any]) -> CaseLetter:
    case = _of_case(made, side)
    return CaseLetter.objects.create(
        office=side.office, case=case, recipient=LetterRecipient.AGENCY,
        subject="Inquiry", body="Dear Sir or Madam,",
    )  # fmt: skip


def _link(side, made: dict[str, Any]) -> CaseStatusLink:
    case = _of_case(made, side)
    return CaseStatusLink.objects.create(
        office=side.office, case=case, person=case.primary_person,
        token_hash=f"{side.label}-{timezone.now().timestamp()}-{CaseStatusLink.objects.count()}",
        expires_at=timezone.now() + dt.timedelta(days=30),
    )  # fmt: skip


def _template(side, made: dict[str, Any]) -> CaseTemplate:
    return services.save_template(
        side.office, by=None, case_type=_case_type(side, made),
        name=f"Standard {CaseTemplate.objects.count()}", steps=[("Call", "call", 1)],
    )  # fmt: skip


def _team(side, made: dict[str, Any]) -> Team:
    return services.save_team(
        side.office, by=None, name=f"Desk {side.label} {Team.objects.count()}", member_ids=[]
    )


def _letter_template(side, made: dict[str, Any]) -> LetterTemplate:
    return LetterTemplate.objects.create(
        office=side.office, name=f"Inquiry {side.label} {LetterTemplate.objects.count()}",
        subject="Inquiry", body="Dear {{ agency.name }},",
    )  # fmt: skip


OBJECT_MAKERS = {
    "case_id": _case,
    "action_id": _action,
    "document_id": _document,
    "release_id": _release,
    "letter_id": _letter,
    "link_id": _link,
    "case_type_id": _case_type,
    "template_id": _template,
    "team_id": _team,
    "letter_template_id": _letter_template,
}

# Bodies of the casework API operations that need one, by operation function name: valid ones,
# so that Ward 1's own objects get an answer other than 404/422 and Ward 2's get 404 only
# because the case is another office's.
API_BODIES = {
    "update_case": lambda side, made: {"version": made["case_id"].version, "subject": "Walked"},
    "change_case_status": lambda side, made: {"status": "waiting_constituent"},
    "assign_case": lambda side, made: {"assignee_id": side.staff.pk},
    "add_case_action": lambda side, made: {"kind": "note", "subject": "Walked"},
    "apply_case_template": lambda side, made: {"template_id": _template(side, made).pk},
}
