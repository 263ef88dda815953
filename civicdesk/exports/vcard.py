"""vCard 4.0 (RFC 6350) of people: names, birthday, gender, emails, phones as tel: URIs and
postal addresses. Never the notes, the flags or anything the office wrote about the person.

Lines end with CRLF and are folded at 75 octets (section 3.2) without splitting a UTF-8
character; text values escape backslash, comma, semicolon and newlines (section 3.4)."""

import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

# The UID of a person's card is stable across exports: a name-based UUID of office and person.
UID_NAMESPACE = uuid.UUID("6f1c2f2e-3b8a-5d0e-9a51-c10dec5c0de0")
LINE_LIMIT = 75  # octets, without the CRLF
CRLF = "\r\n"

EMAIL_TYPES = {"home": "home", "work": "work"}
PHONE_TYPES = {"mobile": "cell", "home": "home,voice", "work": "work,voice", "other": "voice"}
ADDRESS_TYPES = {"home": "home", "work": "work"}
GENDER_SEX = {
    "m": "M", "male": "M", "man": "M",
    "f": "F", "female": "F", "woman": "F",
    "u": "U", "unknown": "U",
    "n": "N", "none": "N", "not applicable": "N",
}  # fmt: skip


def escape(text: Any) -> str:
    """A text value or component: backslash, comma and semicolon escaped, newlines as \\n."""
    value = str(text)
    value = value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """One content line folded into lines of at most 75 octets, joined by CRLF + space."""
    encoded = line.encode()
    if len(encoded) <= LINE_LIMIT:
        return line
    parts: list[str] = []
    start, limit = 0, LINE_LIMIT
    while start < len(encoded):
        end = min(start + limit, len(encoded))
        # Never cut inside a UTF-8 character: continuation bytes look like 0b10xxxxxx.
        while end < len(encoded) and encoded[end] & 0xC0 == 0x80:
            end -= 1
        parts.append(encoded[start:end].decode())
        start, limit = end, LINE_LIMIT - 1  # a continuation line starts with one space
    return (CRLF + " ").join(parts)


def person_uid(office_id: int, person_id: int) -> str:
    return f"urn:uuid:{uuid.uuid5(UID_NAMESPACE, f'civicdesk:{office_id}:{person_id}')}"


def _birthday(birth_date: date | None, birth_year: int | None) -> str:
    if birth_date is not None:
        return birth_date.strftime("%Y%m%d")
    return f"{birth_year:04d}" if birth_year else ""


def _gender(text: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        return ""
    sex = GENDER_SEX.get(cleaned.lower())
    return sex if sex else f"O;{escape(cleaned)}"


def _params(kind_types: dict[str, str], kind: str, is_primary: bool) -> str:
    params = ""
    if kind in kind_types:
        params += f";TYPE={kind_types[kind]}"
    if is_primary:
        params += ";PREF=1"
    return params


def _tel_uri(number: str, extension: str) -> str:
    uri = "tel:" + "".join(ch for ch in number if ch.isdigit() or ch == "+")
    if extension:
        uri += ";ext=" + "".join(ch for ch in extension if ch.isalnum())
    return uri


def _revision(updated_at: datetime | None) -> str:
    if updated_at is None:
        return ""
    return updated_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def person_lines(details: Any) -> list[str]:
    """The unfolded content lines of one person's card. `details` is a people.PersonDetails:
    the person, and their emails, phones and addresses (primary first)."""
    person = details.person
    name = person.full_name or person.display_name
    lines = [
        "BEGIN:VCARD",
        "VERSION:4.0",
        "PRODID:-//CivicDesk//Exports//EN",
        "KIND:individual",
        f"UID:{person_uid(person.office_id, person.pk)}",
        f"FN:{escape(name)}",
        "N:"
        + ";".join(
            escape(part)
            for part in (
                person.last_name,
                person.first_name,
                person.middle_name,
                person.prefix,
                person.suffix,
            )
        ),
    ]
    if person.preferred_name:
        lines.append(f"NICKNAME:{escape(person.preferred_name)}")
    if birthday := _birthday(person.birth_date, person.birth_year):
        lines.append(f"BDAY:{birthday}")
    if gender := _gender(person.gender):
        lines.append(f"GENDER:{gender}")
    if person.language:
        lines.append(f"LANG;PREF=1:{escape(person.language)}")
    for email in details.emails:
        params = _params(EMAIL_TYPES, email.kind, email.is_primary)
        lines.append(f"EMAIL{params}:{escape(email.email)}")
    for phone in details.phones:
        params = _params(PHONE_TYPES, phone.kind, phone.is_primary)
        lines.append(f"TEL;VALUE=uri{params}:{_tel_uri(phone.number, phone.extension)}")
    for address in details.addresses:
        params = _params(ADDRESS_TYPES, address.kind, address.is_primary)
        if address.latitude is not None and address.longitude is not None:
            params += f';GEO="geo:{address.latitude:.6f},{address.longitude:.6f}"'
        street = ",".join(escape(line) for line in (address.line1, address.line2) if line)
        components = (
            "",
            "",
            street,
            escape(address.city),
            escape(address.region),
            escape(address.postcode),
            escape(address.country),
        )
        lines.append(f"ADR{params}:" + ";".join(components))
    if revision := _revision(person.updated_at):
        lines.append(f"REV:{revision}")
    lines.append("END:VCARD")
    return lines


def person_vcard(details: Any) -> str:
    """One person's vCard (from a people.PersonDetails), folded, CRLF line ends."""
    return "".join(fold(line) + CRLF for line in person_lines(details))


def write_vcards(people: Iterable[Any], out: Any) -> int:
    """Write one card per person (people.PersonDetails) to a text stream; returns how many."""
    count = 0
    for details in people:
        out.write(person_vcard(details))
        count += 1
    return count
