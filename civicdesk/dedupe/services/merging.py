"""Merging two people into one, and undoing it.

`merge` moves every row that points at the removed person to the survivor. The rows are found
generically: every foreign key to constituents.Person of every installed model, hidden ones
(related_name="+") and auto-created many-to-many tables included — which
`Person._meta.related_objects` leaves out — so that no app is imported here and a module added
later is moved too. Before the move, rows that would break a unique constraint are settled:

- a row that may exist once per person (a tag, a consent per channel, a party of a case): one of
  the two is removed, the survivor's unless KEEP_ON_CLASH prefers the other's;
- a flag one row per person may carry (the primary email, phone, address): the removed
  person's row stays, without the flag;
- the same email address or phone number twice: the removed person's copy is removed;
- a relationship between the two people themselves is removed.

Everything done is written to a journal kept in `Merge.snapshot` (the removed rows serialized
with django.core.serializers, the rows moved, the values changed, the rows created), from which
`undo_merge` gives the removed person back with the same id, moves the rows back, recreates
the removed rows and reverts the values that nobody changed since.
"""

import datetime as dt
import json
from collections.abc import Callable, Sequence
from typing import Any

from django.apps import apps
from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, IntegrityError, models, transaction
from django.db.models import Q, QuerySet
from django.db.models.deletion import Collector, ProtectedError, RestrictedError
from django.utils import timezone
from django.utils.translation import gettext as _

from civicdesk import audit
from civicdesk.accounts.models import Membership
from civicdesk.constituents import services as constituent_services
from civicdesk.constituents.models import PERSON_FLAGS, Person, PersonTag
from civicdesk.core.access import require
from civicdesk.dedupe.errors import MergeRefused, UndoRefused
from civicdesk.dedupe.links import person_links
from civicdesk.dedupe.models import DuplicatePair, Merge, PairStatus
from civicdesk.tags import services as tag_services
from civicdesk.tags.models import Tag

__all__ = ["CHOOSABLE_FIELDS", "FLAG_FIELDS", "VALUE_FIELDS", "merge", "undo_merge"]

# Fields whose value the merge form offers to take from the removed person. Without a choice,
# a blank survivor field takes the other's value, so nothing known is lost.
VALUE_FIELDS = (
    "prefix", "first_name", "middle_name", "last_name", "suffix", "preferred_name",
    "salutation", "birth_date", "birth_year", "language", "gender", "pronouns", "household",
    "concern_reason",
)  # fmt: skip
# Yes/no flags: without a choice, set when either person has it ("do not call" holds).
FLAG_FIELDS = PERSON_FLAGS
CHOOSABLE_FIELDS = (*VALUE_FIELDS, *FLAG_FIELDS, "custom")
SIDES = ("survivor", "other")

# Models whose two person fields may link the two people being merged: such a row would link
# the survivor to itself, so it is removed.
SELF_LINKS: dict[str, tuple[str, str]] = {"constituents.Relationship": ("person", "other_person")}
# The removed person's copy of a value the survivor already has is removed (model -> fields).
VALUE_DUPLICATES: dict[str, tuple[str, ...]] = {
    "constituents.EmailAddress": ("email",),
    "constituents.Phone": ("number", "extension"),
}


def _newer_consent(mine: Any, theirs: Any) -> bool:
    """The latest answer stands; given the same day, the refusal."""
    return (theirs.given_on, not theirs.is_granted) > (mine.given_on, not mine.is_granted)


def _primary_party(mine: Any, theirs: Any) -> bool:
    """The case's constituent stays its constituent."""
    return theirs.role == "primary" and mine.role != "primary"


# Two rows that may exist once (per channel, per case...): True keeps the removed person's row
# (and removes the survivor's). Without an entry, the survivor's row stays.
KEEP_ON_CLASH: dict[str, Callable[[Any, Any], bool]] = {
    "constituents.Consent": _newer_consent,
    "casework.CaseParty": _primary_party,
}


class _Exact(DjangoJSONEncoder):
    """DjangoJSONEncoder keeping every microsecond (it cuts times to milliseconds), so that an
    undo puts back exactly the stored values."""

    def default(self, o: Any) -> Any:
        if isinstance(o, dt.datetime | dt.time):
            return o.isoformat()
        return super().default(o)


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, cls=_Exact))


def _serialized(rows: Sequence[models.Model]) -> list[dict]:
    return _plain(serializers.serialize("python", rows))


# ---------------------------------------------------------------- the journal


class _KeepEveryRow(Collector):
    """Collects every row a delete takes with it, never deleting "fast" (unseen), so that each
    one is serialized for the undo."""

    def can_fast_delete(self, *args: Any, **kwargs: Any) -> bool:
        return False


class Journal:
    """What a merge did, in the order it did it, JSON-able."""

    def __init__(self) -> None:
        self.removed: list[dict] = []  # {"model", "data": serialized rows}, in removal order
        self.moved: list[dict] = []  # {"model", "field", "pks"}: field set to the survivor
        self.changed: list[dict] = []  # {"model", "pk", "field", "old", "new"}
        self.created: list[dict] = []  # {"model", "pk"}

    def to_dict(self) -> dict:
        return {
            "version": 1,
            "removed": self.removed,
            "moved": self.moved,
            "changed": self.changed,
            "created": self.created,
        }

    def change(self, model: type[models.Model], pk: Any, field: models.Field, old, new) -> None:
        label = model._meta.label
        self.changed.append(
            {
                "model": label,
                "pk": pk,
                "field": field.attname,
                "old": _plain(old),
                "new": _plain(new),
            }
        )

    def update(self, obj: models.Model, field_name: str, value: Any) -> None:
        """Set a field of a row (saved by the caller), journaled."""
        field = obj._meta.get_field(field_name)
        old = getattr(obj, field.attname)
        if old != value:
            self.change(type(obj), obj.pk, field, old, value)
            setattr(obj, field.attname, value)

    def move(self, field: models.ForeignKey, from_id: int, to_id: int) -> int:
        model = field.model
        pks = list(
            model._base_manager.filter(**{field.attname: from_id}).values_list("pk", flat=True)
        )
        if pks:
            model._base_manager.filter(pk__in=pks).update(**{field.attname: to_id})
            self.moved.append({"model": model._meta.label, "field": field.attname, "pks": pks})
        return len(pks)

    def remove(self, objs: Sequence[models.Model]) -> None:
        """Delete rows and everything their deletion takes or changes, keeping all of it."""
        if not objs:
            return
        collector = _KeepEveryRow(using=DEFAULT_DB_ALIAS)
        try:
            collector.collect(list(objs))
        except (ProtectedError, RestrictedError) as exc:
            raise MergeRefused(
                _("These people cannot be merged: %(reason)s") % {"reason": exc.args[0]}
            ) from exc
        collector.sort()
        for (field, value), groups in collector.field_updates.items():
            for group in groups:
                if isinstance(group, QuerySet):
                    rows = list(group.values_list("pk", field.attname))
                else:
                    rows = [(obj.pk, getattr(obj, field.attname)) for obj in group]
                for pk, old in rows:
                    self.change(field.model, pk, field, old, value)
        for model, instances in collector.data.items():
            if instances:
                rows = sorted(instances, key=lambda obj: obj.pk)
                self.removed.append({"model": model._meta.label, "data": _serialized(rows)})
        collector.delete()


# ---------------------------------------------------------------- merging


def _check_choices(choices: dict[str, str]) -> None:
    unknown = sorted(set(choices) - set(CHOOSABLE_FIELDS))
    if unknown:
        raise MergeRefused(
            _("These fields cannot be chosen in a merge: %(fields)s.")
            % {"fields": ", ".join(unknown)}
        )
    wrong = sorted(name for name, side in choices.items() if side not in SIDES)
    if wrong:
        raise MergeRefused(
            _("Choose “survivor” or “other” for: %(fields)s.") % {"fields": ", ".join(wrong)}
        )


def _is_blank(value: Any) -> bool:
    return value is None or value == "" or value == {}


def _take_values(
    survivor: Person, other: Person, choices: dict[str, str], journal: Journal
) -> list[str]:
    """Copy the chosen (or missing) values from `other` onto `survivor`; the names changed."""
    changed = []
    for name in VALUE_FIELDS:
        field = Person._meta.get_field(name)
        mine, theirs = getattr(survivor, field.attname), getattr(other, field.attname)
        pick = choices.get(name)
        wanted = pick == "other" or (pick is None and _is_blank(mine) and not _is_blank(theirs))
        if wanted and mine != theirs:
            journal.update(survivor, name, theirs)
            changed.append(name)
    for name in FLAG_FIELDS:
        mine, theirs = getattr(survivor, name), getattr(other, name)
        value = {"survivor": mine, "other": theirs}.get(choices.get(name, ""), mine or theirs)
        if value != mine:
            journal.update(survivor, name, value)
            changed.append(name)
    mine, theirs = survivor.custom or {}, other.custom or {}
    custom = {**mine, **theirs} if choices.get("custom") == "other" else {**theirs, **mine}
    if custom != mine:
        journal.update(survivor, "custom", custom)
        changed.append("custom")
    return changed


def _settle_pairs(
    survivor: Person, other: Person, journal: Journal, *, by: Membership | None, now: dt.datetime
) -> DuplicatePair | None:
    """Mark the pair of the two merged (if a scan found it); carry the removed person's "not a
    duplicate" decisions over to the survivor; drop the removed person's open pairs (the next
    scan compares the survivor afresh)."""
    low, high = sorted((survivor.pk, other.pk))
    pair = DuplicatePair.objects.filter(person_a_id=low, person_b_id=high).first()
    if pair is not None:
        journal.update(pair, "status", PairStatus.MERGED)
        journal.update(pair, "decided_by", by.pk if by else None)
        journal.update(pair, "decided_at", now)
        pair.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    others = DuplicatePair.objects.filter(Q(person_a=other) | Q(person_b=other))
    if pair is not None:
        others = others.exclude(pk=pair.pk)
    drop = []
    for row in others.order_by("pk"):
        side = "person_a" if row.person_a_id == other.pk else "person_b"
        third = row.person_b_id if side == "person_a" else row.person_a_id
        if row.status == PairStatus.MERGED:  # history of an earlier merge: it follows the person
            journal.update(row, side, survivor.pk)
            row.save(update_fields=[side, "updated_at"])
        elif row.status == PairStatus.NOT_DUPLICATE and third is not None:
            _carry_not_duplicate(row, survivor, third, journal)
            drop.append(row)
        else:
            drop.append(row)
    journal.remove(drop)
    return pair


def _carry_not_duplicate(
    row: DuplicatePair, survivor: Person, third: int, journal: Journal
) -> None:
    a, b = sorted((survivor.pk, third))
    existing = DuplicatePair.objects.filter(person_a_id=a, person_b_id=b).first()
    if existing is None:
        created = DuplicatePair.objects.create(
            office_id=row.office_id, person_a_id=a, person_b_id=b, probability=row.probability,
            fields=row.fields, status=PairStatus.NOT_DUPLICATE, found_at=row.found_at,
            decided_by_id=row.decided_by_id, decided_at=row.decided_at,
        )  # fmt: skip
        journal.created.append({"model": DuplicatePair._meta.label, "pk": created.pk})
    elif existing.status in (PairStatus.PENDING, PairStatus.LATER):
        journal.update(existing, "status", PairStatus.NOT_DUPLICATE)
        existing.save(update_fields=["status", "updated_at"])


def _unique_sets(field: models.ForeignKey) -> list[tuple[list[str], Q | None]]:
    """The other fields of each unique constraint of the model that includes `field`, with the
    constraint's condition."""
    model, names = field.model, {field.name, field.attname}
    sets: list[tuple[tuple[str, ...], Q | None]] = []
    if field.unique:
        sets.append(((field.name,), None))
    sets += [(tuple(fields), None) for fields in model._meta.unique_together]
    sets += [
        (tuple(constraint.fields), constraint.condition)
        for constraint in model._meta.constraints
        if isinstance(constraint, models.UniqueConstraint) and constraint.fields
    ]
    return [
        ([name for name in fields if name not in names], condition)
        for fields, condition in sets
        if names & set(fields)
    ]


def _flag_of(model: type[models.Model], condition: Q | None) -> models.Field | None:
    """The boolean field of a condition like Q(is_primary=True), else None."""
    if condition is None or condition.negated or len(condition.children) != 1:
        return None
    child = condition.children[0]
    if not isinstance(child, tuple) or child[1] is not True:
        return None
    try:
        field = model._meta.get_field(child[0])
    except LookupError:
        return None
    return field if isinstance(field, models.BooleanField) else None


def _settle_clashes(
    field: models.ForeignKey, survivor: Person, other: Person, journal: Journal
) -> None:
    """Before `other`'s rows move: those that would break a unique constraint."""
    model = field.model
    for partners, condition in _unique_sets(field):
        mine = model._base_manager.filter(**{field.attname: survivor.pk})
        theirs = model._base_manager.filter(**{field.attname: other.pk})
        if condition is not None:
            mine, theirs = mine.filter(condition), theirs.filter(condition)
        taken = {tuple(row[1:]): row[0] for row in mine.values_list("pk", *partners)}
        clashes = [
            (taken[tuple(row[1:])], row[0])
            for row in theirs.values_list("pk", *partners)
            if tuple(row[1:]) in taken
        ]
        if not clashes:
            continue
        flag = _flag_of(model, condition)
        if flag is not None:  # e.g. two primary emails: the other's stays, not primary
            for _mine, their_pk in clashes:
                journal.change(model, their_pk, flag, True, False)
            model._base_manager.filter(pk__in=[pk for _m, pk in clashes]).update(
                **{flag.attname: False}
            )
            continue
        keep_theirs = KEEP_ON_CLASH.get(model._meta.label)
        rows = model._base_manager.in_bulk([pk for clash in clashes for pk in clash])
        drop = []
        for mine_pk, their_pk in clashes:
            if keep_theirs is not None and keep_theirs(rows[mine_pk], rows[their_pk]):
                drop.append(rows[mine_pk])
            else:
                drop.append(rows[their_pk])
        journal.remove(drop)


def _settle_copies(survivor: Person, other: Person, journal: Journal) -> None:
    """Links between the two people themselves, and contact points the survivor already has."""
    for label, (first, second) in SELF_LINKS.items():
        model = apps.get_model(label)
        both = Q(**{first: survivor.pk, second: other.pk}) | Q(
            **{first: other.pk, second: survivor.pk}
        )
        journal.remove(list(model._base_manager.filter(both).order_by("pk")))
    for label, names in VALUE_DUPLICATES.items():
        model = apps.get_model(label)
        kept = set(model._base_manager.filter(person=survivor.pk).values_list(*names))
        rows = model._base_manager.filter(person=other.pk).order_by("pk")
        journal.remove([row for row in rows if tuple(getattr(row, n) for n in names) in kept])


def _counts(entries: list[dict], key: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in entries:
        n = len(entry[key]) if key in ("pks", "data") else 1
        counts[entry["model"]] = counts.get(entry["model"], 0) + n
    return counts


def merge(
    survivor: Person,
    other: Person,
    *,
    by: Membership | None,
    choices: dict[str, str] | None = None,
    automatic: bool = False,
) -> Merge:
    """Merge `other` into `survivor`: everything that points at `other` moves to `survivor`,
    the values chosen from `other` are copied (`choices`: field -> "survivor" | "other"; see
    VALUE_FIELDS and FLAG_FIELDS for the defaults), and `other` is deleted. Audited on both
    ids ("person.merged"); undone by `undo_merge`. Raises MergeRefused (same person, another
    office, an unknown field) and NotAllowed (the role lacks dedupe.review)."""
    require(by, "dedupe.review", survivor.office_id)
    choices = dict(choices or {})
    _check_choices(choices)
    if survivor.office_id != other.office_id:
        raise MergeRefused(_("Only people of the same office can be merged."))
    if survivor.pk == other.pk:
        raise MergeRefused(_("A person cannot be merged with themselves."))
    with transaction.atomic():
        return _merge(survivor, other, by=by, choices=choices, automatic=automatic)


def _merge(
    survivor: Person, other: Person, *, by: Membership | None, choices: dict, automatic: bool
) -> Merge:
    locked = Person.objects.select_for_update().select_related("office")
    people = {p.pk: p for p in locked.filter(pk__in=[survivor.pk, other.pk]).order_by("pk")}
    if len(people) != 2:
        raise MergeRefused(_("One of these people no longer exists."))
    survivor, other = people[survivor.pk], people[other.pk]
    office, now, journal = survivor.office, timezone.now(), Journal()
    other_id, other_name = other.pk, other.display_name
    tag_ids = set(
        PersonTag.objects.filter(person_id__in=[survivor.pk, other.pk]).values_list(
            "tag_id", flat=True
        )
    )
    pair = _settle_pairs(survivor, other, journal, by=by, now=now)
    _settle_copies(survivor, other, journal)
    for field in person_links():
        _settle_clashes(field, survivor, other, journal)
        journal.move(field, other.pk, survivor.pk)
    changed = _take_values(survivor, other, choices, journal)
    survivor.version += 1
    survivor.save(update_fields=[*changed, "version", "updated_at"])
    details = {
        "survivor_id": survivor.pk,
        "merged_id": other_id,
        "automatic": automatic,
        "probability": pair.probability if pair else None,
        "fields": {
            e["field"]: [e["old"], e["new"]]
            for e in journal.changed
            if e["pk"] == survivor.pk and e["model"] == Person._meta.label
        },
        "moved": _counts(journal.moved, "pks"),
    }
    for person in (survivor, other):
        audit.record(by, "person.merged", person, office=office, changes=details)
    journal.remove([other])
    details["removed"] = _counts(journal.removed, "data")
    constituent_services.refresh_search_fields(survivor)
    if tag_ids:
        tag_services.refresh_usage_counts(office, tags=Tag.objects.filter(pk__in=tag_ids))
    return Merge.objects.create(
        office=office, survivor=survivor, merged_id=other_id, merged_name=other_name,
        pair=pair, probability=pair.probability if pair else None, is_automatic=automatic,
        snapshot=journal.to_dict(), by=by, at=now,
    )  # fmt: skip


# ---------------------------------------------------------------- undoing


def _model(label: str) -> type[models.Model] | None:
    try:
        return apps.get_model(label)
    except LookupError:  # an app removed since the merge: its rows went with it
        return None


def _targets_exist(obj: models.Model) -> bool:
    """Whether the rows `obj` points at still exist; a nullable link to a vanished row is
    cleared instead."""
    for field in obj._meta.concrete_fields:
        value = getattr(obj, field.attname) if field.is_relation else None
        if value is None:
            continue
        target = field.related_model._base_manager.filter(**{field.target_field.attname: value})
        if not target.exists():
            if not field.null:
                return False
            setattr(obj, field.attname, None)
    return True


def _restore(group: dict) -> int:
    """Recreate serialized rows with their ids; returns how many could not be (what they
    pointed at is gone)."""
    if _model(group["model"]) is None:
        return len(group["data"])
    skipped = 0
    for item in serializers.deserialize("python", group["data"], ignorenonexistent=True):
        if _targets_exist(item.object):
            item.save()
        else:
            skipped += 1
    return skipped


def _revert(entry: dict) -> bool:
    """Put back an old value, unless someone changed the field since the merge."""
    model = _model(entry["model"])
    obj = model._base_manager.filter(pk=entry["pk"]).first() if model else None
    if obj is None:
        return False
    field = next(f for f in model._meta.concrete_fields if f.attname == entry["field"])
    if getattr(obj, field.attname) != field.to_python(entry["new"]):
        return False
    old = field.to_python(entry["old"])
    if (
        field.is_relation
        and old is not None
        and not field.related_model._base_manager.filter(pk=old).exists()
    ):
        return False
    model._base_manager.filter(pk=obj.pk).update(**{field.attname: old})
    return True


def undo_merge(merge: Merge, *, by: Membership | None) -> Person:
    """Give the removed person back with the same id: the rows moved go back to them, the rows
    removed are recreated, and the survivor's values the merge changed are put back (unless
    changed since). Returns the person given back. Audited on both ids
    ("person.merge_undone"). Raises UndoRefused when it cannot be done."""
    require(by, "dedupe.review", merge.office_id)
    try:
        with transaction.atomic():
            return _undo(merge, by=by)
    except IntegrityError as exc:
        raise UndoRefused(
            _("This merge cannot be undone: records changed since would clash (%(reason)s).")
            % {"reason": str(exc).splitlines()[0][:200]}
        ) from exc


def _undo(merge: Merge, *, by: Membership | None) -> Person:
    merge = Merge.objects.select_for_update().select_related("office").get(pk=merge.pk)
    if merge.is_undone:
        raise UndoRefused(_("This merge was already undone."))
    survivor = None
    if merge.survivor_id is not None:
        survivor = Person.objects.select_for_update().filter(pk=merge.survivor_id).first()
    if survivor is None:
        raise UndoRefused(
            _("The person this merge kept no longer exists (deleted since), so it cannot be "
              "undone.")
        )  # fmt: skip
    if Person.objects.filter(pk=merge.merged_id).exists():
        raise UndoRefused(_("The merged person is already back."))
    snapshot, label = merge.snapshot, Person._meta.label
    removed = list(snapshot.get("removed", []))
    person_group = next(
        (
            g
            for g in reversed(removed)
            if g["model"] == label and any(row["pk"] == merge.merged_id for row in g["data"])
        ),
        None,
    )
    if person_group is None:
        raise UndoRefused(_("This merge's record has no copy of the merged person."))
    removed.remove(person_group)
    _restore(person_group)
    other = Person.objects.select_related("office").get(pk=merge.merged_id)
    for entry in snapshot.get("moved", []):
        model = _model(entry["model"])
        if model is not None:
            model._base_manager.filter(pk__in=entry["pks"], **{entry["field"]: survivor.pk}).update(
                **{entry["field"]: other.pk}
            )
    kept_changes = sum(not _revert(entry) for entry in reversed(snapshot.get("changed", [])))
    for entry in snapshot.get("created", []):
        model = _model(entry["model"])
        if model is not None:
            model._base_manager.filter(pk=entry["pk"]).delete()
    not_restored = sum(_restore(group) for group in reversed(removed))
    now = timezone.now()
    merge.undone_at, merge.undone_by = now, by
    merge.save(update_fields=["undone_at", "undone_by", "updated_at"])
    survivor = Person.objects.select_related("office").get(pk=survivor.pk)
    survivor.version += 1
    survivor.save(update_fields=["version", "updated_at"])
    for person in (survivor, other):
        constituent_services.refresh_search_fields(person)
    tag_ids = set(
        PersonTag.objects.filter(person_id__in=[survivor.pk, other.pk]).values_list(
            "tag_id", flat=True
        )
    )
    if tag_ids:
        tag_services.refresh_usage_counts(merge.office, tags=Tag.objects.filter(pk__in=tag_ids))
    details = {
        "merge_id": merge.pk,
        "survivor_id": survivor.pk,
        "merged_id": other.pk,
        "values_kept": kept_changes,
        "rows_not_restored": not_restored,
    }
    for person in (survivor, other):
        audit.record(by, "person.merge_undone", person, office=merge.office, changes=details)
    return other
