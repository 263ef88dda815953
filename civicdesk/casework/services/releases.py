"""Privacy releases: the constituent's written consent for the office to act with an agency on
their behalf, as an uploaded signed form or a typed e-signature, with the date it was signed,
the agency it covers and its expiry. A case type that needs one cannot go to the agency
without one in force (cases.ensure_release_for_agency)."""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from civicdesk import audit
from civicdesk.accounts.models import Membership
from civicdesk.casework.documents import Upload
from civicdesk.casework.errors import CaseRefused
from civicdesk.casework.models import (
    ActionKind,
    Case,
    CaseParty,
    PrivacyRelease,
    ReleaseMethod,
)
from civicdesk.constituents.models import Organization, Person

from ._common import require, same_office, text
from .cases import _action, touch
from .documents import add_document

__all__ = ["record_release", "revoke_release"]


def _refused(message: str, field: str) -> CaseRefused:
    """A refusal that names the form field it is about, so the door can show it there."""
    return CaseRefused(message, code="release_refused", details={"field": field})


def _check_party(case: Case, person: Person) -> None:
    """The person must be one of the people the case is for."""
    if not CaseParty.objects.filter(case=case, person_id=person.pk).exists():
        raise CaseRefused(
            _("%(name)s is not one of the people of this case.") % {"name": person.display_name},
            details={"field": "person"},
        )


def _summary(release: PrivacyRelease) -> dict:
    return {
        "id": release.pk,
        "person": release.person_id,
        "method": release.method,
        "agency": release.agency_id,
        "signed_on": release.signed_on,
        "expires_on": release.expires_on,
        "document": release.document_id,
    }


@transaction.atomic
def record_release(
    case: Case,
    *,
    by: Membership | None,
    method: str,
    signed_on: dt.date | None,
    person: Person | None = None,
    expires_on: dt.date | None = None,
    agency: Organization | None = None,
    signed_name: str = "",
    upload: Upload | None = None,
) -> PrivacyRelease:
    """Record a signed release for `person` (the case's constituent unless said). An uploaded
    form needs its file (kept on the case as a document), a typed e-signature the name typed.
    Signed today or before; expiring, if it does, after it was signed. No agency: it covers
    every agency of the case."""
    require(by, "case.edit", case.office_id)
    person = person or case.primary_person
    _check_party(case, person)
    if method not in ReleaseMethod.values:
        raise _refused(
            _("Say how the release was signed: a signed form uploaded, or a typed e-signature."),
            "method",
        )
    signed_name = text(signed_name)[:200]
    if method == ReleaseMethod.UPLOAD and upload is None:
        raise _refused(_("Attach the signed release form (a scan or a photo of it)."), "file")
    if method == ReleaseMethod.E_SIGNATURE and not signed_name:
        raise _refused(_("Type the name the constituent signed with."), "signed_name")
    if signed_on is None:
        raise _refused(_("Give the date the release was signed."), "signed_on")
    if signed_on > timezone.localdate():
        raise _refused(
            _("The release cannot be signed in the future (%(date)s).")
            % {"date": date_format(signed_on)},
            "signed_on",
        )
    if expires_on is not None and expires_on <= signed_on:
        raise _refused(_("The release must expire after the day it was signed."), "expires_on")
    if agency is not None:
        same_office(agency, case.office_id, _("agency"))
    # Last, once everything else is known to be right: storing the file is the costly part.
    document = add_document(case, by=by, upload=upload) if upload is not None else None
    release = PrivacyRelease.objects.create(
        office_id=case.office_id,
        case=case,
        person=person,
        agency=agency,
        method=method,
        signed_name=signed_name,
        signed_on=signed_on,
        expires_on=expires_on,
        document=document,
        recorded_by=by,
    )
    covers = agency.name if agency is not None else _("any agency")
    until = date_format(expires_on) if expires_on else _("no expiry")
    _action(
        case, by=by, kind=ActionKind.PRIVACY_RELEASE,
        subject=_("Privacy release of %(name)s recorded (%(method)s; %(covers)s; %(until)s)")
        % {"name": person.display_name, "method": release.get_method_display().lower(),
           "covers": covers, "until": until},
        details={"release_id": release.pk},
    )  # fmt: skip
    touch(case)
    audit.record(by, "case.release_recorded", case, changes={"release": [None, _summary(release)]})
    return release


@transaction.atomic
def revoke_release(release: PrivacyRelease, *, by: Membership | None) -> PrivacyRelease:
    """The constituent withdrew their consent: the release stops covering the case from now.
    It stays on the case (with its signed form) as the record of what was consented when."""
    require(by, "case.edit", release.office_id)
    locked = PrivacyRelease.objects.select_for_update().select_related("case").get(pk=release.pk)
    if locked.revoked_at is not None:
        raise CaseRefused(
            _("That release was already revoked on %(date)s.")
            % {"date": date_format(timezone.localdate(locked.revoked_at))}
        )
    locked.revoked_at = timezone.now()
    locked.save(update_fields=["revoked_at", "updated_at"])
    _action(locked.case, by=by, kind=ActionKind.PRIVACY_RELEASE,
            subject=_("Privacy release revoked"), details={"release_id": locked.pk})  # fmt: skip
    touch(locked.case)
    audit.record(
        by, "case.release_revoked", locked.case,
        changes={"release": [locked.pk, None], "revoked_at": [None, locked.revoked_at]},
    )  # fmt: skip
    return locked
