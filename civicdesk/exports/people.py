"""People lists as rows: the columns of an export and the office's people read in keyset chunks
with their contact points, districts, tags and ids (seven queries per chunk, never one per
person), so that a million people export in constant memory."""

import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import F, Q, QuerySet

from civicdesk.accounts.models import Office
from civicdesk.constituents.models import (
    PERSON_FLAGS,
    Address,
    AddressDistrict,
    CustomField,
    EmailAddress,
    ExternalId,
    Person,
    PersonTag,
    Phone,
)
from civicdesk.constituents.queries import PersonFilter, filtered_people
from civicdesk.constituents.validation import format_phone
from civicdesk.geo.models import DistrictLayer

CHUNK_SIZE = 1000
ORDERS = {
    "name": ("sort_name", "id"),
    "-name": ("-sort_name", "-id"),
    "updated": ("updated_at", "id"),
    "-updated": ("-updated_at", "-id"),
}
NAME_COLUMNS = (
    "prefix", "first_name", "middle_name", "last_name", "suffix", "preferred_name", "salutation",
)  # fmt: skip
ADDRESS_COLUMNS = ("line1", "line2", "city", "region", "postcode", "country")


@dataclass(slots=True)
class EmailRow:
    email: str
    kind: str
    is_primary: bool


@dataclass(slots=True)
class PhoneRow:
    number: str
    extension: str
    kind: str
    is_primary: bool


@dataclass(slots=True)
class AddressRow:
    line1: str
    line2: str
    city: str
    region: str
    postcode: str
    country: str
    kind: str
    is_primary: bool
    latitude: float | None
    longitude: float | None
    districts: dict[int, str] = field(default_factory=dict)  # layer id -> district name


@dataclass(slots=True)
class PersonDetails:
    """A person and what an export shows of them, primary contact points first."""

    person: Person
    emails: list[EmailRow] = field(default_factory=list)
    phones: list[PhoneRow] = field(default_factory=list)
    addresses: list[AddressRow] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)  # tag paths
    external_ids: list[tuple[str, str]] = field(default_factory=list)  # (system, value)
    household: str = ""


def _grouped(rows: Any) -> dict[int, list[tuple]]:
    """Rows whose first value is a person id, grouped by it (in the order read)."""
    groups: dict[int, list[tuple]] = defaultdict(list)
    for row in rows:
        groups[row[0]].append(row[1:])
    return groups


def with_details(people: list[Person]) -> list[PersonDetails]:
    """The people with their contact points, districts, tags and ids: six queries for the
    whole list, whatever its length (Django's prefetch_related costs a queryset clone per
    person and relation, which dominated an export)."""
    ids = [person.pk for person in people]
    ordered = ("person_id", "-is_primary", "id")
    emails = _grouped(
        EmailAddress.objects.filter(person_id__in=ids)
        .order_by(*ordered)
        .values_list("person_id", "email", "kind", "is_primary")
    )
    phones = _grouped(
        Phone.objects.filter(person_id__in=ids)
        .order_by(*ordered)
        .values_list("person_id", "number", "extension", "kind", "is_primary")
    )
    address_rows = list(
        Address.objects.filter(person_id__in=ids)
        .order_by(*ordered)
        .values_list(
            "person_id", "id", "line1", "line2", "city", "region", "postcode", "country",
            "kind", "is_primary", "latitude", "longitude",
        )
    )  # fmt: skip
    districts: dict[int, dict[int, str]] = defaultdict(dict)
    links = AddressDistrict.objects.filter(address_id__in=[row[1] for row in address_rows])
    for address_id, layer_id, name in links.values_list("address_id", "layer_id", "district__name"):
        districts[address_id][layer_id] = name
    addresses: dict[int, list[AddressRow]] = defaultdict(list)
    for person_id, address_id, *values in address_rows:
        addresses[person_id].append(AddressRow(*values, districts=districts.get(address_id, {})))
    tags = _grouped(
        PersonTag.objects.filter(person_id__in=ids)
        .order_by("person_id", "tag__path")
        .values_list("person_id", "tag__path")
    )
    external_ids = _grouped(
        ExternalId.objects.filter(person_id__in=ids)
        .order_by("person_id", "system", "id")
        .values_list("person_id", "system", "value")
    )
    return [
        PersonDetails(
            person=person,
            emails=[EmailRow(*row) for row in emails.get(person.pk, ())],
            phones=[PhoneRow(*row) for row in phones.get(person.pk, ())],
            addresses=addresses.get(person.pk, []),
            tags=[row[0] for row in tags.get(person.pk, ())],
            external_ids=list(external_ids.get(person.pk, ())),
            household=getattr(person, "household_name", None) or "",
        )
        for person in people
    ]


def _after(people: QuerySet, order: str, last: Person) -> QuerySet:
    """The people after `last` in `order`: the keyset condition of the next chunk. The first
    condition bounds the index range (without it a database scans the list from its start for
    every chunk); the second drops the rows before `last` among those sharing its value."""
    name = ORDERS[order][0]
    column = name.lstrip("-")
    value = getattr(last, column)
    if name.startswith("-"):
        return people.filter(**{f"{column}__lte": value}).filter(
            Q(**{f"{column}__lt": value}) | Q(id__lt=last.pk)
        )
    return people.filter(**{f"{column}__gte": value}).filter(
        Q(**{f"{column}__gt": value}) | Q(id__gt=last.pk)
    )


def iter_people(
    office: Office,
    filter: PersonFilter,
    *,
    order: str = "name",
    chunk_size: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Iterator[PersonDetails]:
    """The office's people matching `filter`, in `order`, with what an export shows of them,
    read `chunk_size` at a time (keyset, never OFFSET). `progress(done)` after each chunk."""
    if order not in ORDERS:
        raise ValueError(f"order must be one of {', '.join(ORDERS)}, not {order!r}.")
    chunk_size = chunk_size or CHUNK_SIZE
    people = (
        filtered_people(office, filter)
        .order_by(*ORDERS[order])
        .defer("search_text", "concern_reason")
        .annotate(household_name=F("household__name"))
    )
    done, last = 0, None
    while True:
        page = people if last is None else _after(people, order, last)
        chunk = list(page[:chunk_size])
        yield from with_details(chunk)
        done += len(chunk)
        if progress is not None:
            progress(done)
        if len(chunk) < chunk_size:
            return
        last = chunk[-1]


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _custom_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _yes_no(value)
    if isinstance(value, list | tuple):
        return "; ".join(str(item) for item in value)
    if isinstance(value, int | float):
        return value
    return str(value)


class PeopleSheet:
    """The columns of a people export of one office, and one row per person. Column names are
    the import's field names where there is one (`first_name`, `postcode`, `district:<layer>`,
    `custom:<key>`...)."""

    def __init__(self, office: Office, *, may_see_concern: bool):
        self.zone = zoneinfo.ZoneInfo(office.time_zone or "UTC")
        self.layers = list(
            DistrictLayer.objects.for_office(office)
            .order_by("name", "id")
            .values_list("pk", "slug")
        )
        self.custom_fields = list(
            CustomField.objects.for_office(office)
            .filter(is_active=True)
            .order_by("position", "label", "id")
            .values_list("key", flat=True)
        )
        self.id_systems = sorted(
            set(ExternalId.objects.for_office(office).values_list("system", flat=True).distinct())
        )
        self.flags = [f for f in PERSON_FLAGS if f != "is_of_concern" or may_see_concern]

    def header(self) -> list[str]:
        return [
            "id",
            *NAME_COLUMNS,
            "birth_date", "birth_year", "gender", "pronouns", "language",
            "email", "other_emails", "phone", "other_phones",
            *ADDRESS_COLUMNS, "latitude", "longitude",
            *(f"district:{slug}" for _pk, slug in self.layers),
            "household", "tags",
            *self.flags,
            *(f"custom:{key}" for key in self.custom_fields),
            *(f"external_id:{system}" for system in self.id_systems),
            "created_at", "updated_at",
        ]  # fmt: skip

    def _when(self, at: datetime | None) -> str:
        return at.astimezone(self.zone).strftime("%Y-%m-%d %H:%M:%S") if at else ""

    def row(self, details: PersonDetails) -> list[Any]:
        person = details.person
        emails = [e.email for e in details.emails]
        phones = [
            format_phone(p.number) + (f" ext. {p.extension}" if p.extension else "")
            for p in details.phones
        ]
        address = details.addresses[0] if details.addresses else None
        districts = address.districts if address else {}
        ids: dict[str, list[str]] = {}
        for system, value in details.external_ids:
            ids.setdefault(system, []).append(value)
        custom = person.custom or {}
        return [
            person.pk,
            *(getattr(person, name) for name in NAME_COLUMNS),
            person.birth_date.isoformat() if person.birth_date else "",
            person.birth_year if person.birth_year is not None else "",
            person.gender, person.pronouns, person.language,
            emails[0] if emails else "", "; ".join(emails[1:]),
            phones[0] if phones else "", "; ".join(phones[1:]),
            *(getattr(address, name) if address else "" for name in ADDRESS_COLUMNS),
            address.latitude if address and address.latitude is not None else "",
            address.longitude if address and address.longitude is not None else "",
            *(districts.get(pk, "") for pk, _slug in self.layers),
            details.household,
            "; ".join(details.tags),
            *(_yes_no(getattr(person, flag)) for flag in self.flags),
            *(_custom_value(custom.get(key)) for key in self.custom_fields),
            *("; ".join(ids.get(system, [])) for system in self.id_systems),
            self._when(person.created_at), self._when(person.updated_at),
        ]  # fmt: skip
