"""Reads for the audit log."""

from datetime import date
from typing import Any

from django.db.models import QuerySet

from .models import AuditEvent


def event_list(
    office: Any,
    *,
    action: str = "",
    actor_id: int | None = None,
    object_type: str = "",
    object_id: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.filter(office=office)
    if action:
        events = events.filter(action__startswith=action)
    if actor_id:
        events = events.filter(actor_id=actor_id)
    if object_type:
        events = events.filter(object_type=object_type)
    if object_id:
        events = events.filter(object_id=object_id)
    if since:
        events = events.filter(at__date__gte=since)
    if until:
        events = events.filter(at__date__lte=until)
    return events.order_by("-seq")


def action_names(office: Any) -> list[str]:
    return list(
        AuditEvent.objects.filter(office=office)
        .values_list("action", flat=True)
        .distinct()
        .order_by("action")
    )


def actor_choices(office: Any) -> list[tuple[int, str]]:
    """(membership id, email) of everyone who appears in the office's log."""
    rows = (
        AuditEvent.objects.filter(office=office, actor__isnull=False)
        .values_list("actor_id", "actor_label")
        .distinct()
        .order_by("actor_label")
    )
    return list(rows)
