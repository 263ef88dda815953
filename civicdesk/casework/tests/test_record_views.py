"""The records panel's pages (documents, privacy releases, status links) and the constituent's
public status page, through the test client."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from civicdesk.audit.models import AuditEvent
from civicdesk.casework import services
from civicdesk.casework.models import CaseDocument, CaseStatusLink, PrivacyRelease
from civicdesk.casework.views.records import panel_context

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
HTMX = {"HX-Request": "true"}


def url(name: str, *args) -> str:
    return reverse(f"casework:{name}", args=args)


def pdf(name: str = "lease.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def body(response) -> str:
    return b"".join(response.streaming_content).decode() if response.streaming else response.text


@pytest.fixture
def document(case, alice) -> CaseDocument:
    return services.add_document(case, by=alice, upload=pdf())


# ---------------------------------------------------------------- documents


def test_a_pdf_uploaded_on_the_case_page_can_be_downloaded(web, case, alice):
    client = web(alice)

    response = client.post(url("document-upload", case.pk), {"file": pdf()})

    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.pk}/#records-panel"
    document = CaseDocument.objects.get(case=case)
    download = client.get(url("document-download", case.pk, document.pk))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="lease.pdf"'
    assert b"".join(download.streaming_content) == PDF
    event = AuditEvent.objects.get(action="case.document_downloaded")
    assert (event.actor, event.changes) == (
        alice, {"document": [None, {"id": document.pk, "name": "lease.pdf"}]},
    )  # fmt: skip


def test_an_upload_with_htmx_answers_the_panel_with_the_new_document(web, case, alice):
    response = web(alice).post(url("document-upload", case.pk), {"file": pdf()}, headers=HTMX)

    assert response.status_code == 200
    assert 'id="records-panel"' in response.text
    assert "Added lease.pdf." in response.text
    assert url("document-download", case.pk, CaseDocument.objects.get().pk) in response.text


def test_an_oversize_upload_is_refused_with_a_clear_message(web, case, alice, settings):
    settings.CIVICDESK_UPLOAD_MAX_MB = 1

    response = web(alice).post(
        url("document-upload", case.pk), {"file": pdf(content=PDF + bytes(2_200_000))}
    )

    assert response.status_code == 400
    assert "lease.pdf is 2.1 MB; the limit is 1 MB." in response.text
    assert "Up to 1 MB." in response.text
    assert CaseDocument.objects.count() == 0


def test_a_refused_upload_with_htmx_shows_why_in_the_panel(web, case, alice):
    response = web(alice).post(
        url("document-upload", case.pk), {"file": pdf(content=b"MZ\x90\x00" + bytes(64))},
        headers=HTMX,
    )  # fmt: skip

    assert response.status_code == 200
    assert "lease.pdf is not really a PDF file" in response.text
    assert CaseDocument.objects.count() == 0


def test_an_upload_without_a_file_says_so(web, case, alice):
    response = web(alice).post(url("document-upload", case.pk), {})

    assert response.status_code == 400
    assert "Choose a file to upload." in response.text


def test_removing_a_document(web, case, alice, document):
    response = web(alice).post(url("document-delete", case.pk, document.pk))

    assert response.status_code == 302
    assert CaseDocument.objects.count() == 0


def test_another_offices_caseworker_gets_404_for_a_document(web, case, carol, document):
    client = web(carol)

    assert client.get(url("document-download", case.pk, document.pk)).status_code == 404
    assert client.post(url("document-delete", case.pk, document.pk)).status_code == 404
    assert client.post(url("document-upload", case.pk), {"file": pdf()}).status_code == 404
    assert CaseDocument.objects.count() == 1
    assert not AuditEvent.objects.filter(action="case.document_downloaded").exists()


def test_a_document_of_another_case_is_404(web, case, alice, ward1, john, housing, document):
    other = services.open_case(ward1, by=alice, person=john, case_type=housing, subject="Leak")

    response = web(alice).get(url("document-download", other.pk, document.pk))

    assert response.status_code == 404


def test_a_volunteer_gets_403(web, case, victor, document):
    client = web(victor)

    assert client.get(url("document-download", case.pk, document.pk)).status_code == 403
    assert client.post(url("document-upload", case.pk), {"file": pdf()}).status_code == 403
    assert client.post(url("status-link-create", case.pk), {"days": 30}).status_code == 403
    assert CaseDocument.objects.count() == 1
    assert CaseStatusLink.objects.count() == 0


def test_a_sensitive_case_of_someone_else_is_404_for_a_caseworker(
    web, ward1, alice, bella, john, immigration
):
    case = services.open_case(
        ward1, by=bella, person=john, case_type=immigration, subject="Asylum", assignee=bella
    )
    document = services.add_document(case, by=bella, upload=pdf())

    response = web(alice).get(url("document-download", case.pk, document.pk))

    assert response.status_code == 404


# ---------------------------------------------------------------- privacy releases


def test_recording_an_e_signature_on_the_page(web, case, alice, va):
    today = timezone.localdate()
    response = web(alice).post(
        url("release-record", case.pk),
        {"method": "e_signature", "signed_name": "John Q. Smith", "signed_on": today.isoformat(),
         "expires_on": (today + dt.timedelta(days=365)).isoformat(), "agency": str(va.pk)},
    )  # fmt: skip

    assert response.status_code == 302
    release = PrivacyRelease.objects.get()
    assert (release.signed_name, release.agency, release.method) == (
        "John Q. Smith", va, "e_signature",
    )  # fmt: skip


def test_recording_an_uploaded_release_on_the_page(web, case, alice):
    response = web(alice).post(
        url("release-record", case.pk),
        {"method": "upload", "signed_on": timezone.localdate().isoformat(), "file": pdf("form.pdf")},
    )  # fmt: skip

    assert response.status_code == 302
    assert PrivacyRelease.objects.get().document.name == "form.pdf"


def test_a_refused_release_keeps_what_was_typed(web, case, alice, va):
    response = web(alice).post(
        url("release-record", case.pk),
        {"method": "e_signature", "signed_name": "", "signed_on": "2025-03-04",
         "expires_on": "2026-03-04", "agency": str(va.pk)},
    )  # fmt: skip

    assert response.status_code == 400
    text = response.text
    assert "Type the name the constituent signed with." in text
    assert 'value="2025-03-04"' in text
    assert 'value="2026-03-04"' in text
    assert f'<option value="{va.pk}" selected>' in text
    assert 'value="e_signature" id="id_release_method_1" checked' in text
    assert PrivacyRelease.objects.count() == 0


def test_the_release_form_page_opens_with_a_year_of_validity(web, case, alice, va):
    today = timezone.localdate()

    response = web(alice).get(url("release-record", case.pk))

    assert response.status_code == 200
    assert f'value="{(today + dt.timedelta(days=365)).isoformat()}"' in response.text
    assert f'<option value="{va.pk}" selected>' in response.text


def test_revoking_a_release_on_the_page(web, case, alice):
    release = services.record_release(
        case, by=alice, method="e_signature", signed_name="John", signed_on=timezone.localdate()
    )

    response = web(alice).post(url("release-revoke", case.pk, release.pk), headers=HTMX)

    assert response.status_code == 200
    release.refresh_from_db()
    assert release.revoked_at is not None
    assert 'data-release-state="revoked"' in response.text


def test_the_panel_warns_until_a_release_is_in_force(case, alice):
    assert panel_context(alice, case)["records_release_needed"] is True
    assert panel_context(alice, case)["records_release_state"] == "none"

    services.record_release(
        case, by=alice, method="e_signature", signed_name="John", signed_on=timezone.localdate()
    )

    context = panel_context(alice, case)
    assert (context["records_release_needed"], context["records_release_state"]) == (
        False, "in_force",
    )  # fmt: skip


# ---------------------------------------------------------------- status links


def test_making_a_status_link_shows_it_once(web, case, alice):
    client = web(alice)

    response = client.post(url("status-link-create", case.pk), {"days": 30, "send_email": "on"})

    assert response.status_code == 200
    link = CaseStatusLink.objects.get()
    shown = response.text.split('id="records-new-link">')[1].split("<")[0]
    assert shown.startswith("http://127.0.0.1:8000/cases/status/")
    assert services.open_status_link(shown.rsplit("/", 2)[1]) == link
    assert "Status link made and emailed to john.smith@example.org." in response.text
    assert shown not in client.get(url("release-record", case.pk)).text


def test_a_status_link_for_too_many_days_is_refused_on_the_page(web, case, alice):
    response = web(alice).post(url("status-link-create", case.pk), {"days": 500}, headers=HTMX)

    assert response.status_code == 200
    assert 'value="500"' in response.text
    assert CaseStatusLink.objects.count() == 0


def test_another_office_cannot_revoke_a_link(web, case, alice, carol):
    link, _token = services.create_status_link(case, by=alice, send_email=False)

    response = web(carol).post(url("status-link-revoke", case.pk, link.pk))

    assert response.status_code == 404
    link.refresh_from_db()
    assert link.revoked_at is None


# ---------------------------------------------------------------- the constituent's page


@pytest.fixture
def status_url(case, alice) -> str:
    services.log_action(case, by=alice, kind="call", subject="Called the VA: the claim is in review",
                        body="They expect a decision within 30 days.", is_public=True)  # fmt: skip
    services.log_action(case, by=alice, kind="note", subject="VA contact was rude; escalate",
                        is_public=False)  # fmt: skip
    _link, token = services.create_status_link(case, by=alice, send_email=False)
    return reverse("casework:status-page", kwargs={"secret": token})


def test_the_status_page_shows_public_updates_and_never_internal_notes(status_url, case):
    response = Client().get(status_url)

    assert response.status_code == 200
    text = response.text
    assert "Called the VA: the claim is in review" in text
    assert "They expect a decision within 30 days." in text
    assert "VA contact was rude" not in text
    for shown in ("C-1", "Disability claim delayed", "Veterans benefits", "Open",
                  "We are working on your case.", "Alice"):  # fmt: skip
        assert shown in text
    assert "Alvarez" not in text  # the caseworker's first name only
    assert "Filed in March" not in text  # the description is for staff
    assert (response["X-Robots-Tag"], response["Referrer-Policy"]) == (
        "noindex, nofollow", "no-referrer",
    )  # fmt: skip
    assert "no-store" in response["Cache-Control"]


def test_the_status_page_has_no_office_chrome(status_url):
    text = Client().get(status_url).text

    assert 'id="main-nav"' not in text
    assert reverse("constituents:person-list") not in text


def test_an_expired_status_link_is_a_404_page_that_says_whom_to_ask(status_url):
    CaseStatusLink.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))

    response = Client().get(status_url)

    assert response.status_code == 404
    assert "This link is not valid or has expired." in response.text
    assert "Contact Ward 1 — Council Member Reyes and ask for a new link" in response.text
    assert "Called the VA" not in response.text


def test_a_revoked_status_link_is_404(status_url, alice):
    services.revoke_status_link(CaseStatusLink.objects.get(), by=alice)

    assert Client().get(status_url).status_code == 404


def test_a_wrong_status_link_is_404(status_url):
    response = Client().get(reverse("casework:status-page", kwargs={"secret": "A" * 43}))

    assert response.status_code == 404
    assert "Contact the office that sent you the link" in response.text
