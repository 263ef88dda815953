"""1A-1E (constituents, addresses, codes, notes, phones and emails), 5A (households) and the
positions of 2B (correspondence codes PRO/CON/NEU) become the constituents app's records.

A person is made by their 1A record, or, when the export has none for them, by their first
1B address (the UGA sample has no 1A at all). Records naming a constituent with neither wait,
staged, and are reported as orphans."""

import re

from django.core.exceptions import ValidationError
from django.db.models import Q

from civicdesk.constituents.models import (
    Address,
    ContactKind,
    Direction,
    EmailAddress,
    Household,
    Interaction,
    InteractionKind,
    Person,
    PersonTag,
    Phone,
    Position,
    Stance,
)
from civicdesk.constituents.validation import normalize_email, normalize_phone
from civicdesk.interchange.layout import parse_date, parse_flag
from civicdesk.interchange.models import StagedRecord

from . import Result, handler

MIN_BIRTH_YEAR = 1880  # Person's check constraint

COUNTRIES = {
    "": "US", "US": "US", "USA": "US", "U.S.": "US", "U.S.A.": "US", "UNITED STATES": "US",
    "UNITED STATES OF AMERICA": "US", "CANADA": "CA", "CAN": "CA", "MEXICO": "MX", "MEX": "MX",
    "UNITED KINGDOM": "GB", "UK": "GB", "GBR": "GB", "ENGLAND": "GB", "GERMANY": "DE",
    "DEU": "DE", "FRANCE": "FR", "FRA": "FR", "ITALY": "IT", "ITA": "IT", "SPAIN": "ES",
    "ESP": "ES", "IRELAND": "IE", "IRL": "IE", "JAPAN": "JP", "JPN": "JP", "CHINA": "CN",
    "CHN": "CN", "INDIA": "IN", "IND": "IN", "PHILIPPINES": "PH", "PHL": "PH", "ISRAEL": "IL",
    "ISR": "IL", "AUSTRALIA": "AU", "AUS": "AU", "PUERTO RICO": "PR", "PRI": "PR",
    "GUAM": "GU", "GUM": "GU", "VIRGIN ISLANDS": "VI", "VIR": "VI",
}  # fmt: skip
UNKNOWN_COUNTRY = "ZZ"  # ISO 3166's "unknown or unspecified"


def text(value: object, limit: int) -> str:
    return " ".join(str(value or "").split())[:limit]


def country_code(value: str) -> str:
    """An ISO 3166 code for what an export writes ("USA", "US", "Canada"); ZZ when unknown."""
    name = " ".join(value.upper().split())
    if name in COUNTRIES:
        return COUNTRIES[name]
    if re.fullmatch(r"[A-Z]{2}", name):
        return name
    return UNKNOWN_COUNTRY


def date_of(context, record, field: str):
    """The date in a field; None when blank or not a date (the reader reported it)."""
    try:
        return parse_date(str(record.fields.get(field, "")))
    except ValueError:
        return None


# ---------------------------------------------------------------- 1A constituents


def person_values(context, record) -> dict:
    fields = record.fields
    birth_date = date_of(context, record, "Date of Birth")
    if birth_date is not None and not (MIN_BIRTH_YEAR <= birth_date.year <= context.today().year):
        context.odd("bad date", f"date of birth {birth_date:%Y-%m-%d} cannot be right: left out")
        birth_date = None
    values = {
        "prefix": text(fields.get("Prefix"), 20),
        "first_name": text(fields.get("First Name"), 100),
        "middle_name": text(fields.get("Middle Name"), 100),
        "last_name": text(fields.get("Last Name"), 100),
        "suffix": text(fields.get("Suffix"), 20),
        "salutation": text(fields.get("Salutation"), 150),
        "do_not_mail": parse_flag(fields.get("No Mail Flag", "")),
        "is_deceased": parse_flag(fields.get("Deceased Flag", "")),
    }
    if birth_date is not None:
        values.update(birth_date=birth_date, birth_year=birth_date.year)
    return values


@handler("1A")
def constituent(context, record) -> Result:
    """The person with this CMS constituent id (ExternalId "cms"), made or brought up to date."""
    constituent_id = str(record.fields.get("Constituent ID", ""))
    if not constituent_id:
        return Result.skipped("no constituent id")
    values = person_values(context, record)
    person = context.person(constituent_id)
    if person is None:
        return Result.imported(context.add_person(constituent_id, **values))
    changed = [name for name, value in values.items() if getattr(person, name) != value]
    for name in changed:
        setattr(person, name, values[name])
    if changed:
        person.version += 1
        person.save(update_fields=[*changed, "version", "updated_at"])
        context.touched_people.add(person.pk)
    return Result.imported(person)


def person_or_orphan(
    context, record, field: str = "Constituent ID", *, loaded: bool = False
) -> Person | Result:
    """The person the record names (by default a stand-in with only the id: see
    BringIn.person), or the orphan's Result."""
    constituent_id = str(record.fields.get(field, ""))
    if not constituent_id:
        return Result.skipped(f"no {field.lower()}")
    person = context.person(constituent_id, loaded=loaded)
    return person if person is not None else context.orphan(constituent_id)


# ---------------------------------------------------------------- 1B addresses

ADDRESS_KINDS = {
    "HO": ContactKind.HOME, "H": ContactKind.HOME, "HOME": ContactKind.HOME,
    "RES": ContactKind.HOME, "BU": ContactKind.WORK, "B": ContactKind.WORK,
    "BUS": ContactKind.WORK, "WORK": ContactKind.WORK, "W": ContactKind.WORK,
    "OF": ContactKind.WORK, "OFF": ContactKind.WORK, "OFFICE": ContactKind.WORK,
}  # fmt: skip


def address_values(record) -> dict:
    fields = record.fields
    lines = [
        text(fields.get(f"Address line {n}"), 200)
        for n in (1, 2, 3, 4)
        if text(fields.get(f"Address line {n}"), 200)
    ]
    kind = ADDRESS_KINDS.get(str(fields.get("Address Type", "")).strip().upper(), ContactKind.OTHER)
    return {
        "kind": kind,
        "line1": lines[0] if lines else "",
        "line2": ", ".join(lines[1:])[:200],
        "city": text(fields.get("City"), 100),
        "region": text(fields.get("State"), 100),
        "postcode": text(fields.get("Zip Code"), 20).upper(),
        "country": country_code(str(fields.get("Country", ""))),
    }


@handler("1B")
def address(context, record) -> Result:
    """An address of the constituent (made from it when the export has no 1A for them). The
    primary flag makes it the primary address; a person's first address is primary anyway."""
    constituent_id = str(record.fields.get("Constituent ID", ""))
    if not constituent_id:
        return Result.skipped("no constituent id")
    values = address_values(record)
    if not (values["line1"] or values["city"] or values["postcode"]):
        return Result.skipped("an address without a street, city or ZIP code")
    if values["country"] == "ZZ":
        context.odd("country", f"country {record.fields.get('Country')!r} not known: “ZZ” kept")
    person = context.person(constituent_id, loaded=False)
    if person is None:
        person = context.add_person(constituent_id)
        context.count("1B", "people made")
    row = context.linked_object(Address, "1B", record.key)
    if row is None:
        row = Address(office=context.office, person=person)
    for name, value in values.items():
        setattr(row, name, value)
    others = Address.objects.filter(person=person).exclude(pk=row.pk)
    wants_primary = parse_flag(record.fields.get("Primary Flag", ""))
    if wants_primary:
        others.filter(is_primary=True).update(is_primary=False)
    row.is_primary = wants_primary or not others.filter(is_primary=True).exists()
    row.save()
    if parse_flag(record.fields.get("No Mail Flag", "")):
        Person.objects.filter(pk=person.pk, do_not_mail=False).update(do_not_mail=True)
    context.touched_people.add(person.pk)
    return Result.imported(row)


# ---------------------------------------------------------------- 1C codes, 1D notes, 1E contacts


@handler("1C")
def constituent_code(context, record) -> Result:
    """A code on the constituent: the code's tag (through 8A) on the person."""
    person = person_or_orphan(context, record)
    if isinstance(person, Result):
        return person
    code = str(record.fields.get("Constituent Code", ""))
    if not code:
        return Result.skipped("no code")
    tag = context.tag_for(str(record.fields.get("Constituent Code Type", "")), code)
    link = PersonTag.objects.filter(person=person, tag=tag).first() or PersonTag.objects.create(
        office=context.office, person=person, tag=tag, added_by=context.by
    )
    return Result.imported(link)


INTERACTION_KINDS = {kind.value.replace("_", " "): kind for kind in InteractionKind}


@handler("1D")
def constituent_text(context, record) -> Result:
    """A text about the constituent: an entry of their timeline. CivicDesk writes the text type
    as "<KIND>: <subject>" ("CALL: Asked about the bus"); another text type ("CM") makes a
    note with that subject."""
    person = person_or_orphan(context, record)
    if isinstance(person, Result):
        return person
    text_type = text(record.fields.get("Constituent Text Type"), 250)
    body = str(record.fields.get("Constituent Text", "")).strip()
    if not (body or text_type):
        return Result.skipped("an empty text")
    named, _colon, subject = text_type.partition(":")
    kind = INTERACTION_KINDS.get(named.strip().lower().replace("_", " "))
    values = {
        "kind": kind or InteractionKind.NOTE,
        "subject": (subject.strip() if kind else text_type)[:200],
        "notes": body,
    }
    entry = context.linked_object(Interaction, "1D", record.key)
    if entry is None:
        entry = Interaction(
            office=context.office,
            person=person,
            direction=Direction.INBOUND,
            occurred_at=context.now,  # 1D records carry no date
            logged_by=context.by,
        )
    for name, value in values.items():
        setattr(entry, name, value)
    entry.save()
    return Result.imported(entry)


URL = re.compile(r"^(https?://|www\.)", re.IGNORECASE)


def contact_kind(type_text: str, *, email: bool) -> str:
    """The kind of a phone or email from its CMS type ("HOME", "WORK EMAIL", "CELL")."""
    upper = type_text.upper()
    if any(word in upper for word in ("WORK", "BUS", "OFF")):
        return ContactKind.WORK
    if any(word in upper for word in ("CELL", "MOB")):
        return ContactKind.OTHER if email else ContactKind.MOBILE
    if "OTHER" in upper or "FAX" in upper:
        return ContactKind.OTHER
    return ContactKind.HOME


@handler("1E")
def constituent_contact(context, record) -> Result:
    """A phone number or an email address of the constituent. A web address has no place on a
    person: it stays staged (and goes back out with every export)."""
    person = person_or_orphan(context, record)
    if isinstance(person, Result):
        return person
    type_text = str(record.fields.get("Constituent Phone or email Type", ""))
    value = str(record.fields.get("Phone Number Email or URL", "")).strip()
    if not value:
        return Result.skipped("no phone number or email address")
    if "@" in value or "EMAIL" in type_text.upper().replace("-", ""):
        try:
            email = normalize_email(value)
        except ValidationError as exc:
            return Result.skipped(exc.messages[0])
        row = EmailAddress.objects.filter(person=person, email=email).first()
        if row is None:
            row = EmailAddress.objects.create(
                office=context.office,
                person=person,
                email=email,
                kind=contact_kind(type_text, email=True),
                is_primary=not EmailAddress.objects.filter(person=person).exists(),
            )
        context.touched_people.add(person.pk)
        return Result.imported(row)
    if URL.match(value):
        return Result.skipped("a web address (people have no place for one)")
    parts = re.split(r"\s*(?:x|ext\.?)\s*(?=\d+$)", value, maxsplit=1, flags=re.IGNORECASE)
    number, extension = parts[0], parts[1] if len(parts) > 1 else ""
    try:
        number = normalize_phone(number)
    except ValidationError as exc:
        return Result.skipped(exc.messages[0])
    row = Phone.objects.filter(person=person, number=number, extension=extension[:10]).first()
    if row is None:
        row = Phone.objects.create(
            office=context.office,
            person=person,
            number=number,
            extension=extension[:10],
            kind=contact_kind(type_text, email=False),
            is_primary=not Phone.objects.filter(person=person).exists(),
        )
    context.touched_people.add(person.pk)
    return Result.imported(row)


# ---------------------------------------------------------------- 5A households


def _household(context, household_id: str) -> Household | None:
    def find() -> int | None:
        return (
            StagedRecord.objects.filter(
                office=context.office,
                record_type="5A",
                parent_key=household_id,
                object_id__isnull=False,
            )
            .values_list("object_id", flat=True)
            .first()
        )

    found = context.cached(("household", household_id), find)
    if found is None:
        return None
    return Household.objects.for_office(context.office).filter(pk=found).first()


@handler("5A")
def household_member(context, record) -> Result:
    """A member of a household: the household is made with its first member, named by its
    salutation (else after that member)."""
    household_id = str(record.fields.get("Household ID", ""))
    if not household_id:
        return Result.skipped("no household id")
    person = person_or_orphan(context, record, loaded=True)
    if isinstance(person, Result):
        return person
    household = _household(context, household_id)
    salutation = text(record.fields.get("Household Salutation"), 200)
    if household is None:
        name = salutation or (
            f"{person.last_name} household" if person.last_name else f"Household {household_id}"
        )
        household = Household.objects.create(
            office=context.office, name=name[:200], joint_salutation=salutation
        )
        context.keep(("household", household_id), household.pk)
    elif salutation and not household.joint_salutation:
        household.joint_salutation = salutation
        household.save(update_fields=["joint_salutation", "updated_at"])
    if person.household_id != household.pk:
        Person.objects.filter(pk=person.pk).update(household=household)
    return Result.imported(household)


# ---------------------------------------------------------------- 2B positions

STANCES = {
    "PRO": Stance.SUPPORT, "SUPPORT": Stance.SUPPORT, "FOR": Stance.SUPPORT,
    "CON": Stance.OPPOSE, "OPPOSE": Stance.OPPOSE, "AGAINST": Stance.OPPOSE,
    "NEU": Stance.NEUTRAL, "NEUTRAL": Stance.NEUTRAL,
    "UND": Stance.UNDECIDED, "UNDECIDED": Stance.UNDECIDED,
}  # fmt: skip
CORRESPONDENCE_DATES = ("Date In", "Update Date", "Date Out")


def correspondence_date(context, correspondence_id: str):
    """The date of a correspondence item (its 2A record): in, else updated, else out."""

    def find():
        fields = (
            StagedRecord.objects.filter(
                office=context.office, record_type="2A", key=correspondence_id
            )
            .order_by("-id")
            .values_list("fields", flat=True)
            .first()
        )
        for name in CORRESPONDENCE_DATES:
            try:
                found = parse_date(str((fields or {}).get(name, "")))
            except ValueError:
                continue
            if found is not None:
                return found
        return None

    return context.cached(("2A date", correspondence_id), find)


@handler("2B")
def correspondence_position(context, record) -> Result:
    """A correspondence code with a position (PRO, CON, NEU) is where the constituent stands on
    the code's issue: a Position on the code's tag. The record stays staged for the shared
    inbox, which will bring in the correspondence itself."""
    waiting = "kept for the shared inbox (correspondence)"
    stance = STANCES.get(str(record.fields.get("Position", "")).strip().upper())
    code = str(record.fields.get("Correspondence Code", ""))
    if stance is None or not code:
        return Result.kept(waiting)
    person = person_or_orphan(context, record)
    if isinstance(person, Result):
        return Result.kept(f"{waiting}; {person.note}")
    if record.object_id and Position.objects.filter(pk=record.object_id).exists():
        return Result.kept(waiting)
    tag = context.tag_for("", code)
    correspondence_id = str(record.fields.get("Correspondence ID", ""))
    source = f"House CMS correspondence {correspondence_id}"[:200]
    position = Position.objects.filter(
        Q(person=person, tag=tag, source=source, stance=stance)
    ).first() or Position.objects.create(
        office=context.office,
        person=person,
        tag=tag,
        stance=stance,
        noted_on=correspondence_date(context, correspondence_id) or context.today(),
        source=source,
    )
    return Result.kept(waiting, position)
