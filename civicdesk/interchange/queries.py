"""Reads of the interchange: the office's runs, one run, what waits in the staging table."""

from typing import Any

from django.db.models import Count, QuerySet

from civicdesk.core.access import get_for_member

from .handlers import HANDLERS, WAITING_FOR
from .layout import LABELS, ORDER
from .models import InterchangeRun, StagedRecord


def run_list(office: Any) -> QuerySet[InterchangeRun]:
    runs = InterchangeRun.objects.for_office(office).select_related("started_by__user", "job")
    return runs.order_by("-created_at", "-id")


def get_run(member: Any, run_id: int) -> InterchangeRun:
    """One of the office's runs: 404 when missing or another office's, 403 without the right."""
    return get_for_member(member, run_list(member.office), run_id, need="interchange.run")


def staged_summary(office: Any) -> list[dict[str, Any]]:
    """Per record type, how many records wait in the staging table, and for what."""
    counts = dict(
        StagedRecord.objects.filter(office=office, brought_in_at__isnull=True)
        .values_list("record_type")
        .annotate(count=Count("id"))
        .values_list("record_type", "count")
    )
    return [
        {
            "record_type": record_type,
            "label": LABELS[record_type],
            "count": counts[record_type],
            "has_handler": record_type in HANDLERS,
            "waiting_for": WAITING_FOR.get(record_type, ""),
        }
        for record_type in ORDER
        if counts.get(record_type)
    ]
