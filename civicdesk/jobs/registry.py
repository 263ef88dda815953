"""Job handlers and periodic tasks, registered by each app's tasks.py at start-up."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

JOB_HANDLERS: dict[str, Callable[..., Any]] = {}
PERIODIC: dict[str, "PeriodicTask"] = {}


def job_handler(kind: str) -> Callable:
    """Register the function that does a kind of job: `handler(job_context) -> dict | None`."""

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        JOB_HANDLERS[kind] = func
        return func

    return register


@dataclass(frozen=True)
class PeriodicTask:
    name: str
    every: timedelta
    func: Callable[[], Any]


def periodic(name: str, *, every: timedelta) -> Callable:
    """Run `func()` every `every` on one worker of the installation (see scheduler.py)."""

    def register(func: Callable[[], Any]) -> Callable[[], Any]:
        PERIODIC[name] = PeriodicTask(name, every, func)
        return func

    return register
