"""Writing and verifying the audit log."""

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from .models import AuditChainHead, AuditEvent

HASHED_FIELDS = (
    "office_id", "seq", "at", "actor_id", "actor_label", "action", "object_type",
    "object_id", "object_repr", "changes", "ip", "user_agent", "prev_hash",
)  # fmt: skip


def _plain(value: Any) -> Any:
    """JSON-safe copy of a value (dates, decimals, UUIDs become strings)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def event_hash(event: AuditEvent) -> str:
    payload = {name: getattr(event, name) for name in HASHED_FIELDS}
    payload["at"] = event.at.isoformat()
    payload["changes"] = _plain(event.changes)
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
    return hashlib.sha256(canonical.encode()).hexdigest()


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The values of `fields` on `obj`, JSON-safe, for a later `changes_between`."""
    return _plain({name: getattr(obj, name) for name in fields})


def changes_between(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Field-level diff: {field: [old, new]} for the fields whose value changed."""
    after = _plain(after)
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def record(
    by,
    action: str,
    obj: models.Model | None = None,
    *,
    office=None,
    changes: dict[str, Any] | None = None,
    object_repr: str | None = None,
) -> AuditEvent:
    """Append one event to the office's chain. `by` is a Membership, or None for the system.

    The office is taken from `by`, else from `obj.office`, else from `office`. Runs in its own
    (nested) transaction, holding the chain head's row lock so concurrent writers never fork it.
    """
    office_obj = office or (by.office if by is not None else None) or getattr(obj, "office", None)
    if office_obj is None and obj is not None and obj._meta.label == "accounts.Office":
        office_obj = obj
    if office_obj is None:
        raise ValueError(f"audit.record({action!r}) cannot tell which office the event belongs to.")
    with transaction.atomic():
        head, _ = AuditChainHead.objects.get_or_create(office_id=office_obj.pk)
        head = AuditChainHead.objects.select_for_update().get(pk=head.pk)
        event = AuditEvent(
            office_id=office_obj.pk,
            seq=head.last_seq + 1,
            at=timezone.now(),
            actor=by,
            actor_label=by.user.email if by is not None else "system",
            action=action,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
            object_repr=(object_repr if object_repr is not None else str(obj or ""))[:200],
            changes=_plain(changes or {}),
            ip=getattr(by, "client_ip", None),
            user_agent=(getattr(by, "client_agent", "") or "")[:300],
            prev_hash=head.last_hash,
        )
        event.hash = event_hash(event)
        event.save()
        head.last_seq, head.last_hash = event.seq, event.hash
        head.save(update_fields=["last_seq", "last_hash"])
    return event


@dataclass(frozen=True)
class ChainProblem:
    office_id: int
    seq: int
    event_id: int | None
    message: str

    def __str__(self) -> str:
        return f"office {self.office_id} event #{self.seq}: {self.message}"


def verify_chain(
    office_id: int, *, progress: Callable[[int, int], None] | None = None
) -> list[ChainProblem]:
    """Recompute one office's chain. Reports changed events (hash mismatch), broken links,
    gaps in the sequence (deleted events) and a missing tail (the head is ahead of the events)."""
    problems: list[ChainProblem] = []
    events = AuditEvent.objects.filter(office_id=office_id).order_by("seq")
    total = events.count()
    expected_seq, prev_hash = 1, ""
    for done, event in enumerate(events.iterator(chunk_size=2000), start=1):
        if event.seq != expected_seq:
            missing = (
                f"#{expected_seq}"
                if event.seq == expected_seq + 1
                else f"#{expected_seq}–#{event.seq - 1}"
            )
            problems.append(
                ChainProblem(office_id, expected_seq, None, f"deleted: event {missing} is missing")
            )
        elif event.prev_hash != prev_hash:
            problems.append(
                ChainProblem(
                    office_id, event.seq, event.pk, "link broken: previous hash does not match"
                )
            )
        if event_hash(event) != event.hash:
            problems.append(
                ChainProblem(
                    office_id,
                    event.seq,
                    event.pk,
                    f"changed: contents do not match its hash (action {event.action})",
                )
            )
        expected_seq, prev_hash = event.seq + 1, event.hash
        if progress and (done % 1000 == 0 or done == total):
            progress(done, total)
    head = AuditChainHead.objects.filter(office_id=office_id).first()
    if head is not None and head.last_seq >= expected_seq:
        problems.append(
            ChainProblem(
                office_id,
                expected_seq,
                None,
                f"deleted: events #{expected_seq}–#{head.last_seq} at the end of the chain are missing",
            )
        )
    elif head is not None and head.last_hash != prev_hash:
        problems.append(
            ChainProblem(
                office_id, head.last_seq, None, "the chain head does not match the last event"
            )
        )
    return problems
