"""8A (the code table) becomes tags of the office's vocabulary; 8C (the form-letter library)
becomes casework's letter templates, their text read from the export's documents/ folder."""

import io
import re

from django.db import IntegrityError, transaction

from civicdesk.casework.letters import MergeFieldError, check_merge_fields, clean_text
from civicdesk.casework.models import LetterKind, LetterRecipient, LetterTemplate
from civicdesk.interchange.layout import parse_flag

from . import Result, handler

SUBJECT_LINE = re.compile(r"\ASubject:[ \t]*(?P<subject>[^\n]*)\n+")
LETTER_TEXT_LIMIT = 200_000  # characters: a letter, not a book


@handler("8A")
def code(context, record) -> Result:
    """A code of the table: the office's tag of the same name, else a new tag under
    "CMS codes". An inactive code is said so in the tag's description (not deprecated: the
    tag still names what old records were about)."""
    fields = record.fields
    code_type, value = fields.get("Code Type", ""), fields.get("Code", "")
    if not value:
        return Result.skipped("no code")
    existing = context.live_tag(context.linked("8A", record.key))
    if existing is not None:
        return Result.imported(existing)
    name = " ".join(str(fields.get("Code Description", "")).split()) or value
    description = f"House CMS code {code_type} {value}".replace("  ", " ")
    if parse_flag(fields.get("Inactive Flag", "")):
        description += " (inactive in the CMS)"
    tag = context.make_tag(name, description)
    context.code_linked(value, tag)
    context.touched_tags.add(tag.pk)
    return Result.imported(tag)


def read_letter(record) -> str:
    """The text of a form letter's file: plain text (UTF-8 or Windows-1252) or .docx."""
    if not record.document:
        return ""
    with record.document.open("rb") as handle:
        content = handle.read(LETTER_TEXT_LIMIT * 4)
    if content.startswith(b"PK\x03\x04"):
        import docx  # python-docx, as casework's letters use

        try:
            document = docx.Document(io.BytesIO(content))
        except Exception:  # a damaged or unusual file: no text rather than a failed import
            return ""
        return "\n\n".join(paragraph.text for paragraph in document.paragraphs)
    if b"\x00" in content[:8192]:
        return ""  # a binary format (.doc, .pdf): its text cannot be read here
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


def _safe_merge_fields(text: str, part: str) -> tuple[str, bool]:
    """The text, with "{{" and "}}" spaced apart when it holds merge fields CivicDesk does not
    know (a CMS's own), so that drafting a letter from it never fails."""
    try:
        check_merge_fields(text, part=part)
    except MergeFieldError:
        return text.replace("{{", "{ {").replace("}}", "} }"), True
    return text, False


@handler("8C")
def form_letter(context, record) -> Result:
    """A letter of the library: name from its description, text from its document. A text
    starting "Subject: ..." gives the letter's subject (CivicDesk's exports write it so)."""
    fields = record.fields
    letter_code = str(fields.get("Letter Code", ""))
    if not letter_code:
        return Result.skipped("no letter code")
    name = " ".join(str(fields.get("Letter Description", "")).split())[:100] or letter_code
    text = clean_text(read_letter(record))[:LETTER_TEXT_LIMIT]
    subject = name
    if match := SUBJECT_LINE.match(text):
        subject = " ".join(match["subject"].split())[:200] or name
        text = text[match.end() :]
    if not text:
        document = fields.get("Document Name", "") or "(none named)"
        context.odd("letter text missing", f"the text of letter {letter_code} ({document}) "
                    "could not be read: the template says so")  # fmt: skip
        text = f"(The text of this letter was not in the House CMS export: {document}.)"
    subject, changed = _safe_merge_fields(subject, "subject")
    text, changed_body = _safe_merge_fields(text, "body")
    if changed or changed_body:
        context.odd(
            "merge fields", f"letter {letter_code} uses merge fields of its CMS: kept as text"
        )
    values = {
        "subject": subject,
        "body": text,
        "is_active": not parse_flag(fields.get("Archive Flag", "")),
    }
    template = context.linked_object(LetterTemplate, "8C", record.key)
    if template is None:
        same = LetterTemplate.objects.for_office(context.office).filter(name__iexact=name).first()
        if same is not None and (same.subject, same.body) == (subject, text):
            return Result.imported(same)  # the letter is already in the library
        if same is not None:
            name = f"{name[:80]} (CMS {letter_code})"[:100]
        try:
            with transaction.atomic():
                template = LetterTemplate.objects.create(
                    office=context.office,
                    name=name,
                    kind=LetterKind.OTHER,
                    recipient=LetterRecipient.CONSTITUENT,
                    **values,
                )
        except IntegrityError:
            return Result.skipped(f"a letter named “{name}” is already in the library")
        return Result.imported(template)
    for attribute, value in values.items():
        setattr(template, attribute, value)
    template.save()
    return Result.imported(template)
