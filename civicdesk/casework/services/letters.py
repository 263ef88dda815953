"""Letters: the office's letter library (templates with merge fields, see casework/letters.py)
and the letters made from it on a case, from draft to sent, printed or downloaded as .docx.
A sent letter is kept as it was sent: it can no longer be edited or deleted."""

import io

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicdesk import audit
from civicdesk.accounts.models import Membership, Office
from civicdesk.casework.errors import CaseRefused
from civicdesk.casework.letters import (
    MergeFieldError,
    addressee_block,
    check_merge_fields,
    clean_text,
    letter_date,
    letter_layout,
    long_date,
    merge_values,
    render,
)
from civicdesk.casework.models import (
    ActionKind,
    ActionState,
    Case,
    CaseAction,
    CaseLetter,
    LetterKind,
    LetterRecipient,
    LetterTemplate,
)
from civicdesk.constituents.models import Direction, Interaction, InteractionKind

from ._common import require, same_office, text
from .cases import CASE_INTERACTION_SOURCE, ensure_release_for_agency, touch

__all__ = [
    "DOCX_CONTENT_TYPE", "STANDARD_LETTERS", "delete_draft", "draft_letter", "ensure_standard_letters",
    "letter_docx", "save_letter_template", "send_letter", "update_letter",
]  # fmt: skip

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# The two letters every office starts its library with (name, kind, recipient, subject, body).
# Plain English a caseworker would send as it is; the draft is theirs to adjust.
STANDARD_LETTERS: tuple[tuple[str, str, str, str, str], ...] = (
    (
        "Agency inquiry",
        LetterKind.AGENCY_INQUIRY,
        LetterRecipient.AGENCY,
        "Inquiry on behalf of {{ constituent.full_name }}",
        """{{ agency.salutation }},

I am writing on behalf of my constituent, {{ constituent.full_name }}, of {{ constituent.address_line }}, who has asked this office for help with the following matter: {{ case.subject }}.

I would be grateful if you would review {{ constituent.first_name }}'s file and let me know where it stands, whether anything further is needed from my constituent, and when a decision can be expected. If your agency has its own reference for this matter, please include it in your reply.

My constituent has asked this office to make this inquiry on their behalf. A copy of their signed privacy release is available if your agency needs it before discussing the file with us.

Thank you for your attention to this request. Please direct your reply to {{ staff.full_name }} at {{ staff.email }}, or write to {{ office.name }} at the address above, quoting our reference {{ case.reference }}.""",  # noqa: E501
    ),
    (
        "Constituent update",
        LetterKind.CONSTITUENT_UPDATE,
        LetterRecipient.CONSTITUENT,
        "An update on your case",
        """{{ constituent.salutation }},

Thank you for contacting {{ office.name }} about your case, “{{ case.subject }}”. I am writing to let you know where your case stands.

Your case, reference {{ case.reference }}, was opened on {{ case.opened_on }}, and its status today is: {{ case.status }}. We continue to work on it with the agency concerned, and we will write to you again as soon as there is news.

If anything changes on your side in the meantime, such as a new address or phone number, or a letter you receive from the agency, please let us know and quote your case reference. You can reach me at {{ staff.email }}.

Thank you for your patience. It is a privilege to be of service to you.""",  # noqa: E501
    ),
)


# ---------------------------------------------------------------- the letter library


def _clean_template(name: str, kind: str, recipient: str, subject: str, body: str) -> dict:
    name, subject, body = text(name), text(subject), clean_text(body)
    if not name:
        raise CaseRefused(_("Give the letter a name."))
    if kind not in LetterKind.values:
        raise CaseRefused(_("Choose what kind of letter this is."))
    if recipient not in LetterRecipient.values:
        raise CaseRefused(_("Choose whom the letter is addressed to."))
    if not subject:
        raise CaseRefused(_("Give the letter a subject."))
    if not body:
        raise CaseRefused(_("Write the letter's text."))
    check_merge_fields(subject, part="subject")
    check_merge_fields(body, part="body")
    return {"name": name[:100], "kind": kind, "recipient": recipient,
            "subject": subject[:200], "body": body}  # fmt: skip


@transaction.atomic
def save_letter_template(
    office: Office,
    *,
    by: Membership | None,
    name: str,
    kind: str,
    recipient: str,
    subject: str,
    body: str,
    template: LetterTemplate | None = None,
    is_active: bool = True,
) -> LetterTemplate:
    """Add a letter to the office's library, or change `template`. A merge field that does not
    exist is refused (MergeFieldError, naming it): nothing is saved."""
    require(by, "letter.manage", office.pk)
    if template is not None:
        same_office(template, office.pk, _("letter"))
    values = _clean_template(name, kind, recipient, subject, body)
    clash = LetterTemplate.objects.filter(office=office, name__iexact=values["name"])
    if template is not None:
        clash = clash.exclude(pk=template.pk)
    if clash.exists():
        raise CaseRefused(
            _("There is already a letter called “%(name)s”.") % {"name": values["name"]}
        )
    values["is_active"] = bool(is_active)
    fields = (*values.keys(),)
    if template is None:
        template = LetterTemplate.objects.create(office=office, **values)
        changes = {k: [None, v] for k, v in audit.snapshot(template, fields).items() if k != "body"}
        audit.record(by, "lettertemplate.created", template, changes=changes)
        return template
    before = audit.snapshot(template, fields)
    for key, value in values.items():
        setattr(template, key, value)
    template.save()
    changes = audit.changes_between(before, audit.snapshot(template, fields))
    if "body" in changes:  # the text itself is in the template; the log says it changed
        changes["body"] = [None, _("changed")]
    if changes:
        audit.record(by, "lettertemplate.changed", template, changes=changes)
    return template


def ensure_standard_letters(office: Office) -> list[LetterTemplate]:
    """The office's agency inquiry and constituent update letters, made now if the library has
    none of that kind (nor a letter of that name). Safe to call again, and from two requests at
    once: nothing is doubled."""
    found = []
    for name, kind, recipient, subject, body in STANDARD_LETTERS:
        mine = LetterTemplate.objects.for_office(office)
        existing = (
            mine.filter(kind=kind).order_by("id").first() or mine.filter(name__iexact=name).first()
        )
        if existing is None:
            try:
                existing = save_letter_template(
                    office, by=None, name=name, kind=kind, recipient=recipient,
                    subject=subject, body=body,
                )  # fmt: skip
            except MergeFieldError:
                raise  # a standard letter naming an unknown field is a bug, not a race
            except (IntegrityError, CaseRefused):  # another request made it just now
                existing = mine.get(name__iexact=name)
        found.append(existing)
    return found


# ---------------------------------------------------------------- letters on a case


def _locked_draft(letter: CaseLetter) -> CaseLetter:
    locked = CaseLetter.objects.select_for_update().get(pk=letter.pk)
    if locked.sent_at is not None:
        raise CaseRefused(
            _(
                "This letter was sent on %(day)s and is kept as it was sent. Write a new letter "
                "instead."
            )
            % {"day": long_date(letter_date(locked))}
        )
    return locked


@transaction.atomic
def draft_letter(case: Case, *, by: Membership | None, template: LetterTemplate) -> CaseLetter:
    """A draft letter on the case from `template`, its merge fields filled in now and its
    addressee block taken from the agency or the constituent's primary address."""
    require(by, "case.edit", case.office_id)
    same_office(template, case.office_id, _("letter"))
    if not template.is_active:
        raise CaseRefused(_("The letter “%(name)s” is no longer in use.") % {"name": template})
    if template.recipient == LetterRecipient.AGENCY and case.agency_id is None:
        raise CaseRefused(
            _("This case has no agency to write to yet: choose the case's agency first.")
        )
    values = merge_values(case, by=by)
    letter = CaseLetter.objects.create(
        office_id=case.office_id,
        case=case,
        template=template,
        recipient=template.recipient,
        addressee=addressee_block(case, template.recipient),
        subject=text(render(template.subject, values, part="subject"))[:200],
        body=render(template.body, values, part="body"),
        by=by,
    )
    audit.record(by, "case.letter_drafted", case,
                 changes={"letter": [None, {"id": letter.pk, "template": template.name}]})  # fmt: skip
    return letter


@transaction.atomic
def update_letter(
    letter: CaseLetter, *, by: Membership | None, subject: str, body: str, addressee: str
) -> CaseLetter:
    """Save the edited draft. Merge fields typed into it are filled in too. A sent letter is
    refused: it is kept as it was sent."""
    require(by, "case.edit", letter.office_id)
    locked = _locked_draft(letter)
    case = locked.case
    values = merge_values(case, by=by)
    subject = text(render(subject, values, part="subject"))[:200]
    body = render(body, values, part="body")
    if not subject:
        raise CaseRefused(_("Give the letter a subject."))
    if not body:
        raise CaseRefused(_("Write the letter's text."))
    new = {"subject": subject, "body": body, "addressee": clean_text(addressee)}
    changed = sorted(name for name, value in new.items() if getattr(locked, name) != value)
    if changed:
        for name, value in new.items():
            setattr(locked, name, value)
        locked.save(update_fields=[*changed, "updated_at"])
        # Which parts changed, not their text: letters hold personal details.
        audit.record(by, "case.letter_changed", case,
                     changes={"letter": [locked.pk, locked.pk], "fields": [None, changed]})  # fmt: skip
    return locked


@transaction.atomic
def send_letter(letter: CaseLetter, *, by: Membership | None) -> CaseLetter:
    """Mark the letter sent (printed and mailed): it goes into the case's history (as an agency
    inquiry when it is to the agency) and, to the constituent, on their timeline. A case type
    that needs a privacy release refuses an agency letter without one (PrivacyReleaseRequired)."""
    require(by, "case.edit", letter.office_id)
    locked = _locked_draft(letter)
    case = Case.objects.select_related("case_type", "agency", "primary_person").get(
        pk=locked.case_id
    )
    to_agency = locked.recipient == LetterRecipient.AGENCY
    if to_agency:
        ensure_release_for_agency(case, case.agency)
    now = timezone.now()
    locked.sent_at = now
    locked.by = locked.by or by
    locked.save(update_fields=["sent_at", "by", "updated_at"])
    if to_agency:
        whom = case.agency.name if case.agency else _("the agency")
    else:
        whom = case.primary_person.display_name
    CaseAction.objects.create(
        office_id=case.office_id, case=case,
        kind=ActionKind.AGENCY_INQUIRY if to_agency else ActionKind.LETTER,
        state=ActionState.DONE,
        subject=(_("Letter to %(whom)s: %(subject)s") % {"whom": whom, "subject": locked.subject})[:200],
        is_public=not to_agency, occurred_at=now, by=by, details={"letter_id": locked.pk},
    )  # fmt: skip
    touch(case)
    if not to_agency:
        subject = _("Letter on case %(ref)s: %(subject)s")
        if case.is_sensitive:  # the timeline is seen by staff who may not see the case
            subject = _("Letter on sensitive case %(ref)s")
        Interaction.objects.create(
            office_id=case.office_id, person=case.primary_person, kind=InteractionKind.LETTER,
            direction=Direction.OUTBOUND, occurred_at=now, logged_by=by,
            subject=(subject % {"ref": case.reference, "subject": locked.subject})[:200],
            source_type=CASE_INTERACTION_SOURCE, source_id=str(case.pk),
        )  # fmt: skip
    audit.record(by, "case.letter_sent", case,
                 changes={"letter": [None, {"id": locked.pk, "recipient": locked.recipient}]})  # fmt: skip
    return locked


@transaction.atomic
def delete_draft(letter: CaseLetter, *, by: Membership | None) -> None:
    """Throw a draft away. A sent letter is refused: it stays on the case."""
    require(by, "case.edit", letter.office_id)
    locked = _locked_draft(letter)
    case, letter_id = locked.case, locked.pk
    locked.delete()
    audit.record(by, "case.letter_deleted", case, changes={"letter": [letter_id, None]})


# ---------------------------------------------------------------- the .docx file


def letter_docx(letter: CaseLetter) -> bytes:
    """The letter as a Word document: the office's letterhead, the date, the addressee, the
    "Re:" line with the case reference, the text and the signature."""
    from docx import Document  # a few MB of lxml-backed code: load it when a letter is made
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt
    from docx.text.paragraph import Paragraph

    layout = letter_layout(letter)
    document = Document()
    document.core_properties.title = layout.re_line
    document.core_properties.author = layout.office_name
    style = document.styles["Normal"]
    style.font.name = "Calibri"
    style.font.size = Pt(11)

    def lines(paragraph: Paragraph, rows: list[str]) -> None:
        for i, row in enumerate(rows):
            run = paragraph.add_run(row)
            if i < len(rows) - 1:
                run.add_break()

    head = document.add_paragraph()
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    name = head.add_run(layout.office_name)
    name.bold = True
    name.font.size = Pt(16)
    if layout.office_lines:
        name.add_break()
        lines(head, layout.office_lines)
    document.add_paragraph(layout.date_text)
    if layout.addressee_lines:
        lines(document.add_paragraph(), layout.addressee_lines)
    document.add_paragraph().add_run(layout.re_line).bold = True
    for block in layout.paragraphs:
        lines(document.add_paragraph(), block)
    document.add_paragraph(layout.closing)
    signature = document.add_paragraph()
    signature.paragraph_format.space_before = Pt(36)  # room for the pen
    lines(signature, layout.signature_lines)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
