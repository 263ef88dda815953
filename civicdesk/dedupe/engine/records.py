"""The person as the engine compares it, built from database values or from an import row."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from civicdesk.dedupe.engine.normalize import (
    clean_address,
    clean_email,
    clean_name,
    clean_postcode,
    clean_text,
    digits,
)

if TYPE_CHECKING:
    from civicdesk.tabular.mapping import PersonRecord

__all__ = ["Record", "record_from_person_record", "record_from_values"]


@dataclass(slots=True)
class Record:
    """One person, normalized for comparison (lower case, no punctuation, digits-only phones)."""

    id: Any
    first_name: str = ""
    middle_name: str = ""
    last_name: str = ""
    birth_date: str = ""  # "YYYY-MM-DD" or ""
    birth_year: int | None = None
    gender: str = ""
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()  # digits only
    line1: str = ""
    city: str = ""
    postcode: str = ""
    external_ids: tuple[str, ...] = ()  # "system:value"


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(value for value in values if value))


def _birth(birth_date: Any, birth_year: Any) -> tuple[str, int | None]:
    if isinstance(birth_date, date):
        return birth_date.isoformat(), birth_date.year
    text = str(birth_date or "")[:10]
    year = int(birth_year) if birth_year else None
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        return text, int(text[:4])
    return "", year


def _gender(value: str) -> str:
    value = clean_text(value or "")
    return value[:1] if value else ""  # "female", "F" and "f" agree


def _external_id(value: str) -> str:
    system, sep, ident = (value or "").partition(":")
    if not sep:
        system, ident = "id", system
    ident = clean_text(ident).replace(" ", "")
    return f"{clean_text(system)}:{ident}" if ident else ""


def record_from_values(values: dict) -> Record:
    """A Record from the values the dedupe app reads for one person (see the engine contract:
    id, names, preferred_name, birth_date, birth_year, gender, emails, phones (E.164),
    addresses [(line1, city, postcode)], primary first, and external_ids ["system:value"])."""
    birth_date, birth_year = _birth(values.get("birth_date"), values.get("birth_year"))
    addresses = values.get("addresses") or []
    line1, city, postcode = (tuple(addresses[0]) + ("", "", ""))[:3] if addresses else ("", "", "")
    first = values.get("first_name") or values.get("preferred_name") or ""
    return Record(
        id=values["id"],
        first_name=clean_name(first),
        middle_name=clean_name(values.get("middle_name") or ""),
        last_name=clean_name(values.get("last_name") or ""),
        birth_date=birth_date,
        birth_year=birth_year,
        gender=_gender(values.get("gender") or ""),
        emails=_unique(clean_email(e or "") for e in values.get("emails") or ()),
        phones=_unique(digits(p or "") for p in values.get("phones") or ()),
        line1=clean_address(line1 or ""),
        city=clean_text(city or ""),
        postcode=clean_postcode(postcode or ""),
        external_ids=_unique(_external_id(x) for x in values.get("external_ids") or ()),
    )


def record_from_person_record(
    id: Any, record: "PersonRecord", *, id_system: str = "import"
) -> Record:  # noqa: A002
    """A Record from an import row as `tabular.mapping.RowMapper` reads it."""
    first, last = record.first_name, record.last_name
    full_name = getattr(record, "full_name", "")
    if full_name and not (first or last):
        words = full_name.split()
        first, last = (" ".join(words[:-1]), words[-1]) if len(words) > 1 else ("", full_name)
    birth_date, birth_year = _birth(record.birth_date, record.birth_year)
    return Record(
        id=id,
        first_name=clean_name(first),
        middle_name=clean_name(record.middle_name),
        last_name=clean_name(last),
        birth_date=birth_date,
        birth_year=birth_year,
        gender=_gender(record.gender),
        emails=_unique([clean_email(record.email)]),
        phones=_unique([digits(record.phone)]),
        line1=clean_address(record.line1),
        city=clean_text(record.city),
        postcode=clean_postcode(record.postcode),
        external_ids=_unique([_external_id(f"{id_system}:{record.external_id}")])
        if record.external_id
        else (),
    )
