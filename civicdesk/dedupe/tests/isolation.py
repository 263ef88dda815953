"""What the isolation walk (accounts/tests/test_isolation.py) needs to know about duplicates:
a pair of an office's people, and a merge of two of them."""

from typing import Any

from civicdesk.constituents import services as constituent_services
from civicdesk.dedupe import services
from civicdesk.dedupe.models import DuplicatePair, Merge

from .conftest import make_pair


def _people(side, count: int) -> list:
    return [
        constituent_services.create_person(
            side.office, by=None, fields={"first_name": "Dee", "last_name": f"Dupe {side.label}"}
        )
        for _ in range(count)
    ]


def _pair(side, made: dict[str, Any]) -> DuplicatePair:
    return make_pair(*_people(side, 2))


def _merge(side, made: dict[str, Any]) -> Merge:
    keep, gone = _people(side, 2)
    return services.merge(keep, gone, by=None)


OBJECT_MAKERS = {"pair_id": _pair, "merge_id": _merge}

API_BODIES = {
    "decide_duplicate": lambda side, made: {"decision": "later"},
    "merge_people": lambda side, made: {"other_id": _people(side, 1)[0].pk},
}
