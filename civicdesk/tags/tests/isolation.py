"""What the isolation walk (accounts/tests/test_isolation.py) needs to know about tags."""

from typing import Any

from civicdesk.tags.models import Tag
from civicdesk.tags.services import create_tag


def _tag(side, made: dict[str, Any]) -> Tag:
    count = Tag.objects.filter(office=side.office).count()
    return create_tag(side.office, name=f"Potholes {side.label} {count}", by=None)


OBJECT_MAKERS = {"tag_id": _tag}

API_BODIES = {
    "update_tag": lambda side, made: {"description": "walked"},
    "merge_tag": lambda side, made: {"into_id": _tag(side, made).pk},
    "add_tag_alias": lambda side, made: {"alias": f"holes {side.label}"},
}
