"""What the isolation walk (accounts/tests/test_isolation.py) needs to know about tags."""

from typing import Any

from civicdesk.tags.models import Tag, TagAlias
from civicdesk.tags.services import add_alias, create_tag


def _tag(side, made: dict[str, Any]) -> Tag:
    count = Tag.objects.filter(office=side.office).count()
    return create_tag(side.office, name=f"Potholes {side.label} {count}", by=None)


def _alias(side, made: dict[str, Any]) -> TagAlias:
    """An alias of the tag in the same URL (`/tags/{tag_id}/aliases/{alias_id}`)."""
    tag = made.get("tag_id") or _tag(side, made)
    count = TagAlias.objects.filter(office=side.office).count()
    return add_alias(tag, alias=f"Road pits {side.label} {count}", by=None)


OBJECT_MAKERS = {"tag_id": _tag, "alias_id": _alias}

API_BODIES = {
    "update_tag": lambda side, made: {"description": "walked"},
    "merge_tag": lambda side, made: {"into_id": _tag(side, made).pk},
    "add_tag_alias": lambda side, made: {"alias": f"holes {side.label}"},
}
