"""Writes of the office's casework settings beyond those in cases.py: the usual case types an
office starts with (each with one template), and removing a template."""

from django.db import transaction
from django.utils.translation import gettext_lazy

from civicdesk import audit
from civicdesk.accounts.models import Membership, Office
from civicdesk.casework.models import ActionKind, CaseTemplate, CaseType

from ._common import require
from .cases import create_case_type, save_template

__all__ = ["STARTER_CASE_TYPES", "delete_template", "seed_case_types"]

K = ActionKind
_RELEASE = (gettext_lazy("Get the signed privacy release"), K.PRIVACY_RELEASE, 2)


def _update(days: int, kind: str = K.EMAIL) -> tuple:
    return (gettext_lazy("Update the constituent"), kind, days)


# The case types most district offices handle, each with the template its work usually follows.
# Steps are (title, kind, due after N days); where a release is needed, getting it comes first.
STARTER_CASE_TYPES: list[dict] = [
    {
        "name": gettext_lazy("Veterans benefits"),
        "description": gettext_lazy("VA disability claims, pensions, health care enrollment, "
                                    "military records and medals."),
        "needs_privacy_release": True, "target_days": 60,
        "template": gettext_lazy("Benefits claim"),
        "steps": [_RELEASE, (gettext_lazy("Send the inquiry to the VA"), K.AGENCY_INQUIRY, 3),
                  (gettext_lazy("Follow up with the agency"), K.CALL, 14), _update(21)],
        "documents": [gettext_lazy("DD-214"), gettext_lazy("Claim number")],
    },
    {
        "name": gettext_lazy("Social Security"),
        "description": gettext_lazy("Retirement and disability benefits, SSI, overpayments, "
                                    "replacement cards."),
        "needs_privacy_release": True, "target_days": 45,
        "template": gettext_lazy("Benefits inquiry"),
        "steps": [_RELEASE, (gettext_lazy("Send the inquiry to the SSA"), K.AGENCY_INQUIRY, 3),
                  (gettext_lazy("Follow up with the agency"), K.CALL, 14), _update(21)],
        "documents": [gettext_lazy("Award or denial letter"), gettext_lazy("Claim number")],
    },
    {
        "name": gettext_lazy("Immigration"),
        "description": gettext_lazy("Visa, green card and naturalization delays; status "
                                    "inquiries to USCIS and the State Department."),
        "is_sensitive": True, "needs_privacy_release": True, "target_days": 90,
        "template": gettext_lazy("Case status inquiry"),
        "steps": [_RELEASE, (gettext_lazy("Send the inquiry to USCIS"), K.AGENCY_INQUIRY, 5),
                  (gettext_lazy("Follow up with the agency"), K.CALL, 30), _update(35)],
        "documents": [gettext_lazy("Receipt notice (Form I-797)"), gettext_lazy("A-number")],
    },
    {
        "name": gettext_lazy("Housing"),
        "description": gettext_lazy("Evictions, repairs a landlord will not make, public "
                                    "housing and rental assistance."),
        "target_days": 30,
        "template": gettext_lazy("Landlord or housing authority"),
        "steps": [(gettext_lazy("Call the constituent for the details"), K.CALL, 1),
                  (gettext_lazy("Contact the landlord or the housing authority"),
                   K.AGENCY_INQUIRY, 3),
                  (gettext_lazy("Follow up on the repair or the application"), K.CALL, 10),
                  _update(14)],
        "documents": [gettext_lazy("Lease"), gettext_lazy("Notices received")],
    },
    {
        "name": gettext_lazy("Utilities"),
        "description": gettext_lazy("Shut-off notices, billing disputes, payment plans with "
                                    "the water, power and gas companies."),
        "target_days": 14,
        "template": gettext_lazy("Billing or shut-off"),
        "steps": [(gettext_lazy("Confirm the account details with the constituent"), K.CALL, 1),
                  (gettext_lazy("Contact the utility's customer advocate"), K.AGENCY_INQUIRY, 2),
                  (gettext_lazy("Follow up with the utility"), K.CALL, 7), _update(10)],
        "documents": [gettext_lazy("Latest bill"), gettext_lazy("Shut-off notice")],
    },
    {
        "name": gettext_lazy("Street repair"),
        "description": gettext_lazy("Potholes, sidewalks, streetlights, signs and signals."),
        "target_days": 21,
        "template": gettext_lazy("Report to public works"),
        "steps": [(gettext_lazy("Confirm the exact location"), K.CALL, 1),
                  (gettext_lazy("Submit the request to public works"), K.AGENCY_INQUIRY, 2),
                  (gettext_lazy("Check that the repair is done"), K.TASK, 14), _update(15)],
        "documents": [gettext_lazy("Photo of the problem")],
    },
    {
        "name": gettext_lazy("Code enforcement"),
        "description": gettext_lazy("Vacant or unsafe buildings, overgrown lots, illegal "
                                    "dumping, unpermitted work."),
        "target_days": 30,
        "template": gettext_lazy("Complaint about a property"),
        "steps": [(gettext_lazy("Get the address and what is wrong"), K.CALL, 1),
                  (gettext_lazy("Refer the complaint to code enforcement"), K.AGENCY_INQUIRY, 2),
                  (gettext_lazy("Follow up on the inspection"), K.CALL, 14), _update(21)],
        "documents": [gettext_lazy("Photos")],
    },
    {
        "name": gettext_lazy("Health care"),
        "description": gettext_lazy("Medicare, Medicaid and insurance denials; access to "
                                    "care and prescriptions."),
        "is_sensitive": True, "needs_privacy_release": True, "target_days": 30,
        "template": gettext_lazy("Coverage problem"),
        "steps": [_RELEASE,
                  (gettext_lazy("Contact the insurer or the health agency"), K.AGENCY_INQUIRY, 3),
                  (gettext_lazy("Follow up with the agency"), K.CALL, 10), _update(14, K.CALL)],
        "documents": [gettext_lazy("Insurance card"), gettext_lazy("Denial letter")],
    },
]  # fmt: skip


@transaction.atomic
def seed_case_types(office: Office, *, by: Membership | None) -> list[CaseType]:
    """Create the usual case types (STARTER_CASE_TYPES), each with its template, in the default
    workflow. A type whose name the office already uses is left alone, so running it again
    creates nothing. Returns the types created."""
    require(by, "casetype.manage", office.pk)
    Office.objects.select_for_update().filter(pk=office.pk).first()  # two clicks seed once
    taken = {name.lower() for name in CaseType.objects.filter(office=office)
             .values_list("name", flat=True)}  # fmt: skip
    created = []
    for starter in STARTER_CASE_TYPES:
        if str(starter["name"]).lower() in taken:
            continue
        case_type = create_case_type(
            office, by=by, name=str(starter["name"]), description=str(starter["description"]),
            is_sensitive=starter.get("is_sensitive", False),
            needs_privacy_release=starter.get("needs_privacy_release", False),
            target_days=starter["target_days"],
        )  # fmt: skip
        save_template(
            office, by=by, case_type=case_type, name=str(starter["template"]),
            steps=[(str(title), kind, days) for title, kind, days in starter["steps"]],
            documents_needed=[str(d) for d in starter["documents"]],
        )  # fmt: skip
        created.append(case_type)
    return created


@transaction.atomic
def delete_template(template: CaseTemplate, *, by: Membership | None) -> None:
    """Remove a template and its steps. Cases it was applied to keep their to-dos; they only
    forget which template they came from (Case.template is SET_NULL)."""
    require(by, "casetype.manage", template.office_id)
    audit.record(by, "casetemplate.deleted", template,
                 changes={"name": [template.name, None], "steps": [template.steps.count(), None]})  # fmt: skip
    template.delete()
