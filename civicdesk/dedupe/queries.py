"""Reads of duplicates: the review queue, one pair, the merge history, the office's settings,
and the people of an office as the engine compares them (read in bulk, a few queries for a
million people). Another office's pair or merge is a 404 exactly like a missing one."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from civicdesk import audit
from civicdesk.accounts.models import Membership, Office
from civicdesk.constituents.models import Address, EmailAddress, ExternalId, Person, Phone
from civicdesk.core.errors import BadRequest

from .links import person_links
from .models import DedupeSettings, DuplicatePair, Merge, PairStatus

# The queue's tabs: what each shows.
QUEUE_FILTERS: dict[str, tuple[str, ...]] = {
    "pending": (PairStatus.PENDING,),
    "later": (PairStatus.LATER,),
    "decided": (PairStatus.NOT_DUPLICATE, PairStatus.MERGED),
}
CHUNK = 20_000


class UnknownQueue(BadRequest):
    code = "unknown_queue"


# ---------------------------------------------------------------- people as the engine sees them


def _person_rows(office: Office, ids: Iterable[int] | None) -> QuerySet:
    people = Person.objects.for_office(office)
    return people if ids is None else people.filter(pk__in=list(ids))


def _related_rows(model, office: Office, ids: list[int] | None, *columns: str) -> Iterable[tuple]:
    rows = model.objects.for_office(office)
    if ids is not None:
        rows = rows.filter(person_id__in=ids)
    return rows.order_by().values_list("person_id", "is_primary", *columns).iterator(CHUNK)


def person_values(office: Office, ids: Iterable[int] | None = None) -> dict[int, dict[str, Any]]:
    """The office's people (or those of `ids`) as `engine.record_from_values` takes them:
    {id: {"id", names, "birth_date", "birth_year", "gender", "emails", "phones",
    "addresses": [(line1, city, postcode)], "external_ids": ["system:value"]}}, primary contact
    points first. Five queries whatever the number of people (no per-person query, no sort)."""
    wanted = None if ids is None else sorted(set(ids))
    people = _person_rows(office, wanted).order_by()
    columns = ("pk", "first_name", "middle_name", "last_name", "preferred_name", "birth_date",
               "birth_year", "gender")  # fmt: skip
    values: dict[int, dict[str, Any]] = {}
    for pk, first, middle, last, preferred, born_on, born_in, gender in people.values_list(
        *columns
    ).iterator(CHUNK):
        values[pk] = {
            "id": pk, "first_name": first, "middle_name": middle, "last_name": last,
            "preferred_name": preferred, "birth_date": born_on, "birth_year": born_in,
            "gender": gender, "emails": [], "phones": [], "addresses": [], "external_ids": [],
        }  # fmt: skip

    def attach(key: str, rows: Iterable[tuple], value) -> None:
        for person_id, is_primary, *cells in rows:
            person = values.get(person_id)
            if person is None:
                continue
            items = person[key]
            if is_primary:
                items.insert(0, value(cells))
            else:
                items.append(value(cells))

    attach("emails", _related_rows(EmailAddress, office, wanted, "email"), lambda c: c[0])
    attach("phones", _related_rows(Phone, office, wanted, "number"), lambda c: c[0])
    attach(
        "addresses",
        _related_rows(Address, office, wanted, "line1", "city", "postcode"),
        tuple,
    )
    external = ExternalId.objects.for_office(office)
    if wanted is not None:
        external = external.filter(person_id__in=wanted)
    for person_id, system, value in (
        external.order_by().values_list("person_id", "system", "value").iterator(CHUNK)
    ):
        if person_id in values:
            values[person_id]["external_ids"].append(f"{system}:{value}")
    return values


# ---------------------------------------------------------------- the queue and one pair


def pair_list(office: Office, *, queue: str = "pending") -> QuerySet[DuplicatePair]:
    """Pairs of one tab of the queue, best first. Open tabs list only pairs whose two people
    are both still there."""
    if queue not in QUEUE_FILTERS:
        raise UnknownQueue(
            f"Unknown queue {queue!r}: use one of {', '.join(QUEUE_FILTERS)}.",
            details={"known": list(QUEUE_FILTERS)},
        )
    pairs = DuplicatePair.objects.for_office(office).filter(status__in=QUEUE_FILTERS[queue])
    if queue != "decided":
        pairs = pairs.filter(person_a__isnull=False, person_b__isnull=False)
    return (
        pairs.select_related("person_a", "person_b", "decided_by__user")
        .prefetch_related(
            Prefetch(
                "merges",
                queryset=Merge.objects.order_by("-at").only(
                    "pk", "pair_id", "merged_id", "merged_name", "survivor_id", "undone_at"
                ),
            )  # fmt: skip
        )
        .order_by("-probability", "id")
    )


def queue_counts(office: Office) -> dict[str, int]:
    """How many pairs each tab of the queue holds."""
    rows = (
        DuplicatePair.objects.for_office(office)
        .order_by()
        .values("status")
        .annotate(
            n=Count(
                "pk",
                filter=Q(person_a__isnull=False, person_b__isnull=False)
                | Q(status=PairStatus.MERGED),
            )
        )  # fmt: skip
    )
    by_status = {row["status"]: row["n"] for row in rows}
    return {
        queue: sum(by_status.get(status, 0) for status in statuses)
        for queue, statuses in QUEUE_FILTERS.items()
    }


def get_pair(member: Membership, pair_id: int, *, need: str = "dedupe.review") -> DuplicatePair:
    """One of the office's pairs: 404 if missing or another office's, 403 without `need`.
    Not audited here: the page that shows the two people records "dedupe.pair_viewed"."""
    if not member.can(need):
        raise PermissionDenied
    pairs = DuplicatePair.objects.for_office(member.office).select_related(
        "person_a__household", "person_b__household", "decided_by__user"
    )
    return get_object_or_404(pairs, pk=pair_id)


def record_pair_viewed(member: Membership, pair: DuplicatePair) -> None:
    """The two people of a pair were shown: one event per person, so each person's history
    lists who looked."""
    for person in (pair.person_a, pair.person_b):
        if person is not None:
            audit.record(member, "dedupe.pair_viewed", person, changes={"pair_id": pair.pk})


def next_pair(office: Office, *, after: DuplicatePair | None = None) -> DuplicatePair | None:
    """The best pending pair, other than `after`: what to review next."""
    pairs = pair_list(office, queue="pending")
    if after is not None:
        pairs = pairs.exclude(pk=after.pk)
    return pairs.first()


@dataclass(frozen=True)
class Holding:
    """How many rows of one kind point at each of the two people ("3 cases", "12 timeline
    entries"): what moves with a merge."""

    label: str
    count_a: int
    count_b: int


# What the pair page calls the rows pointing at a person, by "app.Model.field". Contact points,
# ids and tags are listed in full on the page; Case.primary_person is counted by its party row.
HOLDING_LABELS = {
    "constituents.Interaction.person": _("Timeline entries"),
    "constituents.Consent.person": _("Consents"),
    "constituents.Position.person": _("Positions on issues"),
    "constituents.Relationship.person": _("Relationships"),
    "constituents.Relationship.other_person": _("Related to by others"),
    "casework.CaseParty.person": _("Cases"),
    "casework.Case.agency_contact": _("Cases as the agency's contact"),
    "casework.PrivacyRelease.person": _("Privacy releases"),
    "casework.CaseStatusLink.person": _("Case status links"),
    "dedupe.Merge.survivor": _("Earlier merges into them"),
}
HOLDINGS_SHOWN_ELSEWHERE = {
    "constituents.EmailAddress.person", "constituents.Phone.person",
    "constituents.Address.person", "constituents.ExternalId.person",
    "constituents.PersonTag.person", "casework.Case.primary_person",
}  # fmt: skip


def holdings(person_a: Person | None, person_b: Person | None) -> list[Holding]:
    """Everything else that points at either person, by kind, counted (a query per kind)."""
    ids = [p.pk for p in (person_a, person_b) if p is not None]
    found = []
    for field in person_links():
        model = field.model
        key = f"{model._meta.label}.{field.name}"
        if model._meta.auto_created or key in HOLDINGS_SHOWN_ELSEWHERE:
            continue
        counts = dict(
            model._base_manager.filter(**{f"{field.attname}__in": ids})
            .order_by()
            .values_list(field.attname)
            .annotate(n=Count("pk"))
        )
        a = counts.get(person_a.pk, 0) if person_a else 0
        b = counts.get(person_b.pk, 0) if person_b else 0
        if a or b:
            label = HOLDING_LABELS.get(key) or f"{model._meta.verbose_name} ({field.verbose_name})"
            found.append(Holding(str(label), a, b))
    return found


# ---------------------------------------------------------------- merges and settings


def merge_list(office: Office) -> QuerySet[Merge]:
    """The office's merges, newest first."""
    return (
        Merge.objects.for_office(office)
        .select_related("survivor", "by__user", "undone_by__user")
        .defer("snapshot")
        .order_by("-at", "-id")
    )


def get_merge(member: Membership, merge_id: int, *, need: str = "dedupe.review") -> Merge:
    """One of the office's merges: 404 if missing or another office's, 403 without `need`."""
    if not member.can(need):
        raise PermissionDenied
    return get_object_or_404(Merge.objects.for_office(member.office), pk=merge_id)


def settings_of(office: Office) -> DedupeSettings:
    """The office's duplicate settings (defaults until an admin or a scan writes them)."""
    found = DedupeSettings.objects.filter(office=office).first()
    return found or DedupeSettings(office=office)


def pair_people(pair: DuplicatePair) -> tuple[Person | None, Person | None]:
    """The two people of a pair with what the pair page shows of them (a side is None once
    merged away)."""
    ids = [pk for pk in (pair.person_a_id, pair.person_b_id) if pk is not None]
    people = (
        Person.objects.for_office(pair.office_id)
        .select_related("household")
        .prefetch_related("emails", "phones", "addresses", "external_ids", "tag_links__tag")
    )
    found = people.in_bulk(ids)
    return found.get(pair.person_a_id), found.get(pair.person_b_id)


# ---------------------------------------------------------------- the warning's reads, in raw SQL
# The person form's check runs while staff wait: three statements instead of a dozen ORM
# queries (their compiling, not the database, was most of the time). Table names come from the
# models and every value is a parameter (hence the noqa: S608); the SQL is the same on both
# databases but for the name prefix (see _prefix_sql).


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _marks(values: list) -> str:
    return ", ".join(["%s"] * len(values))


def _prefix_sql(prefix: str) -> tuple[str, list]:
    """sort_name starts with `prefix` (folded words: no LIKE wildcards in it), answered by an
    index: on PostgreSQL a LIKE served by the varchar_pattern_ops index of constituents'
    migration 0006; on SQLite a range over the plain index."""
    if connection.vendor == "postgresql":
        return "sort_name LIKE %s", [prefix + "%"]
    return "sort_name >= %s AND sort_name < %s", [prefix, prefix + "\U0010ffff"]


@dataclass(frozen=True)
class Lookup:
    """One indexed way to people who may be the one described, and how many it may bring."""

    kind: str  # "email", "phone", "name" (a sort-name prefix), "address" (line1, postcode)
    values: tuple
    limit: int


def candidate_ids(office: Office, lookups: Iterable[Lookup]) -> list[int]:
    """The people the lookups find, in the order given, each once: one statement."""
    parts, params = [], []
    for lookup in lookups:
        if lookup.kind == "email":
            sql = f"SELECT person_id FROM {_table(EmailAddress)} WHERE office_id = %s AND email IN ({_marks(list(lookup.values))})"  # noqa: S608
            args = [office.pk, *lookup.values]
        elif lookup.kind == "phone":
            sql = f"SELECT person_id FROM {_table(Phone)} WHERE office_id = %s AND number IN ({_marks(list(lookup.values))})"  # noqa: S608
            args = [office.pk, *lookup.values]
        elif lookup.kind == "name":
            condition, args = _prefix_sql(lookup.values[0])
            sql = f"SELECT id FROM {_table(Person)} WHERE office_id = %s AND {condition} ORDER BY sort_name, id"  # noqa: S608
            args = [office.pk, *args]
        else:
            line1, postcode = lookup.values
            sql = f"SELECT person_id FROM {_table(Address)} WHERE office_id = %s AND line1 = %s"  # noqa: S608
            args = [office.pk, line1]
            if postcode:
                sql += " AND postcode = %s"
                args.append(postcode)
        parts.append(f"SELECT * FROM ({sql} LIMIT {int(lookup.limit)}) AS c{len(parts)}")  # noqa: S608
        params += args
    if not parts:
        return []
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return list(dict.fromkeys(row[0] for row in cursor.fetchall()))


def few_person_values(office: Office, ids: list[int]) -> dict[int, dict[str, Any]]:
    """person_values of a few people (the warning's candidates): two statements."""
    if not ids:
        return {}
    marks = _marks(ids)
    values: dict[int, dict[str, Any]] = {}
    person = Person._meta
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, first_name, middle_name, last_name, preferred_name, birth_date, "  # noqa: S608
            f"birth_year, gender FROM {_table(Person)} WHERE office_id = %s AND id IN ({marks})",
            [office.pk, *ids],
        )
        birth_date = person.get_field("birth_date")
        for pk, first, middle, last, preferred, born_on, born_in, gender in cursor.fetchall():
            values[pk] = {
                "id": pk, "first_name": first, "middle_name": middle, "last_name": last,
                "preferred_name": preferred, "birth_date": birth_date.to_python(born_on),
                "birth_year": born_in, "gender": gender, "emails": [], "phones": [],
                "addresses": [], "external_ids": [],
            }  # fmt: skip
        where = f"office_id = %s AND person_id IN ({marks})"
        cursor.execute(
            f"SELECT person_id, 'e', is_primary, email, '', '' FROM {_table(EmailAddress)} WHERE {where}"  # noqa: S608
            f" UNION ALL SELECT person_id, 'p', is_primary, number, '', '' FROM {_table(Phone)} WHERE {where}"
            f" UNION ALL SELECT person_id, 'a', is_primary, line1, city, postcode FROM {_table(Address)} WHERE {where}"
            f" UNION ALL SELECT person_id, 'x', is_primary, system, value, '' FROM"
            f" (SELECT person_id, 1 = 0 AS is_primary, system, value FROM {_table(ExternalId)} WHERE {where}) AS x",
            [office.pk, *ids] * 4,
        )  # fmt: skip
        for person_id, kind, is_primary, first, second, third in cursor.fetchall():
            found = values.get(person_id)
            if found is None:
                continue
            if kind == "x":
                found["external_ids"].append(f"{first}:{second}")
                continue
            key, value = {"e": ("emails", first), "p": ("phones", first),
                          "a": ("addresses", (first, second, third))}[kind]  # fmt: skip
            if is_primary:
                found[key].insert(0, value)
            else:
                found[key].append(value)
    return values
