"""API of the tags app (mounted at /api/v1 by civicdesk/api.py): the vocabulary, its changes,
and the pickers' suggestions."""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.pagination import CursorPagination, paginate

from civicdesk.core.api import needs
from civicdesk.core.errors import DomainError

from . import queries, services
from .models import Tag, TagChange

router = Router(tags=["tags"])


class TagOut(Schema):
    id: int
    name: str
    path: str
    parent_id: int | None
    description: str
    is_deprecated: bool
    merged_into_id: int | None
    usage_count: int
    aliases: list[str]
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_aliases(obj: Tag) -> list[str]:
        return sorted((a.alias for a in obj.aliases.all()), key=str.casefold)


class TagIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    parent_id: int | None = None
    description: str = Field("", max_length=300)


class TagPatch(Schema):
    """Only the fields sent change. `parent_id: null` moves the tag to the top level."""

    name: str | None = Field(None, min_length=1, max_length=100)
    keep_old_name_as_alias: bool = Field(
        False, description="With `name`: the old name becomes an alias, still found by pickers"
    )
    parent_id: int | None = None
    description: str | None = Field(None, max_length=300)
    is_deprecated: bool | None = None


class TagMergeIn(Schema):
    into_id: int


class TagAliasIn(Schema):
    alias: str = Field(min_length=1, max_length=100)


class TagChangeOut(Schema):
    id: int
    action: str = Field(description="created, renamed, described, moved, alias_added, ...")
    detail: dict[str, Any]
    by_id: int | None = Field(description="The member who made the change; null: CivicDesk")
    by_name: str
    created_at: datetime

    @staticmethod
    def resolve_by_name(obj: TagChange) -> str:
        return obj.by.user.display_name if obj.by is not None else "CivicDesk"


class TagSuggestionOut(Schema):
    tag_id: int
    name: str
    path: str
    usage_count: int
    alias: str | None = Field(description="The alias the text matched, when it was one")
    match: str = Field(description="exact, prefix, substring, or popular (no text)")


class UnknownTag(DomainError):
    """A tag named in a request body that the office does not have (or that is another office's)."""

    code = "tag_unknown"
    status = 422


def _body_tag(request, tag_id: int) -> Tag:
    tag = Tag.objects.for_office(request.auth.office).filter(pk=tag_id).first()
    if tag is None:
        raise UnknownTag(f"There is no tag {tag_id} in this office.")
    return tag


def _tag_out(tag: Tag) -> Tag:
    return Tag.objects.prefetch_related("aliases").get(pk=tag.pk)


@router.get("/tags/typeahead", response=list[TagSuggestionOut])
@needs("tag.view")
def tag_typeahead(request, q: str = "", limit: int = 10):
    """What a picker offers for `q`: exact name or alias matches, then prefixes, then the rest.
    Deprecated and merged tags are never offered; `limit` is at most 50."""
    limit = max(1, min(limit, 50))
    return [
        {
            "tag_id": s.tag.pk,
            "name": s.tag.name,
            "path": s.tag.path,
            "usage_count": s.tag.usage_count,
            "alias": s.alias,
            "match": s.match,
        }
        for s in queries.typeahead(request.auth.office, q, limit=limit)
    ]


@router.get("/tags", response=list[TagOut])
@needs("tag.view")
@paginate(CursorPagination, ordering=("id",))
def list_tags(request, include_deprecated: bool = False):
    return queries.tag_list(request.auth.office, include_deprecated=include_deprecated)


@router.get("/tags/{tag_id}", response=TagOut)
@needs("tag.view")
def get_tag(request, tag_id: int):
    return get_object_or_404(
        queries.tag_list(request.auth.office, include_deprecated=True), pk=tag_id
    )


@router.post("/tags", response={201: TagOut})
@needs("tag.create")
def create_tag(request, payload: TagIn):
    parent = _body_tag(request, payload.parent_id) if payload.parent_id is not None else None
    tag = services.create_tag(
        request.auth.office,
        name=payload.name,
        parent=parent,
        description=payload.description,
        by=request.auth,
    )
    return Status(201, _tag_out(tag))


@router.patch("/tags/{tag_id}", response=TagOut)
@needs("tag.manage")
def update_tag(request, tag_id: int, payload: TagPatch):
    """Rename, describe, move (`parent_id`), deprecate or restore (`is_deprecated`)."""
    tag = queries.get_tag(request.auth, tag_id, need="tag.manage")
    by = request.auth
    with transaction.atomic():  # all the changes sent, or none
        if "parent_id" in payload.model_fields_set:
            parent = _body_tag(request, payload.parent_id) if payload.parent_id else None
            tag = services.move_tag(tag, parent=parent, by=by)
        if payload.name is not None:
            tag = services.rename_tag(
                tag,
                name=payload.name,
                by=by,
                keep_old_name_as_alias=payload.keep_old_name_as_alias,
            )
        if payload.description is not None:
            tag = services.describe_tag(tag, description=payload.description, by=by)
        if payload.is_deprecated is True:
            tag = services.deprecate_tag(tag, by=by)
        elif payload.is_deprecated is False:
            tag = services.restore_tag(tag, by=by)
    return _tag_out(tag)


@router.get("/tags/{tag_id}/history", response=list[TagChangeOut])
@needs("tag.view")
@paginate(CursorPagination, ordering=("-id",))
def tag_history(request, tag_id: int):
    """The tag's changes, newest first: what its page shows under "History"."""
    return queries.tag_history(queries.get_tag(request.auth, tag_id))


@router.post("/tags/{tag_id}/merge", response=TagOut)
@needs("tag.manage")
def merge_tag(request, tag_id: int, payload: TagMergeIn):
    """Merge this tag into `into_id`; answers with the tag merged into."""
    source = queries.get_tag(request.auth, tag_id, need="tag.manage")
    into = _body_tag(request, payload.into_id)
    return _tag_out(services.merge_tags(source, into, by=request.auth))


@router.post("/tags/{tag_id}/aliases", response={201: TagOut})
@needs("tag.manage")
def add_tag_alias(request, tag_id: int, payload: TagAliasIn):
    tag = queries.get_tag(request.auth, tag_id, need="tag.manage")
    services.add_alias(tag, alias=payload.alias, by=request.auth)
    return Status(201, _tag_out(tag))


@router.delete("/tags/{tag_id}/aliases/{alias_id}", response={204: None})
@needs("tag.manage")
def remove_tag_alias(request, tag_id: int, alias_id: int):
    """Take an alias away from its tag; another tag's alias is a 404, like a missing one."""
    tag = queries.get_tag(request.auth, tag_id, need="tag.manage")
    services.remove_alias(queries.get_alias(tag, alias_id), by=request.auth)
    return Status(204, None)
