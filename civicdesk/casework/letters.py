"""The letter merge engine: `{{ constituent.full_name }}` in a template becomes the value for
one case. The fields come from a fixed list and are replaced in one pass, so staff-written
templates never reach the Django template engine, an object's attributes or another record.

A rendered letter is plain text, paragraphs separated by blank lines; the printable page
(which escapes it) and the .docx file lay it out the same way, from `letter_layout`."""

import datetime as dt
import difflib
import re
import zoneinfo
from dataclasses import dataclass

from django.utils import dateformat, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicdesk.accounts.models import Membership, Office
from civicdesk.constituents.models import Address, Organization, Person
from civicdesk.constituents.validation import format_phone

from .errors import CaseRefused
from .models import Case, CaseLetter, LetterRecipient

# `{{ name }}`, spaces inside the braces optional. Anything between the braces is a field name
# to look up in MERGE_FIELDS; there are no filters, tags or attribute paths.
FIELD = re.compile(r"\{\{\s*(?P<name>[^{}]*?)\s*\}\}")


class MergeFieldError(CaseRefused):
    """A template or letter names a merge field that does not exist, or is not written like one.
    `part` says where: "subject" or "body"."""

    code = "unknown_merge_field"

    def __init__(self, message: str, *, part: str):
        super().__init__(message, details={"part": part})
        self.part = part


@dataclass(frozen=True)
class MergeField:
    group: str
    name: str
    description: str | Promise

    @property
    def tag(self) -> str:
        """How it is written in a template: "{{ case.reference }}"."""
        return _tag(self.name)


def _tag(name: str) -> str:
    return "{{ " + name + " }}"


GROUPS = {
    "constituent": gettext_lazy("The constituent"),
    "case": gettext_lazy("The case"),
    "agency": gettext_lazy("The agency"),
    "staff": gettext_lazy("You (the staff member writing)"),
    "office": gettext_lazy("The office"),
    "today": gettext_lazy("Dates"),
}

_FIELDS: tuple[tuple[str, str | Promise], ...] = (
    (
        "constituent.full_name",
        gettext_lazy("Full name with prefix and suffix: “Mr. John A. Smith Jr.”"),
    ),
    ("constituent.first_name", gettext_lazy("First name, or the name they prefer to be called")),
    ("constituent.last_name", gettext_lazy("Last name")),
    ("constituent.salutation", gettext_lazy("Their salutation, else “Dear <prefix> <last name>”")),
    ("constituent.address", gettext_lazy("Primary postal address, on several lines")),
    ("constituent.address_line", gettext_lazy("Primary postal address, on one line")),
    ("constituent.email", gettext_lazy("Primary email address")),
    ("constituent.phone", gettext_lazy("Primary phone number")),
    ("case.reference", gettext_lazy("The case reference: “C-1042”")),
    ("case.subject", gettext_lazy("The case's subject")),
    ("case.type", gettext_lazy("The kind of case: “Veterans benefits”")),
    ("case.status", gettext_lazy("Where the case stands: “Waiting on agency”")),
    ("case.opened_on", gettext_lazy("The date the case was opened")),
    ("case.agency_reference", gettext_lazy("The agency's own reference for the case")),
    ("agency.name", gettext_lazy("The case's agency")),
    ("agency.address", gettext_lazy("The agency's postal address, on several lines")),
    ("agency.contact_name", gettext_lazy("The case's contact at the agency")),
    ("agency.salutation", gettext_lazy("“Dear <contact>”, else “Dear Sir or Madam”")),
    ("staff.full_name", gettext_lazy("Your name")),
    ("staff.email", gettext_lazy("Your email address")),
    ("staff.title", gettext_lazy("Your role in the office: “Caseworker”")),
    ("office.name", gettext_lazy("The office's name")),
    ("office.address", gettext_lazy("The office's postal address, on several lines")),
    ("office.jurisdiction", gettext_lazy("The office's jurisdiction: “Ward 1”")),
    ("today", gettext_lazy("Today's date: “March 4, 2026”")),
)
FIELD_NAMES = frozenset(name for name, _description in _FIELDS)


def merge_fields() -> list[MergeField]:
    """Every merge field with what it holds, in the order the template editor lists them."""
    return [
        MergeField(group=str(GROUPS[name.partition(".")[0]]), name=name, description=description)
        for name, description in _FIELDS
    ]


# ---------------------------------------------------------------- checking and rendering


def clean_text(text: str) -> str:
    """Newlines made "\\n", spaces at line ends dropped, at most one blank line in a row."""
    lines = [line.rstrip() for line in (text or "").replace("\r\n", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines).replace("\r", "\n")).strip()


def check_merge_fields(text: str, *, part: str) -> None:
    """Refuse (MergeFieldError, naming it) a field that does not exist, a "{{" left open and
    Django template tags, which letters do not run."""
    unknown = [m["name"] for m in FIELD.finditer(text or "") if m["name"] not in FIELD_NAMES]
    if unknown:
        names = list(dict.fromkeys(unknown))
        if len(names) == 1:
            message = _("“%(field)s” is not a merge field.") % {"field": _tag(names[0])}
            close = difflib.get_close_matches(names[0], FIELD_NAMES, n=1, cutoff=0.6)
            if close:
                message += " " + _("Did you mean “%(field)s”?") % {"field": _tag(close[0])}
        else:
            listed = ", ".join(_tag(name) for name in names)
            message = _("These are not merge fields: %(fields)s.") % {"fields": listed}
        raise MergeFieldError(
            message + " " + _("The fields you can use are listed beside the editor."), part=part
        )
    rest = FIELD.sub("", text or "")
    if "{%" in rest:
        raise MergeFieldError(
            _(
                "Letters take merge fields only, like {{ case.reference }}: “{% … %}” "
                "instructions are not supported."
            ),
            part=part,
        )
    if "{{" in rest or "}}" in rest:
        raise MergeFieldError(
            _(
                "A merge field is not closed: write it as {{ case.reference }}, with two braces "
                "on each side."
            ),
            part=part,
        )


def render(text: str, values: dict[str, str], *, part: str) -> str:
    """The text with its merge fields replaced. One pass: a value that itself looks like a
    merge field (a name typed as "{{ office.name }}") is left as it is."""
    check_merge_fields(text, part=part)
    return clean_text(FIELD.sub(lambda m: values.get(m["name"], ""), clean_text(text)))


def paragraphs(text: str) -> list[list[str]]:
    """The letter's paragraphs (split at blank lines), each a list of its lines."""
    blocks = re.split(r"\n\s*\n", clean_text(text))
    return [block.split("\n") for block in blocks if block.strip()]


# ---------------------------------------------------------------- the values for a case


def office_today(office: Office) -> dt.date:
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(office.time_zone))


def long_date(day: dt.date) -> str:
    return dateformat.format(day, "F j, Y")


def address_lines(address: Address | None) -> list[str]:
    """A postal address as it is written on an envelope."""
    if address is None:
        return []
    place = ", ".join(part for part in (address.city, address.region) if part)
    place = " ".join(part for part in (place, address.postcode) if part)
    country = address.country if address.country and address.country != "US" else ""
    return [line for line in (address.line1, address.line2, place, country) if line]


def primary_address(person: Person) -> Address | None:
    return person.addresses.order_by("-is_primary", "id").first()


def primary_email(person: Person) -> str:
    """The address mail may go to: the primary one unless it bounced."""
    found = person.emails.filter(is_held=False).order_by("-is_primary", "id").first()
    return found.email if found else ""


def _primary_phone(person: Person) -> str:
    phone = person.phones.order_by("-is_primary", "id").first()
    if phone is None:
        return ""
    number = format_phone(phone.number)
    return f"{number} x{phone.extension}" if phone.extension else number


def person_salutation(person: Person) -> str:
    if person.salutation:
        return person.salutation
    if person.prefix and person.last_name:
        return _("Dear %(name)s") % {"name": f"{person.prefix} {person.last_name}"}
    name = " ".join(part for part in (person.first_name, person.last_name) if part)
    return _("Dear %(name)s") % {"name": name} if name else _("Dear Friend")


def _contact_salutation(contact: Person | None) -> str:
    if contact is None:
        return _("Dear Sir or Madam")
    return person_salutation(contact)


def _agency_lines(agency: Organization | None) -> list[str]:
    if agency is None:
        return []
    return [line.strip() for line in agency.address.splitlines() if line.strip()]


def letter_staff(case: Case, by: Membership | None) -> Membership | None:
    """Who signs: the person writing, or for the system, the case's assignee."""
    return by if by is not None else case.assignee


def merge_values(case: Case, *, by: Membership | None) -> dict[str, str]:
    """The value of every merge field for `case`, written by `by`."""
    person, agency, office = case.primary_person, case.agency, case.office
    zone = zoneinfo.ZoneInfo(office.time_zone)
    address = primary_address(person)
    staff = letter_staff(case, by)
    values = {
        "constituent.full_name": person.full_name,
        "constituent.first_name": person.preferred_name or person.first_name,
        "constituent.last_name": person.last_name,
        "constituent.salutation": person_salutation(person),
        "constituent.address": "\n".join(address_lines(address)),
        "constituent.address_line": ", ".join(address_lines(address)),
        "constituent.email": primary_email(person),
        "constituent.phone": _primary_phone(person),
        "case.reference": case.reference,
        "case.subject": case.subject,
        "case.type": case.case_type.name,
        "case.status": str(case.get_status_display()),
        "case.opened_on": long_date(timezone.localtime(case.opened_at, zone).date()),
        "case.agency_reference": case.agency_reference,
        "agency.name": agency.name if agency else "",
        "agency.address": "\n".join(_agency_lines(agency)),
        "agency.contact_name": case.agency_contact.full_name if case.agency_contact else "",
        "agency.salutation": _contact_salutation(case.agency_contact),
        "staff.full_name": staff.user.display_name if staff else "",
        "staff.email": staff.user.email if staff else "",
        "staff.title": str(staff.get_role_display()) if staff else "",
        "office.name": office.name,
        "office.address": office.address.strip(),
        "office.jurisdiction": office.jurisdiction,
        "today": long_date(office_today(office)),
    }
    assert values.keys() == FIELD_NAMES  # a field listed without a value is a bug
    return values


def addressee_block(case: Case, recipient: str) -> str:
    """Name and postal address of whom the letter goes to: the agency (and the case's contact
    there) or the constituent at their primary address."""
    if recipient == LetterRecipient.AGENCY:
        agency = case.agency
        lines = [case.agency_contact.full_name] if case.agency_contact else []
        lines += [agency.name, *_agency_lines(agency)] if agency else []
    else:
        person = case.primary_person
        lines = [person.full_name, *address_lines(primary_address(person))]
    return "\n".join(line for line in lines if line)


# ---------------------------------------------------------------- laying a letter out


@dataclass(frozen=True)
class LetterLayout:
    """What a printed letter shows, top to bottom; the print page and the .docx both use it."""

    office_name: str
    office_lines: list[str]
    date_text: str
    addressee_lines: list[str]
    re_line: str
    paragraphs: list[list[str]]
    closing: str
    signature_lines: list[str]


def letter_date(letter: CaseLetter) -> dt.date:
    """The day it was sent; a draft carries today's date."""
    office = letter.office
    if letter.sent_at is None:
        return office_today(office)
    return timezone.localtime(letter.sent_at, zoneinfo.ZoneInfo(office.time_zone)).date()


def _re_line(subject: str, reference: str) -> str:
    if re.search(rf"\b{re.escape(reference)}\b", subject):  # "Your case C-12": said once
        return _("Re: %(subject)s") % {"subject": subject}
    return _("Re: %(subject)s (%(reference)s)") % {"subject": subject, "reference": reference}


def letter_layout(letter: CaseLetter) -> LetterLayout:
    office, case = letter.office, letter.case
    staff = letter_staff(case, letter.by)
    signature = [staff.user.display_name, str(staff.get_role_display())] if staff else []
    return LetterLayout(
        office_name=office.name,
        office_lines=[line.strip() for line in office.address.splitlines() if line.strip()],
        date_text=long_date(letter_date(letter)),
        addressee_lines=[line for line in clean_text(letter.addressee).split("\n") if line],
        re_line=_re_line(letter.subject, case.reference),
        paragraphs=paragraphs(letter.body),
        closing=_("Sincerely,"),
        signature_lines=[*signature, office.name],
    )
