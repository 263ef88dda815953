"""The letter library and letters on a case, through the services: merge fields (the list, the
values, refusals), drafting, editing, sending (the privacy release rule for agency letters) and
the .docx file."""

import datetime as dt
import io

import pytest
from django.utils import dateformat, timezone
from docx import Document

from civicdesk.audit.models import AuditEvent
from civicdesk.casework import services
from civicdesk.casework.errors import CaseRefused, PrivacyReleaseRequired
from civicdesk.casework.letters import (
    FIELD_NAMES,
    MergeFieldError,
    letter_layout,
    merge_fields,
    merge_values,
    render,
)
from civicdesk.casework.models import (
    ActionKind,
    CaseAction,
    CaseLetter,
    LetterTemplate,
    PrivacyRelease,
    ReleaseMethod,
)
from civicdesk.constituents.models import Interaction, Person
from civicdesk.core.errors import NotAllowed

TODAY = dateformat.format(timezone.localdate(), "F j, Y")


def give_release(case) -> PrivacyRelease:
    return PrivacyRelease.objects.create(
        office=case.office, case=case, person=case.primary_person, agency=case.agency,
        method=ReleaseMethod.E_SIGNATURE, signed_name="John Smith",
        signed_on=timezone.localdate(), expires_on=timezone.localdate() + dt.timedelta(days=365),
    )  # fmt: skip


@pytest.fixture
def standard(ward1) -> dict[str, LetterTemplate]:
    inquiry, update = services.ensure_standard_letters(ward1)
    return {"inquiry": inquiry, "update": update}


def save(office, by, **overrides) -> LetterTemplate:
    values = {
        "name": "Follow-up", "kind": "other", "recipient": "constituent",
        "subject": "Your case {{ case.reference }}", "body": "{{ constituent.salutation }},",
    } | overrides  # fmt: skip
    return services.save_letter_template(office, by=by, **values)


# ---------------------------------------------------------------- merge fields


def test_every_merge_field_is_listed_with_a_description():
    fields = merge_fields()
    assert {f.name for f in fields} == FIELD_NAMES
    assert all(str(f.description) for f in fields)
    assert fields[0].tag == "{{ constituent.full_name }}"
    assert [f.group for f in fields if f.name == "staff.email"] == [
        "You (the staff member writing)"
    ]


def test_a_template_with_an_unknown_field_is_refused_naming_it(ward1, manny):
    with pytest.raises(MergeFieldError) as refused:
        save(ward1, manny, body="Dear {{ constituent.fullname }},")
    assert refused.value.message == (
        "“{{ constituent.fullname }}” is not a merge field. Did you mean "
        "“{{ constituent.full_name }}”? The fields you can use are listed beside the editor."
    )
    assert refused.value.part == "body"
    assert LetterTemplate.objects.count() == 0


def test_several_unknown_fields_are_named_together(ward1, manny):
    with pytest.raises(MergeFieldError) as refused:
        save(ward1, manny, subject="{{ user.password }} {{ case.secret }}")
    assert refused.value.message.startswith(
        "These are not merge fields: {{ user.password }}, {{ case.secret }}."
    )
    assert refused.value.part == "subject"


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("{% if case.reference %}yes{% endif %}", "instructions are not supported"),
        ("Dear {{ constituent.full_name }", "A merge field is not closed"),
    ],
)
def test_template_tags_and_open_braces_are_refused(ward1, manny, body, says):
    with pytest.raises(MergeFieldError) as refused:
        save(ward1, manny, body=body)
    assert says in refused.value.message
    assert LetterTemplate.objects.count() == 0


def test_the_values_come_from_the_case_the_office_and_the_writer(case, alice, ward1):
    values = merge_values(case, by=alice)
    assert {k: values[k] for k in (
        "constituent.full_name", "constituent.first_name", "constituent.salutation",
        "constituent.address", "constituent.address_line", "constituent.email",
        "constituent.phone", "case.reference", "case.subject", "case.type", "case.status",
        "case.opened_on", "agency.name", "agency.address", "agency.salutation",
        "staff.full_name", "staff.email", "staff.title", "office.name", "today",
    )} == {
        "constituent.full_name": "John Smith",
        "constituent.first_name": "John",
        "constituent.salutation": "Dear John Smith",
        "constituent.address": "1420 U Street NW\nWashington, DC 20009",
        "constituent.address_line": "1420 U Street NW, Washington, DC 20009",
        "constituent.email": "john.smith@example.org",
        "constituent.phone": "(202) 555-0147",
        "case.reference": "C-1",
        "case.subject": "Disability claim delayed",
        "case.type": "Veterans benefits",
        "case.status": "Open",
        "case.opened_on": TODAY,
        "agency.name": "Department of Veterans Affairs",
        "agency.address": "810 Vermont Ave NW\nWashington, DC 20420",
        "agency.salutation": "Dear Sir or Madam",
        "staff.full_name": "Alice Alvarez",
        "staff.email": "alice@ward1.example",
        "staff.title": "Caseworker",
        "office.name": "Ward 1 — Council Member Reyes",
        "today": TODAY,
    }  # fmt: skip


def test_the_salutation_is_the_persons_own_else_prefix_and_last_name(case, alice, john):
    Person.objects.filter(pk=john.pk).update(prefix="Mr.")
    case.primary_person.refresh_from_db()
    assert merge_values(case, by=alice)["constituent.salutation"] == "Dear Mr. Smith"
    Person.objects.filter(pk=john.pk).update(salutation="Dear Johnny")
    case.primary_person.refresh_from_db()
    assert merge_values(case, by=alice)["constituent.salutation"] == "Dear Johnny"


def test_a_value_that_looks_like_a_merge_field_is_not_merged_again(case, alice):
    values = merge_values(case, by=alice) | {"case.subject": "{{ staff.email }}"}
    assert render("Re {{ case.subject }}", values, part="body") == "Re {{ staff.email }}"


# ---------------------------------------------------------------- the library


def test_only_managers_keep_the_library(ward1, alice):
    with pytest.raises(NotAllowed):
        save(ward1, alice)
    assert LetterTemplate.objects.count() == 0


def test_a_second_letter_of_the_same_name_is_refused(ward1, manny):
    save(ward1, manny)
    with pytest.raises(CaseRefused, match="already a letter called “follow-up”"):
        save(ward1, manny, name="follow-up")
    assert LetterTemplate.objects.count() == 1


def test_changing_a_letter_is_audited_without_its_text(ward1, manny):
    template = save(ward1, manny)
    save(ward1, manny, template=template, name="Follow-up letter", body="Hello {{ today }}")
    template.refresh_from_db()
    assert (template.name, template.body) == ("Follow-up letter", "Hello {{ today }}")
    event = AuditEvent.objects.get(action="lettertemplate.changed")
    assert event.changes == {"name": ["Follow-up", "Follow-up letter"], "body": [None, "changed"]}


def test_the_standard_letters_are_made_once(ward1):
    first = services.ensure_standard_letters(ward1)
    again = services.ensure_standard_letters(ward1)
    assert [t.pk for t in first] == [t.pk for t in again]
    assert list(LetterTemplate.objects.values_list("name", "kind", "recipient")) == [
        ("Agency inquiry", "agency_inquiry", "agency"),
        ("Constituent update", "constituent_update", "constituent"),
    ]


# ---------------------------------------------------------------- letters on a case


def test_a_draft_agency_inquiry_is_filled_in_for_the_case(case, alice, standard):
    letter = services.draft_letter(case, by=alice, template=standard["inquiry"])
    assert letter.sent_at is None
    assert letter.subject == "Inquiry on behalf of John Smith"
    assert letter.addressee == "Department of Veterans Affairs\n810 Vermont Ave NW\nWashington, DC 20420"  # fmt: skip
    assert letter.body.startswith(
        "Dear Sir or Madam,\n\nI am writing on behalf of my constituent, John Smith, of 1420 U "
        "Street NW, Washington, DC 20009, who has asked this office for help with the following "
        "matter: Disability claim delayed.\n\n"
    )
    assert letter.body.endswith(
        "Please direct your reply to Alice Alvarez at alice@ward1.example, or write to Ward 1 — "
        "Council Member Reyes at the address above, quoting our reference C-1."
    )
    assert "{{" not in letter.body


def test_a_constituent_update_is_addressed_to_the_constituent(case, alice, standard):
    letter = services.draft_letter(case, by=alice, template=standard["update"])
    assert letter.addressee == "John Smith\n1420 U Street NW\nWashington, DC 20009"
    assert letter.subject == "An update on your case"
    assert letter.body.startswith(
        "Dear John Smith,\n\nThank you for contacting Ward 1 — Council Member Reyes about your "
        "case, “Disability claim delayed”. I am writing"
    )


def test_an_agency_letter_needs_the_case_to_have_an_agency(ward1, alice, john, housing, standard):
    case = services.open_case(ward1, by=alice, person=john, case_type=housing, subject="Leak")
    with pytest.raises(CaseRefused, match="no agency to write to"):
        services.draft_letter(case, by=alice, template=standard["inquiry"])
    assert CaseLetter.objects.count() == 0


def test_a_volunteer_cannot_draft_a_letter(case, victor, standard):
    with pytest.raises(NotAllowed):
        services.draft_letter(case, by=victor, template=standard["update"])
    assert CaseLetter.objects.count() == 0


def test_editing_a_draft_fills_in_merge_fields_typed_into_it(case, alice, standard):
    letter = services.draft_letter(case, by=alice, template=standard["update"])
    letter = services.update_letter(
        letter, by=alice, subject="Case {{ case.reference }}", body="Hello.\r\n\r\nBye.",
        addressee="John Smith\nPO Box 1",
    )  # fmt: skip
    letter.refresh_from_db()
    assert (letter.subject, letter.body, letter.addressee) == (
        "Case C-1", "Hello.\n\nBye.", "John Smith\nPO Box 1",
    )  # fmt: skip
    event = AuditEvent.objects.get(action="case.letter_changed")
    assert event.changes["fields"] == [None, ["addressee", "body", "subject"]]


def test_the_re_line_names_the_case_once(case, alice, standard):
    letter = services.draft_letter(case, by=alice, template=standard["update"])
    assert letter_layout(letter).re_line == "Re: An update on your case (C-1)"
    letter = services.update_letter(
        letter, by=alice, subject="Your case C-1", body="Hello.", addressee=""
    )
    assert letter_layout(letter).re_line == "Re: Your case C-1"


def test_an_agency_letter_on_a_veterans_case_waits_for_the_release(case, alice, standard):
    letter = services.draft_letter(case, by=alice, template=standard["inquiry"])
    with pytest.raises(PrivacyReleaseRequired):
        services.send_letter(letter, by=alice)
    letter.refresh_from_db()
    assert letter.sent_at is None
    assert not CaseAction.objects.filter(kind=ActionKind.AGENCY_INQUIRY).exists()

    give_release(case)
    letter = services.send_letter(letter, by=alice)

    assert letter.sent_at is not None
    action = CaseAction.objects.get(kind=ActionKind.AGENCY_INQUIRY)
    assert (action.subject, action.is_public, action.details, action.by) == (
        "Letter to Department of Veterans Affairs: Inquiry on behalf of John Smith",
        False, {"letter_id": letter.pk}, alice,
    )  # fmt: skip
    assert not Interaction.objects.filter(kind="letter").exists()
    assert AuditEvent.objects.get(action="case.letter_sent").changes == {
        "letter": [None, {"id": letter.pk, "recipient": "agency"}]
    }


def test_a_letter_to_the_constituent_goes_on_their_timeline(case, alice, john, standard):
    letter = services.draft_letter(case, by=alice, template=standard["update"])
    services.send_letter(letter, by=alice)
    action = CaseAction.objects.get(kind=ActionKind.LETTER)
    assert (action.is_public, action.details) == (True, {"letter_id": letter.pk})
    entry = Interaction.objects.get(person=john, kind="letter")
    assert (entry.direction, entry.subject, entry.source_type, entry.source_id) == (
        "out", "Letter on case C-1: An update on your case", "casework.case", str(case.pk),
    )  # fmt: skip


def test_a_sent_letter_is_kept_as_it_was_sent(case, alice, standard):
    letter = services.draft_letter(case, by=alice, template=standard["update"])
    services.send_letter(letter, by=alice)
    with pytest.raises(CaseRefused, match="kept as it was sent"):
        services.update_letter(letter, by=alice, subject="Other", body="Other", addressee="")
    with pytest.raises(CaseRefused, match="kept as it was sent"):
        services.delete_draft(letter, by=alice)
    with pytest.raises(CaseRefused, match="kept as it was sent"):
        services.send_letter(letter, by=alice)
    letter.refresh_from_db()
    assert letter.subject == "An update on your case"
    assert CaseAction.objects.filter(kind=ActionKind.LETTER).count() == 1


def test_a_draft_can_be_thrown_away(case, alice, standard):
    letter = services.draft_letter(case, by=alice, template=standard["update"])
    services.delete_draft(letter, by=alice)
    assert CaseLetter.objects.count() == 0
    assert AuditEvent.objects.get(action="case.letter_deleted").changes == {
        "letter": [letter.pk, None]
    }


# ---------------------------------------------------------------- the .docx file


def test_the_docx_opens_and_holds_the_letterhead_reference_and_text(case, alice, standard, ward1):
    ward1.address = "1350 Pennsylvania Ave NW\nWashington, DC 20004"
    ward1.save()
    letter = services.draft_letter(case, by=alice, template=standard["inquiry"])
    letter.refresh_from_db()
    document = Document(io.BytesIO(services.letter_docx(letter)))
    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs[:5] == [
        "Ward 1 — Council Member Reyes\n1350 Pennsylvania Ave NW\nWashington, DC 20004",
        TODAY,
        "Department of Veterans Affairs\n810 Vermont Ave NW\nWashington, DC 20420",
        "Re: Inquiry on behalf of John Smith (C-1)",
        "Dear Sir or Madam,",
    ]
    assert paragraphs[-2:] == ["Sincerely,", "Alice Alvarez\nCaseworker\nWard 1 — Council Member Reyes"]  # fmt: skip
    assert [p for p in paragraphs if p.startswith("I am writing")] == [letter.body.split("\n\n")[1]]
