"""Writes for people, their contact points, households, organizations, relationships, custom
fields and history. Every change is audited with a field-level diff; bad input raises Django's
ValidationError (keys: see validation.py), a refused rule raises a DomainError."""

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import URLValidator
from django.db import connection, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext as _

from civicdesk import audit
from civicdesk.accounts.models import Membership, Office
from civicdesk.audit.models import AuditEvent
from civicdesk.core.access import require
from civicdesk.core.errors import DomainError, NotAllowed
from civicdesk.geo import geocoding
from civicdesk.geo import services as geo_services
from civicdesk.geo.models import DistrictLayer
from civicdesk.jobs.models import Job
from civicdesk.jobs.services import start_job
from civicdesk.tags import services as tag_services
from civicdesk.tags.models import Tag

from . import search
from .models import (
    PERSON_FLAGS,
    Address,
    AddressDistrict,
    Channel,
    Consent,
    ContactKind,
    CustomField,
    CustomFieldType,
    Direction,
    EmailAddress,
    ExternalId,
    Household,
    Interaction,
    InteractionKind,
    Organization,
    OrganizationKind,
    Person,
    PersonTag,
    Phone,
    Position,
    Relationship,
    SearchKey,
    Stance,
)
from .validation import (
    AddressIn,
    EmailIn,
    PhoneIn,
    check_kind,
    check_one_primary,
    clean_custom,
    normalize_email,
    normalize_phone,
)

__all__ = ["AddressIn", "EmailIn", "PhoneIn"]  # re-exported for the doors

FLAG_FIELDS = PERSON_FLAGS
PERSON_FIELDS = (
    "prefix", "first_name", "middle_name", "last_name", "suffix", "preferred_name",
    "salutation", "birth_date", "birth_year", "language", "gender", "pronouns",
    *FLAG_FIELDS, "concern_reason", "custom",
)  # fmt: skip
CONCERN_FIELDS = ("is_of_concern", "concern_reason")
ORGANIZATION_FIELDS = ("name", "kind", "email", "phone", "website", "address", "notes", "is_active")
HOUSEHOLD_FIELDS = ("name", "joint_salutation")
BATCH = 2000
ASSIGN_DISTRICTS_JOB = "constituents.assign_districts"  # geo starts it after a map import
GEOCODE_JOB = "constituents.geocode_addresses"


class EditConflict(DomainError):
    """Someone saved the person after the editor opened it (optimistic locking)."""

    code = "edit_conflict"

    def __init__(
        self,
        message: str,
        *,
        changed_by: str = "",
        changed_at: dt.datetime | None,
        current_version: int | None = None,
    ) -> None:
        super().__init__(message)
        self.changed_by = changed_by
        self.changed_at = changed_at
        self.current_version = current_version
        self.details = {
            "changed_by": changed_by,
            "changed_at": changed_at.isoformat() if changed_at else None,
            "current_version": current_version,
        }


class ConstituentRefused(DomainError):
    code = "constituent_refused"


# ---------------------------------------------------------------- helpers


def _same_office(obj: Any, office_id: int, what: str) -> None:
    if obj is None or obj.office_id != office_id:
        raise ConstituentRefused(_("That %(what)s is not in this office.") % {"what": what})


def _errors(
    errors: dict[str, list[str]], exc: ValidationError, key: str = NON_FIELD_ERRORS
) -> None:
    if hasattr(exc, "error_dict"):
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    else:
        errors.setdefault(key, []).extend(exc.messages)


def _text(value: Any) -> str:
    return " ".join(str(value or "").split())


# ---------------------------------------------------------------- person fields


def _apply_fields(person: Person, fields: dict[str, Any], *, by: Membership | None) -> None:
    """Set the person's scalar fields from `fields`, or raise ValidationError with every problem."""
    unknown = set(fields) - set(PERSON_FIELDS)
    if unknown:
        raise ValueError(f"Not fields of a person: {', '.join(sorted(unknown))}.")
    if by is not None and not by.can("person.view_concern"):
        for name in CONCERN_FIELDS:
            if name in fields and fields[name] != getattr(person, name):
                raise NotAllowed(_("Only managers may mark a person of concern."))
    errors: dict[str, list[str]] = {}
    for name, value in fields.items():
        if name == "custom":
            definitions = CustomField.objects.for_office(person.office_id)
            try:
                person.custom = clean_custom(definitions, value or {}, current=person.custom or {})
            except ValidationError as exc:
                _errors(errors, exc)
        elif name in FLAG_FIELDS:
            setattr(person, name, bool(value))
        elif name in ("birth_date", "birth_year"):
            setattr(person, name, value if value not in ("", None) else None)
        elif name == "concern_reason":
            person.concern_reason = str(value or "").strip()
        else:
            setattr(person, name, _text(value))
    if isinstance(person.birth_date, str):
        try:
            person.birth_date = dt.date.fromisoformat(person.birth_date)
        except ValueError:
            errors.setdefault("birth_date", []).append(
                _("“%(value)s” is not a date; write it as YYYY-MM-DD.")
                % {"value": person.birth_date}
            )
    if isinstance(person.birth_date, dt.date):
        if person.birth_date > timezone.localdate():
            errors.setdefault("birth_date", []).append(
                _("A date of birth cannot be in the future.")
            )
        person.birth_year = person.birth_date.year
    if not person.is_of_concern:
        person.concern_reason = ""
    if not (person.first_name or person.last_name or person.preferred_name):
        errors.setdefault("last_name", []).append(_("Give at least a first or a last name."))
    try:
        person.full_clean(
            exclude=["office", "household", "created_by", "custom", "sort_name", "search_text"],
            validate_unique=False,
        )
    except ValidationError as exc:
        _errors(errors, exc)
    if errors:
        raise ValidationError(errors)


def _clean_emails(items: Sequence[EmailIn], errors: dict) -> list[EmailIn]:
    cleaned, seen = [], set()
    for item in items:
        try:
            email = normalize_email(item.email)
            check_kind(item.kind, "email")
        except ValidationError as exc:
            _errors(errors, exc)
            continue
        if email in seen:
            continue  # the same address twice is once
        seen.add(email)
        cleaned.append(EmailIn(email, item.kind, bool(item.is_primary)))
    try:
        check_one_primary(cleaned, _("email address"))
    except ValidationError as exc:
        _errors(errors, exc)
    return cleaned


def _clean_phones(items: Sequence[PhoneIn], errors: dict) -> list[PhoneIn]:
    cleaned, seen = [], set()
    for item in items:
        try:
            number = normalize_phone(item.number)
            check_kind(item.kind, "phone")
        except ValidationError as exc:
            _errors(errors, exc)
            continue
        extension = re.sub(r"\D", "", item.extension or "")[:10]
        if (number, extension) in seen:
            continue
        seen.add((number, extension))
        cleaned.append(PhoneIn(number, item.kind, bool(item.is_primary), extension))
    try:
        check_one_primary(cleaned, _("phone number"))
    except ValidationError as exc:
        _errors(errors, exc)
    return cleaned


US_ZIP = re.compile(r"\d{5}(-\d{4})?")


def _clean_addresses(items: Sequence[AddressIn], errors: dict) -> list[AddressIn]:
    cleaned = []
    for item in items:
        line1 = _text(item.line1)
        problems = []
        if not line1:
            problems.append(_("An address needs its first line (number and street)."))
        country = _text(item.country).upper() or "US"
        if not re.fullmatch(r"[A-Z]{2}", country):
            problems.append(
                _("“%(value)s” is not a country code (two letters, e.g. US).") % {"value": country}
            )
        postcode = _text(item.postcode).upper()
        if country == "US" and postcode and not US_ZIP.fullmatch(postcode):
            problems.append(_("“%(value)s” is not a ZIP code.") % {"value": postcode})
        lat, lon = item.latitude, item.longitude
        if (lat is None) != (lon is None):
            problems.append(_("Give both latitude and longitude, or neither."))
        elif lat is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
            problems.append(
                _("That position is not on Earth (latitude −90…90, longitude −180…180).")
            )
        try:
            check_kind(item.kind, "address")
        except ValidationError as exc:
            problems += exc.messages
        if problems:
            errors.setdefault(NON_FIELD_ERRORS, []).extend(problems)
            continue
        cleaned.append(
            AddressIn(
                line1=line1,
                line2=_text(item.line2),
                city=_text(item.city),
                region=_text(item.region),
                postcode=postcode,
                country=country,
                kind=item.kind,
                is_primary=bool(item.is_primary),
                latitude=lat,
                longitude=lon,
            )  # fmt: skip
        )
    try:
        check_one_primary(cleaned, _("address"))
    except ValidationError as exc:
        _errors(errors, exc)
    return cleaned


def _contact_snapshot(person: Person) -> dict[str, list[str]]:
    return {
        "emails": [
            f"{e.email} ({e.kind}{', primary' if e.is_primary else ''})"
            for e in person.emails.order_by("id")
        ],
        "phones": [
            f"{p.number}{' x' + p.extension if p.extension else ''} ({p.kind}"
            f"{', primary' if p.is_primary else ''})"
            for p in person.phones.order_by("id")
        ],
        "addresses": [
            f"{a} ({a.kind}{', primary' if a.is_primary else ''}{_position_text(a)})"
            for a in person.addresses.order_by("id")
        ],
    }


def _position_text(address: Address) -> str:
    """ ", at 38.9170,-77.0320 (census)": a moved pin is a change, audited and versioned."""
    if not address.has_position:
        return ""
    source = f" ({address.geocode_source})" if address.geocode_source else ""
    return f", at {address.latitude:.6f},{address.longitude:.6f}{source}"


def _person_snapshot(person: Person) -> dict[str, Any]:
    return audit.snapshot(person, PERSON_FIELDS)


# ---------------------------------------------------------------- contact points


def _replace_emails(person: Person, items: list[EmailIn]) -> None:
    existing = {e.email: e for e in person.emails.all()}
    person.emails.filter(is_primary=True).update(is_primary=False)
    keep = {item.email for item in items}
    person.emails.exclude(email__in=keep).delete()
    for item in items:
        row = existing.get(item.email) or EmailAddress(
            office_id=person.office_id, person=person, email=item.email
        )
        row.kind, row.is_primary = item.kind, item.is_primary
        row.save()


def _replace_phones(person: Person, items: list[PhoneIn]) -> None:
    existing = {(p.number, p.extension): p for p in person.phones.all()}
    person.phones.filter(is_primary=True).update(is_primary=False)
    keep = {(item.number, item.extension) for item in items}
    for key, row in existing.items():
        if key not in keep:
            row.delete()
    for item in items:
        row = existing.get((item.number, item.extension)) or Phone(
            office_id=person.office_id, person=person, number=item.number, extension=item.extension
        )
        row.kind, row.is_primary = item.kind, item.is_primary
        row.save()


ADDRESS_TEXT = ("line1", "line2", "city", "region", "postcode", "country")


def _address_key(a: Any) -> tuple:
    return tuple(_text(getattr(a, name)).lower() for name in ADDRESS_TEXT)


def _replace_addresses(
    person: Person, items: list[AddressIn], positions: dict[tuple, tuple] | None = None
) -> list[Address]:
    """Keep the rows whose text is unchanged (with their position and districts), delete the
    others, create the new ones (placed from `positions`, found by _geocode_ahead). Returns the
    rows whose districts must be (re)assigned."""
    positions = positions or {}
    existing = {_address_key(a): a for a in person.addresses.all()}
    person.addresses.filter(is_primary=True).update(is_primary=False)
    wanted = {_address_key(item) for item in items}
    for key, row in existing.items():
        if key not in wanted:
            row.delete()
    to_place = []
    for item in items:
        row = existing.get(_address_key(item))
        if row is None:
            row = Address(office=person.office, person=person)
            for name in ("line1", "line2", "city", "region", "postcode", "country"):
                setattr(row, name, getattr(item, name))
        row.kind, row.is_primary = item.kind, item.is_primary
        moved = item.latitude is not None and (item.latitude, item.longitude) != (
            row.latitude,
            row.longitude,
        )
        if moved:
            row.latitude, row.longitude, row.geocode_source = item.latitude, item.longitude, "given"
        is_new = row.pk is None
        if is_new and not row.has_position and _address_key(item) in positions:
            row.latitude, row.longitude, row.geocode_source = positions[_address_key(item)]
        row.save()
        if is_new or moved:
            to_place.append(row)
    return to_place


# ---------------------------------------------------------------- positions and districts


def _geocode_ahead(
    office: Office, addresses: Sequence[AddressIn] | None, *, known: Iterable[tuple] = ()
) -> dict[tuple, tuple[float, float, str]]:
    """Positions of the new addresses given without one, by address key: looked up BEFORE the
    save's transaction opens, as a remote geocoder may take seconds (holding no write lock)."""
    if not addresses or not settings.GEOCODERS:
        return {}
    known, found = set(known), {}
    for item in _clean_addresses(addresses, {}):
        key = _address_key(item)
        if item.latitude is not None or key in known or key in found:
            continue
        row = Address(office=office, **{name: getattr(item, name) for name in ADDRESS_TEXT})
        if geocode_address(row):
            found[key] = (row.latitude, row.longitude, row.geocode_source)
    return found


def geocode_address(address: Address) -> bool:
    """Give an address without a position one from the configured geocoders (not saved here).
    False when no geocoder is set up or none knows the address."""
    if address.has_position or not settings.GEOCODERS:
        return False
    try:
        found = geocoding.geocode(
            address.office,
            line1=address.line1,
            city=address.city,
            region=address.region,
            postcode=address.postcode,
            country=address.country,
        )
    except geocoding.GeocoderUnavailable:
        return False
    if found is None:
        return False
    address.latitude, address.longitude, address.geocode_source = found.lat, found.lon, found.source
    return True


def link_layer(layer: DistrictLayer, address_ids: Sequence[int], district_ids: Sequence) -> int:
    """Replace the links of these addresses to `layer` by `district_ids` (None: in no district
    of it). Returns how many addresses are now in a district of the layer."""
    AddressDistrict.objects.filter(layer=layer, address_id__in=list(address_ids)).delete()
    rows = [
        (layer.office_id, address_id, layer.pk, district_id)
        for address_id, district_id in zip(address_ids, district_ids, strict=True)
        if district_id is not None
    ]
    # Plain executemany: bulk_create spends most of its time preparing values (10k at a time).
    table = AddressDistrict._meta.db_table
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (office_id, address_id, layer_id, district_id) "  # noqa: S608
            "VALUES (%s, %s, %s, %s)",
            rows,
        )
    return len(rows)


def assign_districts(addresses: Sequence[Address]) -> None:
    """Put each address in its district of every layer of its office (none without a position)."""
    if not addresses:
        return
    layers = DistrictLayer.objects.filter(office_id=addresses[0].office_id)
    for layer in layers:
        placed = [a for a in addresses if a.has_position]
        found = (
            geo_services.assign_points(
                layer, [a.longitude for a in placed], [a.latitude for a in placed]
            )
            if placed
            else []
        )
        district_of = {a.pk: d for a, d in zip(placed, found, strict=True)}
        link_layer(layer, [a.pk for a in addresses], [district_of.get(a.pk) for a in addresses])


@transaction.atomic
def start_district_assignment(
    office: Office, *, by: Membership | None, layer: DistrictLayer | None = None
) -> Job:
    """Queue the job that puts every address into its district of `layer` (or of every layer)."""
    require(by, "district.manage", office.pk)
    if layer is not None:
        _same_office(layer, office.pk, _("map"))
    title = (
        _("Assign addresses to the districts of “%(layer)s”") % {"layer": layer.name}
        if layer is not None
        else _("Assign addresses to their districts")
    )
    params = {"layer_id": layer.pk} if layer is not None else {}
    job = start_job(office, kind=ASSIGN_DISTRICTS_JOB, title=title, by=by, params=params)
    audit.record(by, "address.assignment_started", job, office=office, changes=params)
    return job


@transaction.atomic
def start_geocoding(office: Office, *, by: Membership | None) -> Job:
    """Queue the job that geocodes every address without a position."""
    require(by, "geocode.run", office.pk)
    job = start_job(office, kind=GEOCODE_JOB, title=_("Geocode addresses"), by=by)
    audit.record(by, "address.geocoding_started", job, office=office)
    return job


# ---------------------------------------------------------------- search fields


def refresh_search_fields(person: Person) -> None:
    """Recompute the person's sort_name and search_text from the stored rows, and teach the
    office's typo index the person's words."""
    addresses = person.addresses.order_by("-is_primary", "id").values_list("line1", "postcode")
    person.sort_name = search.sort_name_for(person)
    person.search_text = search.search_text_for(
        person,
        emails=person.emails.order_by("-is_primary", "id").values_list("email", flat=True),
        phones=person.phones.order_by("-is_primary", "id").values_list("number", flat=True),
        addresses=addresses,
        external_ids=person.external_ids.values_list("value", flat=True),
    )
    Person.objects.filter(pk=person.pk).update(
        sort_name=person.sort_name, search_text=person.search_text
    )
    search.remember_words(person.office_id, search.vocabulary_words(person.search_text))


# ---------------------------------------------------------------- people


def reindex_people(office: Office, *, chunk: int = 2000) -> int:
    """Recompute sort_name and search_text of every person of the office, and rebuild its typo
    index (after an import that wrote rows directly, or a change of the search format)."""
    last_id, done = 0, 0
    SearchKey.objects.filter(office=office).delete()
    while True:
        people = list(
            Person.objects.for_office(office)
            .filter(pk__gt=last_id)
            .order_by("pk")
            .prefetch_related("emails", "phones", "addresses", "external_ids")[:chunk]
        )
        if not people:
            return done
        vocabulary: set[str] = set()
        for person in people:
            person.sort_name = search.sort_name_for(person)
            person.search_text = search.search_text_for(
                person,
                emails=[e.email for e in sorted(person.emails.all(), key=_primary_first)],
                phones=[p.number for p in sorted(person.phones.all(), key=_primary_first)],
                addresses=[
                    (a.line1, a.postcode)
                    for a in sorted(person.addresses.all(), key=_primary_first)
                ],
                external_ids=[x.value for x in person.external_ids.all()],
            )
            vocabulary |= search.vocabulary_words(person.search_text)
        with transaction.atomic():
            Person.objects.bulk_update(people, ["sort_name", "search_text"], batch_size=500)
            search.remember_words(office.pk, vocabulary)
        done += len(people)
        last_id = people[-1].pk


def _primary_first(row: Any) -> tuple:
    return (not row.is_primary, row.pk)


def create_person(
    office: Office,
    *,
    by: Membership | None,
    fields: dict[str, Any],
    emails: Sequence[EmailIn] = (),
    phones: Sequence[PhoneIn] = (),
    addresses: Sequence[AddressIn] = (),
    tag_ids: Sequence[int] = (),
) -> Person:
    """Add a person with their contact points and tags. Addresses without a position are
    geocoded when a geocoder is set up (before the transaction opens), and every positioned
    address gets its districts."""
    require(by, "person.edit", office.pk)
    positions = _geocode_ahead(office, addresses)
    with transaction.atomic():
        return _create_person(
            office,
            by=by,
            fields=fields,
            emails=emails,
            phones=phones,
            addresses=addresses,
            tag_ids=tag_ids,
            positions=positions,
        )


def _create_person(
    office: Office,
    *,
    by: Membership | None,
    fields: dict[str, Any],
    emails: Sequence[EmailIn],
    phones: Sequence[PhoneIn],
    addresses: Sequence[AddressIn],
    tag_ids: Sequence[int],
    positions: dict[tuple, tuple],
) -> Person:
    person = Person(office=office, created_by=by)
    errors: dict[str, list[str]] = {}
    try:
        _apply_fields(person, fields, by=by)
    except ValidationError as exc:
        _errors(errors, exc)
    email_items = _clean_emails(emails, errors)
    phone_items = _clean_phones(phones, errors)
    address_items = _clean_addresses(addresses, errors)
    if errors:
        raise ValidationError(errors)
    person.save()
    _replace_emails(person, email_items)
    _replace_phones(person, phone_items)
    placed = _replace_addresses(person, address_items, positions)
    assign_districts(placed)
    refresh_search_fields(person)
    changes = {name: [None, value] for name, value in _person_snapshot(person).items() if value}
    changes.update({k: [None, v] for k, v in _contact_snapshot(person).items() if v})
    audit.record(by, "person.created", person, office=office, changes=changes)
    if tag_ids:
        tag_people(office, person_ids=[person.pk], tag_ids=tag_ids, by=by)
    return person


def _last_change(person: Person) -> tuple[str, dt.datetime | None]:
    event = (
        AuditEvent.objects.filter(
            office_id=person.office_id,
            object_type="constituents.person",
            object_id=str(person.pk),
            action__in=("person.changed", "person.created"),
        )
        .select_related("actor__user")
        .order_by("-seq")
        .first()
    )
    if event is None:
        return _("someone"), None
    name = event.actor.user.display_name if event.actor else event.actor_label
    return name, event.at


def _conflict(person: Person, by: Membership | None) -> EditConflict:
    who, when = _last_change(person)
    if when is not None:
        local = timezone.localtime(when, ZoneInfo(person.office.time_zone or "UTC"))
        when_text = date_format(local, "DATETIME_FORMAT")
    else:
        when_text = _("a moment ago")
    message = _(
        "%(who)s changed this person (%(when)s) after you opened it. Your changes were not "
        "saved: look at theirs, then make yours again."
    ) % {"who": who, "when": when_text}
    return EditConflict(message, changed_by=who, changed_at=when, current_version=person.version)


def update_person(
    person: Person,
    *,
    by: Membership | None,
    version: int,
    fields: dict[str, Any],
    emails: Sequence[EmailIn] | None = None,
    phones: Sequence[PhoneIn] | None = None,
    addresses: Sequence[AddressIn] | None = None,
) -> Person:
    """Save an edit made on `version` of the person. Refused with EditConflict when someone
    saved in between; a list left None is unchanged. Bumps the version. New addresses are
    geocoded before the transaction opens."""
    require(by, "person.edit", person.office_id)
    known = [_address_key(a) for a in Address.objects.filter(person_id=person.pk)]
    positions = _geocode_ahead(person.office, addresses, known=known)
    with transaction.atomic():
        return _update_person(
            person,
            by=by,
            version=version,
            fields=fields,
            emails=emails,
            phones=phones,
            addresses=addresses,
            positions=positions,
        )


def _update_person(
    person: Person,
    *,
    by: Membership | None,
    version: int,
    fields: dict[str, Any],
    emails: Sequence[EmailIn] | None,
    phones: Sequence[PhoneIn] | None,
    addresses: Sequence[AddressIn] | None,
    positions: dict[tuple, tuple],
) -> Person:
    locked = Person.objects.select_for_update().select_related("office").get(pk=person.pk)
    if version != locked.version:
        raise _conflict(locked, by)
    before = {**_person_snapshot(locked), **_contact_snapshot(locked)}
    errors: dict[str, list[str]] = {}
    try:
        _apply_fields(locked, fields, by=by)
    except ValidationError as exc:
        _errors(errors, exc)
    email_items = _clean_emails(emails, errors) if emails is not None else None
    phone_items = _clean_phones(phones, errors) if phones is not None else None
    address_items = _clean_addresses(addresses, errors) if addresses is not None else None
    if errors:
        raise ValidationError(errors)
    if email_items is not None:
        _replace_emails(locked, email_items)
    if phone_items is not None:
        _replace_phones(locked, phone_items)
    if address_items is not None:
        assign_districts(_replace_addresses(locked, address_items, positions))
    changes = audit.changes_between(
        before, {**_person_snapshot(locked), **_contact_snapshot(locked)}
    )
    if changes:
        locked.version += 1
        locked.save()
        refresh_search_fields(locked)
        audit.record(by, "person.changed", locked, changes=changes)
    return locked


@transaction.atomic
def delete_person(person: Person, *, by: Membership | None) -> None:
    """Delete a person and everything attached to them (the audit log keeps what they were)."""
    require(by, "person.delete", person.office_id)
    tag_ids = list(person.tag_links.values_list("tag_id", flat=True))
    changes = {name: [value, None] for name, value in _person_snapshot(person).items() if value}
    changes.update({k: [v, None] for k, v in _contact_snapshot(person).items() if v})
    audit.record(by, "person.deleted", person, changes=changes)
    person.delete()
    _refresh_tag_counts(person.office, tag_ids)


@transaction.atomic
def set_address_position(
    address: Address, *, by: Membership | None, latitude: float, longitude: float
) -> Address:
    """Drop the pin of an address by hand; its districts follow."""
    require(by, "person.edit", address.office_id)
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ValidationError(
            _("That position is not on Earth (latitude −90…90, longitude −180…180).")
        )
    before = audit.snapshot(address, ("latitude", "longitude", "geocode_source"))
    address.latitude, address.longitude, address.geocode_source = latitude, longitude, "manual"
    address.save(update_fields=["latitude", "longitude", "geocode_source", "updated_at"])
    assign_districts([address])
    changes = audit.changes_between(
        before, audit.snapshot(address, ("latitude", "longitude", "geocode_source"))
    )
    audit.record(
        by,
        "person.address_positioned",
        address.person,
        changes={"address": [str(address), str(address)], **changes},
    )
    return address


# ---------------------------------------------------------------- history


@transaction.atomic
def log_interaction(
    person: Person,
    *,
    by: Membership | None,
    kind: str,
    occurred_at: dt.datetime,
    subject: str = "",
    notes: str = "",
    direction: str = Direction.INBOUND,
    script: str = "",
    outcome: str = "",
) -> Interaction:
    """Add an entry to the person's timeline: a call, a walk-in, a letter..."""
    require(by, "interaction.log", person.office_id)
    errors: dict[str, list[str]] = {}
    if kind not in InteractionKind.values:
        errors["kind"] = [_("“%(value)s” is not a kind of interaction.") % {"value": kind}]
    if direction not in Direction.values:
        errors["direction"] = [_("Choose “in” or “out”.")]
    if occurred_at is None or timezone.is_naive(occurred_at):
        errors["occurred_at"] = [_("Give the date and time, with its time zone.")]
    elif occurred_at > timezone.now() + dt.timedelta(minutes=5):
        errors["occurred_at"] = [_("That is in the future; log what already happened.")]
    if errors:
        raise ValidationError(errors)
    interaction = Interaction.objects.create(
        office_id=person.office_id,
        person=person,
        kind=kind,
        direction=direction,
        occurred_at=occurred_at,
        subject=_text(subject)[:200],
        notes=(notes or "").strip(),
        script=_text(script)[:100],
        outcome=_text(outcome)[:100],
        logged_by=by,
    )
    audit.record(
        by,
        "person.interaction_logged",
        person,
        changes={"interaction": [None, {"id": interaction.pk, "kind": kind, "subject": subject}]},
    )
    return interaction


# ---------------------------------------------------------------- tags


def _tags_of_office(office: Office, tag_ids: Iterable[int]) -> list[int]:
    """The office's tags of these ids (to take off people: deprecated ones too)."""
    wanted = set(tag_ids)
    found = set(Tag.objects.filter(office=office, pk__in=wanted).values_list("pk", flat=True))
    if found != wanted:
        raise ConstituentRefused(_("Some of those tags are not in this office."))
    return sorted(found)


class TagRefused(DomainError):
    """A tag that cannot go on people: unknown to the office, or deprecated."""

    code = "tag_refused"
    status = 422


def _pickable_tags(office: Office, tag_ids: Iterable[int]) -> list[int]:
    """The tags to put on people: a merged tag stands for the tag it was merged into (as an
    alias does); a deprecated tag is refused by name; another office's id is unknown."""
    wanted = set(tag_ids)
    tags = {tag.pk: tag for tag in Tag.objects.filter(office=office, pk__in=wanted)}
    unknown = sorted(wanted - set(tags))
    if unknown:
        raise TagRefused(
            _("Some of those tags are not in this office (unknown tags: %(ids)s).")
            % {"ids": ", ".join(map(str, unknown))},
            code="unknown_tag",
            details={"tag_ids": unknown},
        )
    chosen, refused = set(), []
    for tag in tags.values():
        seen = {tag.pk}
        while tag.merged_into_id is not None and tag.merged_into_id not in seen:
            seen.add(tag.merged_into_id)
            tag = Tag.objects.filter(office=office, pk=tag.merged_into_id).first() or tag
        if tag.is_deprecated:
            refused.append(tag)
        else:
            chosen.add(tag.pk)
    if refused:
        names = "”, “".join(sorted(tag.path or tag.name for tag in refused))
        raise TagRefused(
            _("The tag “%(tags)s” is deprecated: pick a current tag instead.") % {"tags": names},
            code="tag_deprecated",
            details={"tag_ids": sorted(tag.pk for tag in refused)},
        )
    return sorted(chosen)


def _people_of_office(office: Office, person_ids: Iterable[int]) -> list[int]:
    wanted = sorted(set(person_ids))
    found: list[int] = []
    for start in range(0, len(wanted), BATCH):
        chunk = wanted[start : start + BATCH]
        found += Person.objects.for_office(office).filter(pk__in=chunk).values_list("pk", flat=True)
    return sorted(found)


def _refresh_tag_counts(office: Office, tag_ids: Iterable[int]) -> None:
    tag_ids = sorted(set(tag_ids))
    if tag_ids:
        tag_services.refresh_usage_counts(office, tags=Tag.objects.filter(pk__in=tag_ids))


@transaction.atomic
def tag_people(
    office: Office, *, person_ids: Sequence[int], tag_ids: Sequence[int], by: Membership | None
) -> int:
    """Put tags on many people at once. Returns how many tags were added (already there: 0).
    A merged tag puts the tag it was merged into; a deprecated tag is refused (TagRefused)."""
    require(by, "tag.apply", office.pk)
    tags = _pickable_tags(office, tag_ids)
    people = _people_of_office(office, person_ids)
    added: Counter = Counter()
    for start in range(0, len(people), BATCH):
        chunk = people[start : start + BATCH]
        have = set(
            PersonTag.objects.filter(person_id__in=chunk, tag_id__in=tags).values_list(
                "person_id", "tag_id"
            )
        )
        rows = [
            PersonTag(office=office, person_id=pid, tag_id=tid, added_by=by)
            for pid in chunk
            for tid in tags
            if (pid, tid) not in have
        ]
        PersonTag.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
        added.update(row.tag_id for row in rows)
    total = sum(added.values())
    if total:
        _refresh_tag_counts(office, tags)
        audit.record(
            by,
            "person.tagged",
            None,
            office=office,
            changes={"person_ids": people, "tag_ids": tags, "added": total},
            object_repr=_("%(count)s tags on %(people)s people")
            % {"count": total, "people": len(people)},
        )
    return total


@transaction.atomic
def untag_people(
    office: Office, *, person_ids: Sequence[int], tag_ids: Sequence[int], by: Membership | None
) -> int:
    """Take tags off many people at once. Returns how many tags were removed."""
    require(by, "tag.apply", office.pk)
    tags = _tags_of_office(office, tag_ids)
    people = _people_of_office(office, person_ids)
    removed: Counter = Counter()
    for start in range(0, len(people), BATCH):
        links = PersonTag.objects.filter(
            office=office, person_id__in=people[start : start + BATCH], tag_id__in=tags
        )
        removed.update(links.values_list("tag_id", flat=True))
        links.delete()
    total = sum(removed.values())
    if total:
        _refresh_tag_counts(office, tags)
        audit.record(
            by,
            "person.untagged",
            None,
            office=office,
            changes={"person_ids": people, "tag_ids": tags, "removed": total},
            object_repr=_("%(count)s tags off %(people)s people")
            % {"count": total, "people": len(people)},
        )
    return total


# ---------------------------------------------------------------- consent, ids, positions


@transaction.atomic
def set_consent(
    person: Person,
    *,
    by: Membership | None,
    channel: str,
    is_granted: bool,
    source: str,
    given_on: dt.date,
) -> Consent:
    """Record the person's yes or no for a channel (replacing an earlier answer)."""
    require(by, "person.edit", person.office_id)
    if channel not in Channel.values:
        raise ValidationError({"channel": _("“%(value)s” is not a channel.") % {"value": channel}})
    if not _text(source):
        raise ValidationError({"source": _("Say where the consent came from.")})
    if given_on > timezone.localdate():
        raise ValidationError({"given_on": _("That date is in the future.")})
    consent = Consent.objects.filter(person=person, channel=channel).first()
    before = audit.snapshot(consent, ("is_granted", "source", "given_on")) if consent else {}
    if consent is None:
        consent = Consent(office_id=person.office_id, person=person, channel=channel)
    consent.is_granted, consent.source, consent.given_on = bool(is_granted), _text(source), given_on
    consent.save()
    after = audit.snapshot(consent, ("is_granted", "source", "given_on"))
    changes = {f"consent.{channel}.{k}": v for k, v in audit.changes_between(before, after).items()}
    if changes:
        audit.record(by, "person.consent_set", person, changes=changes)
    return consent


@transaction.atomic
def add_external_id(
    person: Person, *, by: Membership | None, system: str, value: str
) -> ExternalId:
    """Link the person to their record in another system; an id belongs to one person."""
    require(by, "person.edit", person.office_id)
    system, value = slugify(system)[:50], _text(value)
    if not system or not value:
        raise ValidationError(_("Give both the system and the id."))
    taken = (
        ExternalId.objects.for_office(person.office_id)
        .filter(system=system, value=value)
        .select_related("person")
        .first()
    )
    if taken is not None:
        if taken.person_id == person.pk:
            return taken
        raise ConstituentRefused(
            _("%(system)s id %(value)s already belongs to %(name)s.")
            % {"system": system, "value": value, "name": taken.person.display_name},
            code="external_id_taken",
        )
    external_id = ExternalId.objects.create(
        office_id=person.office_id, person=person, system=system, value=value
    )
    refresh_search_fields(person)
    audit.record(by, "person.external_id_added", person, changes={system: [None, value]})
    return external_id


@transaction.atomic
def add_position(
    person: Person,
    *,
    by: Membership | None,
    stance: str,
    tag_id: int | None = None,
    bill_number: str = "",
    noted_on: dt.date,
    source: str = "",
) -> Position:
    """Note where the person stands on an issue (a tag) or a bill."""
    require(by, "person.edit", person.office_id)
    if stance not in Stance.values:
        raise ValidationError({"stance": _("“%(value)s” is not a position.") % {"value": stance}})
    bill_number = _text(bill_number).upper()
    if tag_id is None and not bill_number:
        raise ValidationError(_("Say which issue or bill the position is on."))
    if tag_id is not None:
        _same_office(Tag.objects.filter(pk=tag_id).first(), person.office_id, _("tag"))
    position = Position.objects.create(
        office_id=person.office_id,
        person=person,
        stance=stance,
        tag_id=tag_id,
        bill_number=bill_number,
        noted_on=noted_on,
        source=_text(source),
    )
    audit.record(
        by,
        "person.position_added",
        person,
        changes={"position": [None, {"stance": stance, "tag_id": tag_id, "bill": bill_number}]},
    )
    return position


# ---------------------------------------------------------------- households


@transaction.atomic
def create_household(
    office: Office,
    *,
    by: Membership | None,
    name: str,
    joint_salutation: str = "",
    member_ids: Sequence[int] = (),
) -> Household:
    """A household, with the given people moved into it."""
    require(by, "household.edit", office.pk)
    if not _text(name):
        raise ValidationError({"name": _("A household needs a name.")})
    household = Household.objects.create(
        office=office, name=_text(name), joint_salutation=_text(joint_salutation)
    )
    audit.record(by, "household.created", household, changes=_household_snapshot(household))
    for person in Person.objects.for_office(office).filter(pk__in=list(member_ids)):
        add_to_household(household, by=by, person=person)
    if len(set(member_ids)) != household.members.count():
        raise ConstituentRefused(_("Some of those people are not in this office."))
    return household


def _household_snapshot(household: Household) -> dict:
    return {k: [None, v] for k, v in audit.snapshot(household, HOUSEHOLD_FIELDS).items() if v}


@transaction.atomic
def update_household(household: Household, *, by: Membership | None, fields: dict) -> Household:
    require(by, "household.edit", household.office_id)
    before = audit.snapshot(household, HOUSEHOLD_FIELDS)
    for name in set(fields) & set(HOUSEHOLD_FIELDS):
        setattr(household, name, _text(fields[name]))
    if not household.name:
        raise ValidationError({"name": _("A household needs a name.")})
    household.save()
    changes = audit.changes_between(before, audit.snapshot(household, HOUSEHOLD_FIELDS))
    if changes:
        audit.record(by, "household.changed", household, changes=changes)
    return household


@transaction.atomic
def delete_household(household: Household, *, by: Membership | None) -> None:
    """Dissolve a household: its members stay, no longer grouped."""
    require(by, "household.edit", household.office_id)
    members = list(household.members.values_list("pk", flat=True))
    audit.record(by, "household.deleted", household, changes={"members": [members, None]})
    household.delete()


@transaction.atomic
def add_to_household(household: Household, *, by: Membership | None, person: Person) -> Person:
    require(by, "household.edit", household.office_id)
    _same_office(person, household.office_id, _("person"))
    stored = Person.objects.select_for_update().get(pk=person.pk)
    person.household = household
    if stored.household_id == household.pk:
        return person
    old = stored.household_id
    Person.objects.filter(pk=person.pk).update(household=household, updated_at=timezone.now())
    audit.record(by, "person.household_changed", person, changes={"household": [old, household.pk]})
    return person


@transaction.atomic
def remove_from_household(person: Person, *, by: Membership | None) -> Person:
    require(by, "household.edit", person.office_id)
    stored = Person.objects.select_for_update().get(pk=person.pk)
    person.household = None
    if stored.household_id is None:
        return person
    old = stored.household_id
    Person.objects.filter(pk=person.pk).update(household=None, updated_at=timezone.now())
    audit.record(by, "person.household_changed", person, changes={"household": [old, None]})
    return person


# ---------------------------------------------------------------- organizations


def _apply_organization(org: Organization, fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(ORGANIZATION_FIELDS)
    if unknown:
        raise ValueError(f"Not fields of an organization: {', '.join(sorted(unknown))}.")
    errors: dict[str, list[str]] = {}
    for name, value in fields.items():
        if name == "is_active":
            org.is_active = bool(value)
        elif name in ("address", "notes"):
            setattr(org, name, str(value or "").strip())
        else:
            setattr(org, name, _text(value))
    if not org.name:
        errors["name"] = [_("An organization needs a name.")]
    if org.kind not in OrganizationKind.values:
        errors["kind"] = [_("“%(value)s” is not a kind of organization.") % {"value": org.kind}]
    if org.email:
        try:
            org.email = normalize_email(org.email)
        except ValidationError as exc:
            errors["email"] = exc.messages
    if org.phone:
        try:
            org.phone = normalize_phone(org.phone)
        except ValidationError as exc:
            errors["phone"] = exc.messages
    if org.website:
        if "://" not in org.website:
            org.website = "https://" + org.website
        try:
            URLValidator(schemes=["http", "https"])(org.website)
        except ValidationError:
            errors["website"] = [_("“%(value)s” is not a web address.") % {"value": org.website}]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_organization(
    office: Office, *, by: Membership | None, fields: dict[str, Any]
) -> Organization:
    """Add an agency, business, school or group to the directory."""
    require(by, "organization.edit", office.pk)
    org = Organization(office=office)
    _apply_organization(org, fields)
    org.save()
    changes = {k: [None, v] for k, v in audit.snapshot(org, ORGANIZATION_FIELDS).items() if v}
    audit.record(by, "organization.created", org, changes=changes)
    return org


@transaction.atomic
def update_organization(
    org: Organization, *, by: Membership | None, fields: dict[str, Any]
) -> Organization:
    require(by, "organization.edit", org.office_id)
    before = audit.snapshot(org, ORGANIZATION_FIELDS)
    _apply_organization(org, fields)
    org.save()
    changes = audit.changes_between(before, audit.snapshot(org, ORGANIZATION_FIELDS))
    if changes:
        audit.record(by, "organization.changed", org, changes=changes)
    return org


@transaction.atomic
def delete_organization(org: Organization, *, by: Membership | None) -> None:
    """Remove an organization from the directory, with the relationships to it."""
    require(by, "organization.edit", org.office_id)
    changes = {k: [v, None] for k, v in audit.snapshot(org, ORGANIZATION_FIELDS).items() if v}
    audit.record(by, "organization.deleted", org, changes=changes)
    org.delete()


# ---------------------------------------------------------------- relationships


@transaction.atomic
def add_relationship(
    person: Person,
    *,
    by: Membership | None,
    kind: str,
    other_person: Person | None = None,
    organization: Organization | None = None,
    title: str = "",
) -> Relationship:
    """Relate the person to another person ("spouse") or to an organization ("employee")."""
    require(by, "person.edit", person.office_id)
    if (other_person is None) == (organization is None):
        raise ValidationError(_("Relate the person to one other person or one organization."))
    if not _text(kind):
        raise ValidationError({"kind": _("Say how they are related.")})
    if other_person is not None:
        _same_office(other_person, person.office_id, _("person"))
        if other_person.pk == person.pk:
            raise ValidationError(_("A person cannot be related to themselves."))
    if organization is not None:
        _same_office(organization, person.office_id, _("organization"))
    relationship = Relationship.objects.create(
        office_id=person.office_id,
        person=person,
        other_person=other_person,
        organization=organization,
        kind=_text(kind)[:60],
        title=_text(title)[:100],
    )
    target = other_person or organization
    audit.record(
        by,
        "person.relationship_added",
        person,
        changes={"relationship": [None, f"{relationship.kind} of {target} ({target.pk})"]},
    )
    return relationship


@transaction.atomic
def remove_relationship(relationship: Relationship, *, by: Membership | None) -> None:
    require(by, "person.edit", relationship.office_id)
    target = relationship.other_person or relationship.organization
    audit.record(
        by,
        "person.relationship_removed",
        relationship.person,
        changes={"relationship": [f"{relationship.kind} of {target} ({target.pk})", None]},
    )
    relationship.delete()


# ---------------------------------------------------------------- custom fields


@transaction.atomic
def define_custom_field(
    office: Office,
    *,
    by: Membership | None,
    key: str,
    label: str,
    field_type: str,
    choices: Sequence[str] = (),
) -> CustomField:
    """Add a field to the office's people. Choice fields need their choices."""
    require(by, "customfield.manage", office.pk)
    key = slugify(key or label).replace("-", "_")[:50]
    errors: dict[str, list[str]] = {}
    if not key:
        errors["key"] = [_("Give the field a name.")]
    elif CustomField.objects.for_office(office).filter(key=key).exists():
        errors["key"] = [_("The office already has a field “%(key)s”.") % {"key": key}]
    if field_type not in CustomFieldType.values:
        errors["field_type"] = [_("“%(value)s” is not a field type.") % {"value": field_type}]
    cleaned = list(dict.fromkeys(_text(choice) for choice in choices if _text(choice)))
    needs_choices = field_type in (CustomFieldType.CHOICE, CustomFieldType.MULTI_CHOICE)
    if needs_choices and len(cleaned) < 2:
        errors["choices"] = [_("A choice field needs at least two choices.")]
    if errors:
        raise ValidationError(errors)
    position = CustomField.objects.for_office(office).count()
    field = CustomField.objects.create(
        office=office,
        key=key,
        label=_text(label) or key,
        field_type=field_type,
        choices=cleaned if needs_choices else [],
        position=position,
    )
    audit.record(
        by,
        "customfield.defined",
        field,
        changes={"key": [None, key], "field_type": [None, field_type], "choices": [None, cleaned]},
    )
    return field


CUSTOM_FIELD_FIELDS = ("label", "choices", "is_active", "position")


@transaction.atomic
def update_custom_field(
    field: CustomField,
    *,
    by: Membership | None,
    label: str | None = None,
    choices: Sequence[str] | None = None,
    is_active: bool | None = None,
    position: int | None = None,
) -> CustomField:
    """Change a field's label, choices, order or whether it is offered (None: unchanged). Its
    key and type are fixed once created: values stored under the key keep their meaning."""
    require(by, "customfield.manage", field.office_id)
    before = audit.snapshot(field, CUSTOM_FIELD_FIELDS)
    errors: dict[str, list[str]] = {}
    if label is not None:
        if not _text(label):
            errors["label"] = [_("Give the field a label.")]
        field.label = _text(label)[:100]
    if choices is not None:
        cleaned = list(dict.fromkeys(_text(choice) for choice in choices if _text(choice)))
        if field.field_type not in (CustomFieldType.CHOICE, CustomFieldType.MULTI_CHOICE):
            if cleaned:
                errors["choices"] = [_("Only a choice field has choices.")]
        elif len(cleaned) < 2:
            errors["choices"] = [_("A choice field needs at least two choices.")]
        else:
            field.choices = cleaned
    if is_active is not None:
        field.is_active = bool(is_active)
    if position is not None:
        if not 0 <= position <= 32767:
            errors["position"] = [_("A position is a number from 0 to 32767.")]
        else:
            field.position = position
    if errors:
        raise ValidationError(errors)
    changes = audit.changes_between(before, audit.snapshot(field, CUSTOM_FIELD_FIELDS))
    if changes:
        field.save()
        audit.record(by, "customfield.changed", field, changes=changes)
    return field


# ContactKind is re-exported for the doors' defaults.
__all__ += ["ContactKind"]
