"""Which record types are brought in now, and by what.

`HANDLERS` maps a record type to `handler(context, record) -> Result`: `context` is a
bringing.BringIn (office, actor, lookups), `record` a StagedRecord. A record type without a
handler stays staged; `bringing.bring_in_staged(office)` brings in the staged records of every
type that has one now.

A module that lands later (the shared inbox for 2A-2E, events for 7A-7C) sits below this app
and cannot import it: it declares its handlers in a module `<its package>.cms_handlers` with a
dict `HANDLERS = {"2A": bring_in_letter, ...}`, which `discover()` merges in at start-up
(InterchangeConfig.ready). Those handlers take the same two arguments and return a dict
{"outcome": "imported" | "kept" | "deferred" | "skipped", "object": model instance | None,
"note": str} when they cannot import Result.
"""

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps


class Outcome:
    IMPORTED = "imported"  # the record is in the office's data now
    KEPT = "kept"  # used (e.g. 2B's position) but kept staged until its own module lands
    DEFERRED = "deferred"  # waits for a parent record (a person, a case) to come
    SKIPPED = "skipped"  # cannot be brought in (bad value): kept staged, with the reason


@dataclass
class Result:
    outcome: str
    obj: Any = None  # the model instance the record became
    note: str = ""

    @classmethod
    def imported(cls, obj: Any = None) -> "Result":
        return cls(Outcome.IMPORTED, obj)

    @classmethod
    def kept(cls, note: str, obj: Any = None) -> "Result":
        return cls(Outcome.KEPT, obj, note)

    @classmethod
    def deferred(cls, note: str) -> "Result":
        return cls(Outcome.DEFERRED, None, note)

    @classmethod
    def skipped(cls, note: str) -> "Result":
        return cls(Outcome.SKIPPED, None, note)

    @classmethod
    def of(cls, value: "Result | dict") -> "Result":
        if isinstance(value, Result):
            return value
        return cls(value["outcome"], value.get("object"), value.get("note", ""))


Handler = Callable[[Any, Any], "Result | dict"]
HANDLERS: dict[str, Handler] = {}
# What a staged type waits for, said on the pages and in the report.
WAITING_FOR: dict[str, str] = {
    **dict.fromkeys(("2A", "2B", "2C", "2D", "2E"), "the shared inbox (correspondence)"),
    **dict.fromkeys(
        ("4B", "4E", "4F"), "transaction codes, merge data and parties on case actions"
    ),
    **dict.fromkeys(("7A", "7B", "7C"), "events"),
    **dict.fromkeys(("8D", "8E"), "merge fields and codes of form letters"),
}


def handler(record_type: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        HANDLERS[record_type] = func
        return func

    return register


def discover() -> None:
    """Merge in the HANDLERS of every app's `cms_handlers` module (see above)."""
    for config in apps.get_app_configs():
        if not config.name.startswith("civicdesk.") or config.label == "interchange":
            continue
        try:
            module = importlib.import_module(f"{config.name}.cms_handlers")
        except ModuleNotFoundError as exc:
            if exc.name == f"{config.name}.cms_handlers":
                continue
            raise
        HANDLERS.update(module.HANDLERS)


def load_builtin() -> None:
    """The handlers of this app (people, codes, letters, households, cases)."""
    from . import cases, codes, people  # noqa: F401  (they register themselves)
