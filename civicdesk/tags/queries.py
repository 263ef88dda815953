"""Reads of the tag vocabulary: pickers' suggestions, resolving typed words, the tree."""

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.shortcuts import get_object_or_404

from civicdesk.accounts.models import Membership, Office
from civicdesk.core.access import get_for_member

from .models import Tag, TagAlias, TagChange, normalize

# How a suggestion matched what was typed, best first. A word inside the name ("repair" in
# "Street repair") counts as a prefix, after names that start with the text.
EXACT, PREFIX, WORD_PREFIX, SUBSTRING, POPULAR = range(5)
MATCH_LABELS = {
    EXACT: "exact",
    PREFIX: "prefix",
    WORD_PREFIX: "prefix",
    SUBSTRING: "substring",
    POPULAR: "popular",
}
PATH_SPLIT = re.compile(r"\s*[›>]\s*")


@dataclass(frozen=True)
class Suggestion:
    """One line of a picker: a tag, and the alias it was found through, if any."""

    tag: Tag
    alias: str | None
    rank: int

    @property
    def match(self) -> str:
        return MATCH_LABELS[self.rank]


def get_tag(member: Membership, tag_id: int, *, need: str = "tag.view") -> Tag:
    """A tag of the member's office: 404 if missing or another office's, 403 without `need`."""
    tags = Tag.objects.select_related("parent", "merged_into")
    return get_for_member(member, tags, tag_id, need=need)


def get_alias(tag: Tag, alias_id: Any) -> TagAlias:
    """One of the tag's aliases: 404 when missing or another tag's (or another office's)."""
    aliases = TagAlias.objects.for_office(tag.office_id).filter(tag=tag).select_related("tag")
    return get_object_or_404(aliases, pk=alias_id)


def descendant_ids(tag: Tag) -> set[int]:
    """Ids of every tag below `tag` (one query per level; vocabularies are shallow)."""
    found: set[int] = set()
    level = [tag.pk]
    while level:
        level = list(Tag.objects.filter(parent_id__in=level).values_list("pk", flat=True))
        found.update(level)
    return found


def _rank(text: str) -> Case:
    """How well a row's `normalized` matches `text` (both tags and aliases have the column)."""
    return Case(
        When(normalized=text, then=Value(EXACT)),
        When(normalized__startswith=text, then=Value(PREFIX)),
        When(normalized__contains=f" {text}", then=Value(WORD_PREFIX)),
        default=Value(SUBSTRING),
        output_field=IntegerField(),
    )


def typeahead(
    office: Office, text: str, *, limit: int = 10, exclude: Iterable[int] = ()
) -> list[Suggestion]:
    """What a picker offers for `text`: exact name or alias matches first, then prefixes, then
    any other match; equal matches by usage, then path. Aliases resolve to their tag; each tag
    appears once. Deprecated and merged tags are never offered; `exclude` drops tag ids (those
    already chosen). Empty text offers the most used tags. Two queries."""
    exclude = list(exclude)
    tags = Tag.objects.for_office(office).pickable().exclude(pk__in=exclude)
    q = normalize(text)
    if not q:
        popular = tags.order_by("-usage_count", "path")[:limit]
        return [Suggestion(tag, None, POPULAR) for tag in popular]
    by_name = (
        tags.filter(normalized__contains=q)
        .annotate(rank=_rank(q))
        .order_by("rank", "-usage_count", "path")[:limit]
    )
    by_alias = (
        TagAlias.objects.for_office(office)
        .filter(tag__is_deprecated=False, normalized__contains=q)
        .exclude(tag_id__in=exclude)
        .annotate(rank=_rank(q))
        .select_related("tag")
        .order_by("rank", "-tag__usage_count", "tag__path")[:limit]
    )
    best: dict[int, Suggestion] = {}
    for suggestion in [Suggestion(t, None, t.rank) for t in by_name] + [
        Suggestion(a.tag, a.alias, a.rank) for a in by_alias
    ]:
        kept = best.get(suggestion.tag.pk)
        if kept is None or suggestion.rank < kept.rank:  # names come first: they win ties
            best[suggestion.tag.pk] = suggestion
    ordered = sorted(best.values(), key=lambda s: (s.rank, -s.tag.usage_count, s.tag.path))
    return ordered[:limit]


def _follow_merges(tag: Tag | None) -> Tag | None:
    hops = 0
    while tag is not None and tag.merged_into_id is not None and hops < 20:
        tag = tag.merged_into
        hops += 1
    return tag


def split_path(text: str) -> tuple[str, str]:
    """("Transportation › Street", "Bike lanes") for "Transportation › Street › Bike lanes"
    (or with ">"); ("", text) when there is no separator."""
    segments = [s for s in PATH_SPLIT.split(text.strip()) if s]
    if len(segments) < 2:
        return "", text.strip()
    return " › ".join(segments[:-1]), segments[-1]


def resolve_tag(office: Office, text: str) -> Tag | None:
    """The tag a typed word means: a name or an alias (case, accents and punctuation ignored),
    or a path ("Transportation › Street repair", or with ">"). A merged tag resolves to the
    tag it was merged into. Among tags of the same name, one in use wins over a deprecated one,
    then the shallowest. None when nothing matches."""
    segments = [s for s in PATH_SPLIT.split(text.strip()) if s]
    if len(segments) > 1:
        return _resolve_path(office, segments)
    q = normalize(text)
    if not q:
        return None
    named = list(Tag.objects.for_office(office).filter(normalized=q).select_related("merged_into"))
    if named:
        named.sort(key=lambda t: (t.is_merged, t.is_deprecated, t.path.count("›"), t.path))
        return _follow_merges(named[0])
    alias = TagAlias.objects.for_office(office).filter(normalized=q).select_related("tag").first()
    return _follow_merges(alias.tag) if alias is not None else None


def _resolve_path(office: Office, segments: list[str]) -> Tag | None:
    tag: Tag | None = None
    for segment in segments:
        tag = (
            Tag.objects.for_office(office)
            .filter(parent=tag, normalized=normalize(segment))
            .select_related("merged_into")
            .first()
        )
        if tag is None:
            return None
    return _follow_merges(tag)


# ---------------------------------------------------------------- the admin page


@dataclass
class TreeRow:
    """One line of the vocabulary page: a tag at its depth, and whether the filter chose it
    (rows shown only as context for a chosen descendant have is_match False)."""

    tag: Tag
    depth: int
    aliases: list[str] = field(default_factory=list)
    is_match: bool = True


SHOW_CHOICES = ("all", "active", "deprecated")


def tag_tree(office: Office, *, show: str = "all", text: str = "") -> list[TreeRow]:
    """The vocabulary as a flat list in tree order (children after their parent, by name),
    for the admin page. `show` is "all", "active" or "deprecated"; `text` keeps tags whose name
    or alias contains it. Ancestors of the kept tags stay, as context. Two queries."""
    tags = list(
        Tag.objects.for_office(office).select_related("merged_into").prefetch_related("aliases")
    )
    q = normalize(text)
    by_id = {tag.pk: tag for tag in tags}

    def chosen(tag: Tag) -> bool:
        if show == "active" and tag.is_deprecated:
            return False
        if show == "deprecated" and not tag.is_deprecated:
            return False
        aliases = [a.normalized for a in tag.aliases.all()]
        return not q or q in tag.normalized or any(q in a for a in aliases)

    kept = {tag.pk for tag in tags if chosen(tag)}
    visible = set(kept)
    for tag_id in kept:
        parent_id = by_id[tag_id].parent_id
        while parent_id is not None and parent_id not in visible:
            visible.add(parent_id)
            parent_id = by_id[parent_id].parent_id
    children: dict[int | None, list[Tag]] = defaultdict(list)
    for tag in tags:
        if tag.pk in visible:
            children[tag.parent_id].append(tag)
    rows: list[TreeRow] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for tag in sorted(children[parent_id], key=lambda t: t.name.casefold()):
            aliases = sorted((a.alias for a in tag.aliases.all()), key=str.casefold)
            rows.append(TreeRow(tag, depth, aliases, tag.pk in kept))
            walk(tag.pk, depth + 1)

    walk(None, 0)
    return rows


def tag_options(office: Office, *, exclude: Iterable[int] = ()) -> QuerySet[Tag]:
    """Tags that can be chosen as a parent or a merge target: in use, in path order."""
    return Tag.objects.for_office(office).pickable().exclude(pk__in=list(exclude)).order_by("path")


def tag_history(tag: Tag) -> QuerySet[TagChange]:
    return tag.changes.select_related("by__user").order_by("-created_at", "-id")


def tag_list(office: Office, *, include_deprecated: bool = False) -> QuerySet[Tag]:
    """The office's tags with their aliases, for the API."""
    tags = Tag.objects.for_office(office).prefetch_related("aliases")
    return tags if include_deprecated else tags.pickable()


def tags_by_ids(office: Office, ids: Iterable[Any]) -> list[Tag]:
    """The office's tags among `ids` (strings or ints, junk ignored), in the order given."""
    wanted = [int(i) for i in ids if str(i).isdigit()]
    found = Tag.objects.for_office(office).in_bulk(wanted)
    return [found[i] for i in dict.fromkeys(wanted) if i in found]
