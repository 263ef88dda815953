"""Writes to the tag vocabulary. Every write checks the actor's permission ("tag.create" to
create, "tag.manage" for everything else), runs in one transaction, and leaves both an audit
event and a TagChange row (the history shown on the tag's page). `by=None` is the system."""

from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils.text import slugify

from civicdesk import audit
from civicdesk.accounts.models import Membership, Office
from civicdesk.core.errors import DomainError, NotAllowed

from .models import PATH_SEPARATOR, Tag, TagAction, TagAlias, TagChange, normalize
from .queries import descendant_ids
from .registry import tag_references, tagged_models, unique_partners

NAME_MAX = 100
PATH_MAX = 500


class TagInvalid(DomainError):
    code = "tag_invalid"


class TagNameTaken(DomainError):
    code = "tag_name_taken"


class AliasTaken(DomainError):
    code = "alias_taken"


class TagCycle(DomainError):
    code = "tag_cycle"


class TagDeprecated(DomainError):
    code = "tag_deprecated"


class TagHasChildren(DomainError):
    code = "tag_has_children"


class MergeRefused(DomainError):
    code = "merge_refused"


# ---------------------------------------------------------------- helpers


def _require(by: Membership | None, permission: str, office: Office | int) -> None:
    office_id = office if isinstance(office, int) else office.pk
    if by is not None and (by.office_id != office_id or not by.can(permission)):
        raise NotAllowed("Your role does not allow this.")


def _log(tag: Tag, action: str, by: Membership | None, **detail: Any) -> TagChange:
    return TagChange.objects.create(
        office_id=tag.office_id, tag=tag, action=action, detail=detail, by=by
    )


def _clean_text(text: str, what: str) -> tuple[str, str]:
    """(text with runs of white space collapsed, its normalized form); refuses empty text."""
    text = " ".join(text.split())
    if len(text) > NAME_MAX:
        raise TagInvalid(f"A {what} has at most {NAME_MAX} characters.")
    normalized = normalize(text)[:NAME_MAX]
    if not normalized:
        raise TagInvalid(f"A {what} needs at least one letter or digit.")
    return text, normalized


def _clean_name(name: str) -> tuple[str, str]:
    name, normalized = _clean_text(name, "tag name")
    if PATH_SEPARATOR.strip() in name:
        raise TagInvalid(f"A tag name cannot contain “{PATH_SEPARATOR.strip()}”.")
    return name, normalized


def _path_of(parent: Tag | None, name: str) -> str:
    path = f"{parent.path}{PATH_SEPARATOR}{name}" if parent is not None else name
    if len(path) > PATH_MAX:
        raise TagInvalid(
            f"“{path[:80]}…” is too deep: a tag's path has at most {PATH_MAX} characters."
        )
    return path


def _where(parent: Tag | None) -> str:
    return f"under {parent.path}" if parent is not None else "at the top level"


def _check_name_free(
    office_id: int,
    name: str,
    normalized: str,
    *,
    parent: Tag | None,
    exclude: Tag | None = None,
) -> None:
    """Refuse a name a sibling already has (in any state), or that is another tag's alias."""
    siblings = Tag.objects.filter(office_id=office_id, parent=parent)
    if exclude is not None:
        siblings = siblings.exclude(pk=exclude.pk)
    clash = siblings.filter(Q(normalized=normalized) | Q(slug=slugify(name, allow_unicode=True)))
    clash = clash.select_related("merged_into").first()
    if clash is not None:
        if clash.merged_into is not None:
            raise TagNameTaken(
                f"“{clash.name}” {_where(parent)} was merged into {clash.merged_into.path}; "
                "use that tag."
            )
        if clash.is_deprecated:
            raise TagNameTaken(
                f"A deprecated tag “{clash.name}” exists {_where(parent)}; restore it instead."
            )
        raise TagNameTaken(f"A tag “{clash.name}” already exists {_where(parent)}.")
    alias = (
        TagAlias.objects.filter(office_id=office_id, normalized=normalized)
        .select_related("tag")
        .first()
    )
    if alias is not None and (exclude is None or alias.tag_id != exclude.pk):
        raise TagNameTaken(f"“{alias.alias}” is already an alias of {alias.tag.path}.")


def _locked(*tags: Tag) -> None:
    """Lock the tags' rows (in id order, so two merges never deadlock) and reload them in place:
    the caller's objects show the change a service makes."""
    ids = sorted(tag.pk for tag in tags)
    list(Tag.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk"))
    for tag in tags:
        tag.refresh_from_db()


def _refresh_paths_below(tag: Tag) -> int:
    """Recompute the paths of every tag below `tag`, whose own path is already right."""
    changed: list[Tag] = []
    level = [tag]
    while level:
        parents = {parent.pk: parent for parent in level}
        level = list(Tag.objects.filter(parent_id__in=parents).only("pk", "parent", "name"))
        for child in level:
            child.path = _path_of(parents[child.parent_id], child.name)
        changed += level
    Tag.objects.bulk_update(changed, ["path"], batch_size=500)
    return len(changed)


# ---------------------------------------------------------------- creating and editing


@transaction.atomic
def create_tag(
    office: Office,
    *,
    name: str,
    parent: Tag | None = None,
    description: str = "",
    by: Membership | None,
) -> Tag:
    """Add a tag at the top level or under `parent`. Refuses a name that a sibling already has
    (deprecated and merged siblings included) or that is an alias, naming the tag it collides with."""
    _require(by, "tag.create", office)
    name, normalized = _clean_name(name)
    if parent is not None:
        assert parent.office_id == office.pk  # doors look parents up in the member's office
        _locked(parent)
        if parent.is_deprecated:
            raise TagDeprecated(f"{parent.path} is deprecated; new tags cannot go under it.")
    _check_name_free(office.pk, name, normalized, parent=parent)
    tag = Tag.objects.create(
        office=office,
        parent=parent,
        name=name,
        normalized=normalized,
        slug=slugify(name, allow_unicode=True)[:120],
        path=_path_of(parent, name),
        description=" ".join(description.split())[:300],
    )
    _log(tag, TagAction.CREATED, by, name=name, parent=parent.path if parent else None)
    audit.record(by, "tag.created", tag, changes={"path": [None, tag.path]})
    return tag


@transaction.atomic
def rename_tag(
    tag: Tag, *, name: str, by: Membership | None, keep_old_name_as_alias: bool = False
) -> Tag:
    """Give a tag a new name; the paths below it follow. Records keep the tag. Renaming a tag
    to one of its own aliases drops that alias; `keep_old_name_as_alias` keeps the old word
    findable in pickers."""
    _require(by, "tag.manage", tag.office_id)
    _locked(tag)
    if tag.is_merged:
        raise TagDeprecated(f"“{tag.name}” was merged into another tag; rename that one.")
    name, normalized = _clean_name(name)
    if name == tag.name:
        return tag
    _check_name_free(tag.office_id, name, normalized, parent=tag.parent, exclude=tag)
    old_name, old_path, old_normalized = tag.name, tag.path, tag.normalized
    tag.aliases.filter(normalized=normalized).delete()
    tag.name, tag.normalized = name, normalized
    tag.slug = slugify(name, allow_unicode=True)[:120]
    tag.path = _path_of(tag.parent, name)
    tag.save(update_fields=["name", "normalized", "slug", "path", "updated_at"])
    _refresh_paths_below(tag)
    alias_kept = (
        keep_old_name_as_alias
        and old_normalized != normalized
        and not TagAlias.objects.filter(office_id=tag.office_id, normalized=old_normalized).exists()
    )
    if alias_kept:
        TagAlias.objects.create(
            office_id=tag.office_id, tag=tag, alias=old_name, normalized=old_normalized
        )
    _log(tag, TagAction.RENAMED, by, old=old_name, new=name, old_name_kept_as_alias=alias_kept)
    audit.record(
        by, "tag.renamed", tag, changes={"name": [old_name, name], "path": [old_path, tag.path]}
    )
    return tag


@transaction.atomic
def describe_tag(tag: Tag, *, description: str, by: Membership | None) -> Tag:
    """Change the one-line description that helps staff pick the right tag."""
    _require(by, "tag.manage", tag.office_id)
    _locked(tag)
    description = " ".join(description.split())[:300]
    if description == tag.description:
        return tag
    old = tag.description
    tag.description = description
    tag.save(update_fields=["description", "updated_at"])
    _log(tag, TagAction.DESCRIBED, by, old=old, new=description)
    audit.record(by, "tag.described", tag, changes={"description": [old, description]})
    return tag


@transaction.atomic
def move_tag(tag: Tag, *, parent: Tag | None, by: Membership | None) -> Tag:
    """Put a tag (and everything below it) under `parent`, or at the top level for None.
    Refuses cycles, deprecated parents and a name the new siblings already have."""
    _require(by, "tag.manage", tag.office_id)
    _locked(tag)
    if tag.is_merged:
        raise TagDeprecated(f"“{tag.name}” was merged into another tag; it cannot move.")
    if (parent.pk if parent else None) == tag.parent_id:
        return tag
    if parent is not None:
        assert parent.office_id == tag.office_id  # doors look parents up in the member's office
        _locked(parent)
        if parent.pk == tag.pk or parent.pk in descendant_ids(tag):
            raise TagCycle(f"{tag.path} cannot go under {parent.path}, which is inside it.")
        if parent.is_deprecated:
            raise TagDeprecated(f"{parent.path} is deprecated; tags cannot go under it.")
    _check_name_free(tag.office_id, tag.name, tag.normalized, parent=parent, exclude=tag)
    old_path = tag.path
    tag.parent = parent
    tag.path = _path_of(parent, tag.name)
    tag.save(update_fields=["parent", "path", "updated_at"])
    _refresh_paths_below(tag)
    _log(tag, TagAction.MOVED, by, old=old_path, new=tag.path)
    audit.record(by, "tag.moved", tag, changes={"path": [old_path, tag.path]})
    return tag


# ---------------------------------------------------------------- aliases


@transaction.atomic
def add_alias(tag: Tag, *, alias: str, by: Membership | None) -> TagAlias:
    """Another word for the tag. Compared normalized (case, accents, punctuation), so one
    spelling covers its variants. Refuses a word that is already an alias or a tag's name."""
    _require(by, "tag.manage", tag.office_id)
    _locked(tag)
    if tag.is_deprecated:
        raise TagDeprecated(
            f"{tag.path} is deprecated; give the alias to the tag that replaced it."
        )
    alias, normalized = _clean_text(alias, "alias")
    existing = (
        TagAlias.objects.filter(office_id=tag.office_id, normalized=normalized)
        .select_related("tag")
        .first()
    )
    if existing is not None:
        raise AliasTaken(f"“{existing.alias}” is already an alias of {existing.tag.path}.")
    named = (
        Tag.objects.filter(office_id=tag.office_id, normalized=normalized, merged_into=None)
        .order_by("pk")
        .first()
    )
    if named is not None:
        raise AliasTaken(f"“{alias}” is the name of the tag {named.path}.")
    row = TagAlias.objects.create(
        office_id=tag.office_id, tag=tag, alias=alias, normalized=normalized
    )
    _log(tag, TagAction.ALIAS_ADDED, by, alias=alias)
    audit.record(by, "tag.alias_added", tag, changes={"aliases": [None, alias]})
    return row


@transaction.atomic
def remove_alias(alias: TagAlias, *, by: Membership | None) -> None:
    _require(by, "tag.manage", alias.office_id)
    tag = alias.tag
    alias.delete()
    _log(tag, TagAction.ALIAS_REMOVED, by, alias=alias.alias)
    audit.record(by, "tag.alias_removed", tag, changes={"aliases": [alias.alias, None]})


# ---------------------------------------------------------------- merging and deprecating


def _move_usages(source: Tag, into: Tag) -> dict[str, dict[str, int]]:
    """Repoint every record of `source` to `into`; where a record already carries `into`, the
    duplicate link is deleted instead. Returns {model label: {"moved": n, "dropped": n}} for the
    models that had any."""
    counts: dict[str, dict[str, int]] = {}
    for model in tagged_models():
        rows = model.objects.filter(tag=source)
        dropped = 0
        for partners in unique_partners(model):
            twin = model.objects.filter(tag=into, **{f: OuterRef(f) for f in partners})
            dropped += rows.filter(Exists(twin)).delete()[1].get(model._meta.label, 0)
        counts[model._meta.label] = {"moved": rows.update(tag=into), "dropped": dropped}
    for model in tag_references():
        counts[model._meta.label] = {"moved": model.objects.filter(tag=source).update(tag=into)}
    # The history names only the kinds of record the merge touched.
    return {label: c for label, c in counts.items() if any(c.values())}


@transaction.atomic
def merge_tags(source: Tag, into: Tag, *, by: Membership | None) -> Tag:
    """Fold `source` into `into`: every record, position, alias and sub-tag of `source` moves
    to `into`; `source` stays as a deprecated tag pointing at `into`, and its name becomes an
    alias of `into`. Returns `into`. Refused (nothing changed) for a merge into itself, into a
    deprecated tag, into a tag below `source`, or when both have a sub-tag of the same name."""
    _require(by, "tag.manage", source.office_id)
    assert source.office_id == into.office_id  # doors look both up in the member's office
    _locked(source, into)
    if source.pk == into.pk:
        raise MergeRefused("A tag cannot be merged into itself.")
    if source.is_merged:
        raise MergeRefused(f"{source.path} was already merged into another tag.")
    if into.is_deprecated:
        raise MergeRefused(f"{into.path} is deprecated; merge into a tag in use.")
    if into.pk in descendant_ids(source):
        raise MergeRefused(f"{into.path} is inside {source.path}; move it out first.")
    children = list(source.children.all())
    clash = into.children.filter(
        Q(normalized__in=[c.normalized for c in children]) | Q(slug__in=[c.slug for c in children])
    ).first()
    if clash is not None:
        raise MergeRefused(
            f"Both tags have a sub-tag “{clash.name}”: merge those two first, then these."
        )
    moved = _move_usages(source, into)
    alias_count = TagAlias.objects.filter(tag=source).update(tag=into)
    # The old name finds `into` from now on, unless it already finds something (an alias) or
    # is another live tag's name (an alias never is).
    office_tags = Tag.objects.filter(office_id=source.office_id, merged_into=None)
    name_is_free = not (
        source.normalized == into.normalized
        or TagAlias.objects.filter(
            office_id=source.office_id, normalized=source.normalized
        ).exists()
        or office_tags.filter(normalized=source.normalized).exclude(pk=source.pk).exists()
    )
    if name_is_free:
        TagAlias.objects.create(
            office_id=source.office_id, tag=into, alias=source.name, normalized=source.normalized
        )
    for child in children:
        child.parent = into
        child.path = _path_of(into, child.name)
        child.save(update_fields=["parent", "path", "updated_at"])
        _refresh_paths_below(child)
    Tag.objects.filter(merged_into=source).update(merged_into=into)
    source.is_deprecated, source.merged_into, source.usage_count = True, into, 0
    source.save(update_fields=["is_deprecated", "merged_into", "usage_count", "updated_at"])
    into.save(update_fields=["updated_at"])  # it gained records, aliases and sub-tags
    refresh_usage_counts(into.office, tags=[into])
    into.refresh_from_db()
    _log(source, TagAction.MERGED, by, into=into.path, into_id=into.pk)
    _log(
        into,
        TagAction.ABSORBED,
        by,
        source=source.path,
        source_id=source.pk,
        records=moved,
        records_moved=sum(c["moved"] + c.get("dropped", 0) for c in moved.values()),
        aliases_moved=alias_count,
        children_moved=[c.name for c in children],
    )
    audit.record(
        by,
        "tag.merged",
        source,
        changes={"merged_into": [None, into.path], "records": moved},
    )
    return into


@transaction.atomic
def deprecate_tag(tag: Tag, *, by: Membership | None) -> Tag:
    """Hide a tag from pickers; the records that carry it keep it. Refused while sub-tags are
    still in use (deprecate or move them first)."""
    _require(by, "tag.manage", tag.office_id)
    _locked(tag)
    if tag.is_deprecated:
        return tag
    active = list(tag.children.filter(is_deprecated=False).order_by("name"))
    if active:
        names = ", ".join(child.name for child in active)
        raise TagHasChildren(
            f"{tag.path} still has sub-tags in use ({names}); deprecate or move them first."
        )
    tag.is_deprecated = True
    tag.save(update_fields=["is_deprecated", "updated_at"])
    _log(tag, TagAction.DEPRECATED, by)
    audit.record(by, "tag.deprecated", tag, changes={"is_deprecated": [False, True]})
    return tag


@transaction.atomic
def restore_tag(tag: Tag, *, by: Membership | None) -> Tag:
    """Offer a deprecated tag in pickers again. A merged tag cannot come back (its records
    moved); nor can a tag whose parent is still deprecated."""
    _require(by, "tag.manage", tag.office_id)
    _locked(tag)
    if not tag.is_deprecated:
        return tag
    if tag.is_merged:
        raise TagDeprecated(f"{tag.path} was merged into another tag; its records are there now.")
    if tag.parent is not None and tag.parent.is_deprecated:
        raise TagDeprecated(f"{tag.parent.path} is deprecated; restore it first.")
    tag.is_deprecated = False
    tag.save(update_fields=["is_deprecated", "updated_at"])
    _log(tag, TagAction.RESTORED, by)
    audit.record(by, "tag.restored", tag, changes={"is_deprecated": [True, False]})
    return tag


# ---------------------------------------------------------------- usage counts


@transaction.atomic
def refresh_usage_counts(office: Office, *, tags: Iterable[Tag] | None = None) -> int:
    """Recount how many records carry each tag (every model in registry.TAGGED_MODELS), for
    the whole vocabulary or only `tags`. Derived data: neither audited nor in the history.
    Returns how many tags' counts changed. Apps that tag records call it after they do."""
    targets = Tag.objects.for_office(office).only("pk", "usage_count")
    tag_ids = None if tags is None else [tag.pk for tag in tags]
    if tag_ids is not None:
        targets = targets.filter(pk__in=tag_ids)
    counts: Counter[int] = Counter()
    for model in tagged_models():
        rows = model.objects.filter(office=office)
        if tag_ids is not None:
            rows = rows.filter(tag_id__in=tag_ids)
        for tag_id, n in rows.order_by().values_list("tag").annotate(n=Count("pk")):
            counts[tag_id] += n
    changed = [tag for tag in targets if tag.usage_count != counts[tag.pk]]
    for tag in changed:
        tag.usage_count = counts[tag.pk]
    Tag.objects.bulk_update(changed, ["usage_count"], batch_size=500)
    return len(changed)
