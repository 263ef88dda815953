"""Reads for people, households and organizations. Every read starts from an office or a
membership; another office's record is a 404 exactly like a missing one. Viewing a person is
audited ("person.viewed"), from every door."""

import base64
import binascii
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.dateparse import parse_datetime

from civicdesk import audit
from civicdesk.accounts.models import Membership, Office
from civicdesk.core.errors import BadRequest

from .models import (
    Address,
    AddressDistrict,
    CustomField,
    EmailAddress,
    Household,
    Interaction,
    Organization,
    Person,
    PersonTag,
    Phone,
    Relationship,
)
from .search import PersonHit, contains_word, query_words
from .search import search_people as _search_people
from .services import FLAG_FIELDS

__all__ = ["PersonHit"]

PERSON_ORDERS = {
    "name": ("sort_name", "id"),
    "-name": ("-sort_name", "-id"),
    "updated": ("updated_at", "id"),
    "-updated": ("-updated_at", "-id"),
}
TAG_MODES = ("any", "all", "none")


class BadCursor(BadRequest):
    """A cursor this list did not make (or made for another order)."""

    code = "bad_cursor"


class UnknownFlag(BadRequest):
    """A list asked to filter by a flag people do not have."""

    code = "unknown_flag"


# ---------------------------------------------------------------- one person


def _district_links() -> Prefetch:
    return Prefetch(
        "district_links",
        # Not the district's shape: a ward's polygon is a large JSON document.
        queryset=AddressDistrict.objects.select_related("district", "layer")
        .defer("district__geometry", "district__properties")
        .order_by("layer__name"),
    )


def _person_details() -> list:
    return [
        "emails",
        "phones",
        Prefetch(
            "addresses",
            queryset=Address.objects.order_by("-is_primary", "id").prefetch_related(
                _district_links()
            ),
        ),
        Prefetch(
            "tag_links", queryset=PersonTag.objects.select_related("tag").order_by("tag__path")
        ),
        "external_ids",
        "consents",
        Prefetch(
            "relationships",
            queryset=Relationship.objects.select_related("other_person", "organization"),
        ),
    ]


def _people_with_details(office: Office) -> QuerySet[Person]:
    return (
        Person.objects.for_office(office)
        .select_related("household", "created_by__user")
        .prefetch_related(*_person_details())
    )


def get_person(
    member: Membership, person_id: int, *, need: str = "person.view", details: bool = True
) -> Person:
    """Fetch one of the member's office's people with everything shown about them: 404 if
    missing or another office's, 403 if the role lacks `need`. Writes "person.viewed".
    `details=False` skips the contact points and links (a timeline page needs only the row)."""
    if not member.can(need):
        raise PermissionDenied
    people = (
        _people_with_details(member.office) if details else Person.objects.for_office(member.office)
    )
    person = get_object_or_404(people, pk=person_id)
    audit.record(member, "person.viewed", person)
    return person


def person_for_change(member: Membership, person_id: int, *, need: str = "person.edit") -> Person:
    """Like get_person, for a door that changes the person: the change is audited, so
    fetching it is not audited again as a view."""
    if not member.can(need):
        raise PermissionDenied
    return get_object_or_404(_people_with_details(member.office), pk=person_id)


def encode_timeline_cursor(entry: Interaction) -> str:
    """An opaque `before` for the entries older than this one."""
    raw = json.dumps([entry.occurred_at.isoformat(), entry.pk])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_timeline_cursor(cursor: str) -> tuple[dt.datetime, int]:
    try:
        at, entry_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        when = parse_datetime(at)
    except (ValueError, binascii.Error, TypeError) as exc:
        raise BadCursor("That page link is not valid; start from the newest entries.") from exc
    if when is None or not isinstance(entry_id, int):
        raise BadCursor("That page link is not valid; start from the newest entries.")
    return when, entry_id


def person_timeline(
    person: Person, *, limit: int = 50, before: tuple[dt.datetime, int] | None = None
) -> list[Interaction]:
    """The person's interactions, newest first, `limit` at a time: pass the (occurred_at, id)
    of the last one shown as `before` for the next ones."""
    entries = Interaction.objects.filter(person=person).select_related("logged_by__user")
    if before is not None:
        at, entry_id = before
        entries = entries.filter(Q(occurred_at__lt=at) | Q(occurred_at=at, id__lt=entry_id))
    return list(entries.order_by("-occurred_at", "-id")[:limit])


# ---------------------------------------------------------------- lists of people


@dataclass
class PersonFilter:
    text: str = ""
    district_id: int | None = None
    tag_ids: Sequence[int] = ()
    tag_mode: str = "any"  # any | all | none
    flags: Sequence[str] = ()  # FLAG_FIELDS that must be set
    language: str = ""


@dataclass
class PersonPage:
    items: list[Person]
    next_cursor: str | None
    total_count: int


def filtered_people(office: Office, filter: PersonFilter) -> QuerySet[Person]:
    people = Person.objects.for_office(office)
    for word in query_words(filter.text) if filter.text.strip() else ():
        people = people.filter(contains_word(word))
    if filter.district_id is not None:
        people = people.filter(
            Exists(
                AddressDistrict.objects.filter(
                    address__person=OuterRef("pk"), district_id=filter.district_id
                )
            )
        )
    tag_ids = sorted(set(filter.tag_ids))
    if tag_ids:
        if filter.tag_mode not in TAG_MODES:
            raise ValueError(f"tag_mode must be one of {TAG_MODES}, not {filter.tag_mode!r}.")
        links = PersonTag.objects.filter(person=OuterRef("pk"))
        if filter.tag_mode == "any":
            people = people.filter(Exists(links.filter(tag_id__in=tag_ids)))
        elif filter.tag_mode == "none":
            people = people.filter(~Exists(links.filter(tag_id__in=tag_ids)))
        else:
            for tag_id in tag_ids:
                people = people.filter(Exists(links.filter(tag_id=tag_id)))
    for flag in filter.flags:
        if flag not in FLAG_FIELDS:
            raise ValueError(f"{flag!r} is not a flag; use some of {', '.join(FLAG_FIELDS)}.")
        people = people.filter(**{flag: True})
    if filter.language:
        people = people.filter(language=filter.language)
    return people


def _encode_cursor(order: str, person: Person) -> str:
    name = PERSON_ORDERS[order][0].lstrip("-")
    value = getattr(person, name)
    raw = json.dumps([order, value.isoformat() if name == "updated_at" else value, person.pk])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(order: str, cursor: str) -> tuple[Any, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        made_for, value, pk = json.loads(raw)
    except (ValueError, binascii.Error, TypeError) as exc:
        raise BadCursor("That page link is not valid any more; start from the first page.") from exc
    if made_for != order or not isinstance(pk, int):
        raise BadCursor("That page link is for another order; start from the first page.")
    if PERSON_ORDERS[order][0].lstrip("-") == "updated_at":
        value = parse_datetime(str(value))
        if value is None:
            raise BadCursor("That page link is not valid; start from the first page.")
    return value, pk


def person_list(
    office: Office,
    *,
    filter: PersonFilter,
    order: str = "name",
    after: str | None = None,
    limit: int = 50,
) -> PersonPage:
    """One page of the office's people matching `filter`, in `order`. Keyset pagination:
    `after` is the previous page's next_cursor (opaque); never OFFSET, so a page costs the
    same deep in the list. BadCursor for a cursor this order did not make."""
    if order not in PERSON_ORDERS:
        raise ValueError(f"order must be one of {', '.join(PERSON_ORDERS)}, not {order!r}.")
    people = filtered_people(office, filter)
    total_count = people.count()
    name, _tiebreak = PERSON_ORDERS[order]
    page = people
    if after:
        value, pk = _decode_cursor(order, after)
        column = name.lstrip("-")
        # The first condition bounds the index range; the second drops the rows before the
        # cursor among those sharing its value.
        if name.startswith("-"):
            page = page.filter(**{f"{column}__lte": value}).filter(
                Q(**{f"{column}__lt": value}) | Q(id__lt=pk)
            )
        else:
            page = page.filter(**{f"{column}__gte": value}).filter(
                Q(**{f"{column}__gt": value}) | Q(id__gt=pk)
            )
    rows = list(
        page.order_by(*PERSON_ORDERS[order])
        .defer("search_text")
        .prefetch_related(
            Prefetch("emails", queryset=_primary_first(EmailAddress)),
            Prefetch("phones", queryset=_primary_first(Phone)),
            Prefetch("addresses", queryset=_primary_first(Address)),
            Prefetch("tag_links", queryset=PersonTag.objects.select_related("tag")),
        )[: limit + 1]
    )
    next_cursor = _encode_cursor(order, rows[limit - 1]) if len(rows) > limit else None
    return PersonPage(items=rows[:limit], next_cursor=next_cursor, total_count=total_count)


def _primary_first(model: Any) -> QuerySet:
    return model.objects.order_by("-is_primary", "id")


def search_people(office: Office, text: str, *, limit: int = 20) -> list[PersonHit]:
    """The office's people matching a name (typos forgiven), email, phone in any format,
    address, postcode or external id; best first. See search.py."""
    return _search_people(office, text, limit=limit)


# ---------------------------------------------------------------- households and organizations


def household_list(office: Office, *, text: str = "") -> QuerySet[Household]:
    households = Household.objects.for_office(office).annotate(member_count=Count("members"))
    if text:
        households = households.filter(name__icontains=text.strip())
    return households.order_by("name", "id")


def get_household(member: Membership, household_id: int, *, need: str = "person.view") -> Household:
    if not member.can(need):
        raise PermissionDenied
    households = Household.objects.for_office(member.office).prefetch_related(
        Prefetch("members", queryset=Person.objects.defer("search_text").order_by("sort_name"))
    )
    return get_object_or_404(households, pk=household_id)


def household_detail(member: Membership, household_id: int) -> Household:
    """A household with its members (their primary address first), for its page."""
    return get_household(member, household_id)


def organization_list(office: Office, *, kind: str | None = None, text: str = "") -> QuerySet:
    organizations = Organization.objects.for_office(office)
    if kind:
        organizations = organizations.filter(kind=kind)
    if text:
        organizations = organizations.filter(name__icontains=text.strip())
    return organizations.order_by("name", "id")


def get_organization(
    member: Membership, org_id: int, *, need: str = "organization.view"
) -> Organization:
    if not member.can(need):
        raise PermissionDenied
    organizations = Organization.objects.for_office(member.office).prefetch_related(
        Prefetch(
            "contacts",
            queryset=Relationship.objects.select_related("person").order_by("person__sort_name"),
        )
    )
    return get_object_or_404(organizations, pk=org_id)


def get_address(member: Membership, address_id: int, *, need: str = "person.edit") -> Address:
    if not member.can(need):
        raise PermissionDenied
    return get_object_or_404(Address.objects.for_office(member.office), pk=address_id)


def address_with_districts(address: Address) -> Address:
    """The address read again, with its person and its districts (not their shapes)."""
    addresses = Address.objects.select_related("person").prefetch_related(_district_links())
    return addresses.get(pk=address.pk)


def custom_field_list(office: Office) -> QuerySet[CustomField]:
    """The office's custom fields, in the order the person form shows them."""
    return CustomField.objects.for_office(office).order_by("position", "label", "id")


def get_custom_field(
    member: Membership, field_id: int, *, need: str = "person.view"
) -> CustomField:
    if not member.can(need):
        raise PermissionDenied
    return get_object_or_404(CustomField.objects.for_office(member.office), pk=field_id)
