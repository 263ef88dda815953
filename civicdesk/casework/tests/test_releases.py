"""Privacy releases: how each kind is recorded, what is refused and why, and what a release
in force lets the case do (wait on the agency)."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from civicdesk.audit.models import AuditEvent
from civicdesk.casework import queries, services
from civicdesk.casework.errors import CaseRefused, PrivacyReleaseRequired, UploadRefused
from civicdesk.casework.models import (
    ActionKind,
    CaseAction,
    CaseDocument,
    CaseStatus,
    PrivacyRelease,
)
from civicdesk.constituents import services as constituent_services
from civicdesk.constituents.tests.conftest import make_person
from civicdesk.core.errors import NotAllowed

PDF = b"%PDF-1.4\n%%EOF\n"


def today() -> dt.date:
    return timezone.localdate()


def e_signature(case, by, **fields) -> PrivacyRelease:
    values = {"method": "e_signature", "signed_name": "John Q. Smith", "signed_on": today(),
              "expires_on": today() + dt.timedelta(days=365)}  # fmt: skip
    return services.record_release(case, by=by, **{**values, **fields})


def refused(case, by, **fields) -> str:
    with pytest.raises(CaseRefused) as refusal:
        e_signature(case, by, **fields)
    assert (PrivacyRelease.objects.count(), CaseDocument.objects.count()) == (0, 0)
    assert not AuditEvent.objects.filter(action="case.release_recorded").exists()
    return refusal.value.message


def test_a_release_lets_the_veterans_case_wait_on_the_agency(case, alice):
    with pytest.raises(PrivacyReleaseRequired):
        services.change_status(case, by=alice, status="waiting_agency")

    e_signature(case, alice)
    case = services.change_status(case, by=alice, status="waiting_agency")

    assert case.status == CaseStatus.WAITING_AGENCY


def test_an_e_signature_is_recorded_with_its_name_dates_and_history(case, alice, john, va):
    release = e_signature(case, alice, agency=va)

    release.refresh_from_db()
    assert (release.person, release.method, release.signed_name, release.agency) == (
        john, "e_signature", "John Q. Smith", va,
    )  # fmt: skip
    assert (release.signed_on, release.expires_on, release.recorded_by, release.document) == (
        today(), today() + dt.timedelta(days=365), alice, None,
    )  # fmt: skip
    action = CaseAction.objects.get(case=case, kind=ActionKind.PRIVACY_RELEASE)
    assert action.details == {"release_id": release.pk}
    assert action.subject.startswith(
        "Privacy release of John Smith recorded (typed e-signature; Department of Veterans Affairs;"
    )
    event = AuditEvent.objects.get(action="case.release_recorded")
    assert event.changes["release"][1]["method"] == "e_signature"


def test_an_uploaded_release_keeps_its_signed_form_on_the_case(case, alice):
    release = services.record_release(
        case, by=alice, method="upload", signed_on=today(),
        upload=SimpleUploadedFile("release.pdf", PDF),
    )  # fmt: skip

    assert (release.document.name, release.document.case) == ("release.pdf", case)
    assert queries.valid_release(case, agency=case.agency) == release


def test_an_upload_release_without_its_file_is_refused(case, alice):
    message = refused(case, alice, method="upload", signed_name="")

    assert message == "Attach the signed release form (a scan or a photo of it)."


def test_an_upload_release_with_a_forbidden_file_is_refused(case, alice):
    with pytest.raises(UploadRefused):
        e_signature(case, alice, method="upload", upload=SimpleUploadedFile("form.exe", b"MZ"))

    assert (PrivacyRelease.objects.count(), CaseDocument.objects.count()) == (0, 0)


def test_an_e_signature_without_the_typed_name_is_refused(case, alice):
    assert refused(case, alice, signed_name="   ") == "Type the name the constituent signed with."


def test_a_release_expiring_before_it_was_signed_is_refused(case, alice):
    message = refused(case, alice, signed_on=today(), expires_on=today() - dt.timedelta(days=1))

    assert message == "The release must expire after the day it was signed."


def test_a_release_signed_in_the_future_is_refused(case, alice):
    message = refused(case, alice, signed_on=today() + dt.timedelta(days=2))

    assert message.startswith("The release cannot be signed in the future")


def test_an_unknown_method_is_refused(case, alice):
    message = refused(case, alice, method="fax")

    assert message == (
        "Say how the release was signed: a signed form uploaded, or a typed e-signature."
    )


def test_a_release_of_someone_not_on_the_case_is_refused(case, alice, ward1):
    stranger = make_person(ward1, "Sam", "Stranger")

    assert (
        refused(case, alice, person=stranger)
        == "Sam Stranger is not one of the people of this case."
    )


def test_another_offices_agency_is_refused(case, alice, ward2):
    other = constituent_services.create_organization(
        ward2, by=None, fields={"name": "Ward 2's agency", "kind": "agency"}
    )

    assert refused(case, alice, agency=other) == "That agency is not in this office."


def test_a_volunteer_cannot_record_a_release(case, victor):
    with pytest.raises(NotAllowed):
        e_signature(case, victor)
    assert PrivacyRelease.objects.count() == 0


def test_a_revoked_release_no_longer_covers_the_case(case, alice):
    release = e_signature(case, alice)

    services.revoke_release(release, by=alice)

    with pytest.raises(PrivacyReleaseRequired):
        services.change_status(case, by=alice, status="waiting_agency")
    assert AuditEvent.objects.filter(action="case.release_revoked").count() == 1


def test_revoking_twice_is_refused(case, alice):
    release = services.revoke_release(e_signature(case, alice), by=alice)

    with pytest.raises(CaseRefused):
        services.revoke_release(release, by=alice)
    assert AuditEvent.objects.filter(action="case.release_revoked").count() == 1


def test_an_expired_release_does_not_cover_the_case(case, alice):
    e_signature(case, alice, signed_on=today() - dt.timedelta(days=400),
                expires_on=today() - dt.timedelta(days=35))  # fmt: skip

    assert queries.valid_release(case, agency=case.agency) is None


def test_a_release_for_another_agency_does_not_cover_the_cases_agency(case, alice, ward1):
    irs = constituent_services.create_organization(
        ward1, by=None, fields={"name": "Internal Revenue Service", "kind": "agency"}
    )
    e_signature(case, alice, agency=irs)

    assert queries.valid_release(case, agency=case.agency) is None
    assert queries.valid_release(case, agency=irs) is not None
