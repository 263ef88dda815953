"""The letter pages, through the doors a user uses: the letter library and its editor, letters
on a case (draft, edit, send, print, .docx), email from a case and the case page's panel.
Ward 2 gets 404 on every page; a volunteer gets 403."""

import io

import pytest
from django.core import mail
from django.urls import reverse
from docx import Document

from civicdesk.accounts.permissions import Role
from civicdesk.audit.models import AuditEvent
from civicdesk.casework import services
from civicdesk.casework.models import CaseEmail, CaseLetter, LetterTemplate
from civicdesk.casework.tests.test_letters import give_release
from conftest import make_member

LIBRARY = reverse("casework:letter-template-list")
NEW_TEMPLATE = reverse("casework:letter-template-create")


@pytest.fixture
def standard(ward1) -> dict[str, LetterTemplate]:
    inquiry, update = services.ensure_standard_letters(ward1)
    return {"inquiry": inquiry, "update": update}


@pytest.fixture
def letter(case, alice, standard) -> CaseLetter:
    """A draft agency inquiry on John's veterans case."""
    return services.draft_letter(case, by=alice, template=standard["inquiry"])


def letter_url(letter, page: str = "detail") -> str:
    return reverse(f"casework:case-letter-{page}", args=[letter.case_id, letter.pk])


def case_urls(case, letter) -> dict[str, str]:
    """Every page of this module that hangs off a case."""
    return {
        "new": reverse("casework:case-letter-create", args=[case.pk]),
        "detail": letter_url(letter),
        "print": letter_url(letter, "print"),
        "docx": letter_url(letter, "docx"),
        "email": reverse("casework:case-email", args=[case.pk]),
    }


def template_form(**overrides) -> dict:
    return {"name": "Thank you", "kind": "other", "recipient": "constituent",
            "subject": "Thank you, {{ constituent.first_name }}",
            "body": "{{ constituent.salutation }},\n\nThank you.", "is_active": "on"} | overrides  # fmt: skip


# ---------------------------------------------------------------- the library


def test_the_first_visit_to_the_library_puts_in_the_two_standard_letters(web, manny, ward1):
    response = web(manny).get(LIBRARY)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Agency inquiry" in html
    assert "Constituent update" in html
    assert LetterTemplate.objects.filter(office=ward1).count() == 2
    web(manny).get(LIBRARY)
    assert LetterTemplate.objects.filter(office=ward1).count() == 2


def test_the_editor_lists_the_merge_fields_beside_it(web, manny):
    html = web(manny).get(NEW_TEMPLATE).content.decode()
    assert 'data-merge-field="{{ constituent.full_name }}"' in html
    assert "Their salutation, else “Dear &lt;prefix&gt; &lt;last name&gt;”" in html


def test_a_new_letter_is_saved(web, manny, ward1):
    response = web(manny).post(NEW_TEMPLATE, template_form())
    assert response.status_code == 302
    assert response["Location"] == LIBRARY
    template = LetterTemplate.objects.get(office=ward1, name="Thank you")
    assert (template.subject, template.body, template.recipient) == (
        "Thank you, {{ constituent.first_name }}",
        "{{ constituent.salutation }},\n\nThank you.",
        "constituent",
    )


def test_an_unknown_field_is_refused_and_what_was_typed_is_kept(web, manny):
    body = "Dear {{ constituent.nickname }},\n\nWe care about <your> case."
    response = web(manny).post(NEW_TEMPLATE, template_form(body=body))
    html = response.content.decode()
    assert response.status_code == 409
    assert "“{{ constituent.nickname }}” is not a merge field." in html
    assert "Dear {{ constituent.nickname }},\n\nWe care about &lt;your&gt; case.</textarea>" in html
    assert LetterTemplate.objects.count() == 0


def test_a_letter_of_the_library_is_edited(web, manny, standard):
    url = reverse("casework:letter-template-edit", args=[standard["update"].pk])
    assert "Constituent update" in web(manny).get(url).content.decode()
    response = web(manny).post(url, template_form(name="Update", is_active=""))
    assert response.status_code == 302
    standard["update"].refresh_from_db()
    assert (standard["update"].name, standard["update"].is_active) == ("Update", False)


def test_caseworkers_and_volunteers_may_not_keep_the_library(web, alice, victor, standard):
    edit = reverse("casework:letter-template-edit", args=[standard["update"].pk])
    for member in (alice, victor):
        client = web(member)
        assert [client.get(url).status_code for url in (LIBRARY, NEW_TEMPLATE, edit)] == [403] * 3
        assert client.post(edit, template_form()).status_code == 403
    assert LetterTemplate.objects.get(pk=standard["update"].pk).name == "Constituent update"


def test_another_offices_letter_of_the_library_is_404(web, ward2, standard):
    dora_manager = make_member(ward2, "mona@ward2.example", Role.MANAGER, "Mona Diaz")
    url = reverse("casework:letter-template-edit", args=[standard["update"].pk])
    client = web(dora_manager)
    assert client.get(url).status_code == 404
    assert client.post(url, template_form()).status_code == 404
    assert LetterTemplate.objects.get(pk=standard["update"].pk).name == "Constituent update"


# ---------------------------------------------------------------- letters on a case


def test_writing_a_letter_drafts_it_and_opens_it(web, alice, case, standard):
    response = web(alice).post(
        reverse("casework:case-letter-create", args=[case.pk]), {"template": standard["update"].pk}
    )
    letter = CaseLetter.objects.get(case=case)
    assert response.status_code == 302
    assert response["Location"] == letter_url(letter)
    html = web(alice).get(letter_url(letter)).content.decode()
    assert '<h1 class="h3 mb-1">An update on your case</h1>' in html
    assert "Dear John Smith,\n\nThank you for contacting" in html  # in the textarea


def test_writing_without_choosing_a_letter_says_so(web, alice, case):
    response = web(alice).post(reverse("casework:case-letter-create", args=[case.pk]), {})
    assert response.status_code == 302
    assert response["Location"] == reverse("casework:case-detail", args=[case.pk]) + "#letters"
    assert CaseLetter.objects.count() == 0


def test_saving_a_draft_keeps_the_changes(web, alice, letter):
    response = web(alice).post(letter_url(letter), {
        "action": "save", "subject": "Inquiry: {{ case.reference }}", "body": "Dear VA,\n\nPlease.",
        "addressee": "VA Regional Office",
    })  # fmt: skip
    assert response.status_code == 302
    letter.refresh_from_db()
    assert (letter.subject, letter.body, letter.addressee, letter.sent_at) == (
        "Inquiry: C-1", "Dear VA,\n\nPlease.", "VA Regional Office", None,
    )  # fmt: skip


def test_sending_an_agency_letter_without_the_release_is_refused_and_nothing_is_lost(
    web, alice, letter, case
):
    form = {"action": "send", "subject": "Inquiry", "body": "Dear VA,\n\nTyped just now.",
            "addressee": letter.addressee}  # fmt: skip
    response = web(alice).post(letter_url(letter), form)
    html = response.content.decode()
    assert response.status_code == 409
    assert "needs the constituent&#x27;s privacy release" in html
    assert "Typed just now.</textarea>" in html
    letter.refresh_from_db()
    assert (letter.sent_at, letter.body) == (None, "Dear VA,\n\nTyped just now.")

    give_release(case)
    response = web(alice).post(letter_url(letter), form)
    assert response.status_code == 302
    letter.refresh_from_db()
    assert letter.sent_at is not None


def test_a_sent_letter_is_shown_as_sent_and_stays_printable(web, alice, case, standard):
    letter = services.draft_letter(case, by=alice, template=standard["update"])
    services.send_letter(letter, by=alice)
    client = web(alice)
    html = client.get(letter_url(letter)).content.decode()
    assert "A sent letter is kept as it was sent." in html
    assert 'value="send"' not in html
    assert 'value="delete"' not in html
    assert client.get(letter_url(letter, "print")).status_code == 200
    assert client.get(letter_url(letter, "docx")).status_code == 200
    response = client.post(letter_url(letter), {"action": "delete"})
    assert response.status_code == 302
    assert CaseLetter.objects.filter(pk=letter.pk).exists()


def test_a_draft_is_deleted(web, alice, letter, case):
    response = web(alice).post(letter_url(letter), {"action": "delete"})
    assert response.status_code == 302
    assert response["Location"] == reverse("casework:case-detail", args=[case.pk]) + "#letters"
    assert CaseLetter.objects.count() == 0


def test_the_print_page_is_the_letter_alone(web, alice, letter, ward1):
    ward1.address = "1350 Pennsylvania Ave NW\nWashington, DC 20004"
    ward1.save()
    response = web(alice).get(letter_url(letter, "print"))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<p class="letterhead-name">Ward 1 — Council Member Reyes</p>' in html
    assert "1350 Pennsylvania Ave NW<br>Washington, DC 20004" in html
    assert "Department of Veterans Affairs<br>810 Vermont Ave NW<br>Washington, DC 20420" in html
    assert '<p class="letter-re">Re: Inquiry on behalf of John Smith (C-1)</p>' in html
    assert "<p>Dear Sir or Madam,</p>" in html
    assert "navbar" not in html
    assert "casework/letters.css" in html


def test_the_letter_is_escaped_on_the_page(web, alice, letter):
    services.update_letter(
        letter, by=alice, subject="<i>Claim</i>", body="<script>alert(1)</script>\n\nBye",
        addressee="<b>VA</b>",
    )  # fmt: skip
    for page in ("print", "detail"):
        html = web(alice).get(letter_url(letter, page)).content.decode()
        assert "<script>alert(1)</script>" not in html
        assert "<b>VA</b>" not in html
        assert "<i>Claim</i>" not in html
    html = web(alice).get(letter_url(letter, "print")).content.decode()
    assert "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>" in html
    assert "&lt;b&gt;VA&lt;/b&gt;" in html


def test_the_docx_downloads_with_the_reference_in_its_name(web, alice, letter):
    response = web(alice).get(letter_url(letter, "docx"))
    assert response.status_code == 200
    assert response["Content-Type"] == services.DOCX_CONTENT_TYPE
    assert response["Content-Disposition"] == f'attachment; filename="C-1-letter-{letter.pk}.docx"'
    text = [p.text for p in Document(io.BytesIO(response.content)).paragraphs]
    assert "Re: Inquiry on behalf of John Smith (C-1)" in text


def test_looking_at_a_letter_is_audited_as_viewing_the_case(web, alice, letter, case):
    web(alice).get(letter_url(letter, "print"))
    assert AuditEvent.objects.filter(action="case.viewed", object_id=str(case.pk)).count() == 1


def test_a_letter_of_another_case_is_404(web, alice, letter, ward1, john, housing):
    other = services.open_case(ward1, by=alice, person=john, case_type=housing, subject="Leak")
    client = web(alice)
    for page in ("detail", "print", "docx"):
        url = reverse(f"casework:case-letter-{page}", args=[other.pk, letter.pk])
        assert client.get(url).status_code == 404
    url = reverse("casework:case-letter-detail", args=[other.pk, letter.pk])
    assert client.post(url, {"action": "delete"}).status_code == 404
    assert CaseLetter.objects.filter(pk=letter.pk).exists()


def test_another_office_gets_404_on_every_case_page(web, carol, case, letter):
    client = web(carol)
    for name, url in case_urls(case, letter).items():
        assert client.get(url).status_code == (405 if name == "new" else 404), name
        assert client.post(url, {"action": "delete", "template": letter.template_id}).status_code == 404, name  # fmt: skip
    assert CaseLetter.objects.filter(pk=letter.pk).exists()
    assert (CaseEmail.objects.count(), len(mail.outbox)) == (0, 0)


def test_a_volunteer_gets_403_on_every_case_page(web, victor, case, letter):
    client = web(victor)
    for name, url in case_urls(case, letter).items():
        assert client.get(url).status_code == (405 if name == "new" else 403), name
        assert client.post(url, {"action": "delete"}).status_code == 403, name
    assert CaseLetter.objects.filter(pk=letter.pk).exists()


def test_a_viewer_reads_letters_but_changes_none(web, ward1, case, letter):
    vera = make_member(ward1, "vera@ward1.example", Role.VIEWER, "Vera Viewer")
    client = web(vera)
    html = client.get(letter_url(letter)).content.decode()
    assert "Inquiry on behalf of John Smith" in html
    assert 'value="send"' not in html
    assert client.post(letter_url(letter), {"action": "delete"}).status_code == 403
    assert client.get(reverse("casework:case-email", args=[case.pk])).status_code == 403
    assert CaseLetter.objects.filter(pk=letter.pk).exists()


# ---------------------------------------------------------------- email from a case


def test_the_email_form_starts_with_the_agencys_address(web, alice, case):
    html = web(alice).get(reverse("casework:case-email", args=[case.pk])).content.decode()
    assert 'name="to" value="inquiries@va.example.gov"' in html
    assert 'data-constituent-email="john.smith@example.org"' in html


def test_an_email_is_sent_from_the_case(web, alice, case):
    response = web(alice).post(reverse("casework:case-email", args=[case.pk]), {
        "recipient": "constituent", "to": "john.smith@example.org", "subject": "Your claim",
        "body": "We wrote to the VA today.",
    })  # fmt: skip
    assert response.status_code == 302
    assert response["Location"] == reverse("casework:case-detail", args=[case.pk]) + "#letters"
    assert [m.subject for m in mail.outbox] == ["[C-1] Your claim"]
    assert CaseEmail.objects.get().body == "We wrote to the VA today."


def test_a_refused_email_says_why_and_keeps_what_was_typed(web, alice, case):
    response = web(alice).post(reverse("casework:case-email", args=[case.pk]), {
        "recipient": "constituent", "to": "john.smith@", "subject": "Your claim",
        "body": "Typed with care.",
    })  # fmt: skip
    html = response.content.decode()
    assert response.status_code == 409
    assert "“john.smith@” is not a valid email address." in html
    assert "Typed with care.</textarea>" in html
    assert (CaseEmail.objects.count(), len(mail.outbox)) == (0, 0)


# ---------------------------------------------------------------- the case page's panel


def test_the_case_page_lists_letters_and_emails_and_offers_to_write(web, alice, case, letter):
    services.send_case_email(case, by=alice, to="john.smith@example.org", subject="Hello",
                             body="Hi John.", recipient="constituent")  # fmt: skip
    html = web(alice).get(reverse("casework:case-detail", args=[case.pk])).content.decode()
    assert "Letters and emails" in html
    assert f'href="{letter_url(letter)}">Inquiry on behalf of John Smith</a>' in html
    assert "[C-1] Hello" in html
    assert "Write a letter" in html
    assert "Send an email" in html
    assert "Constituent update (the constituent)" in html


def test_the_case_page_of_a_new_office_gets_the_standard_letters(web, alice, case, ward1):
    html = web(alice).get(reverse("casework:case-detail", args=[case.pk])).content.decode()
    assert "Agency inquiry (the agency)" in html
    assert LetterTemplate.objects.filter(office=ward1).count() == 2
