"""API: read the audit log; verify its chain in the background."""

from datetime import date, datetime
from typing import Any

from ninja import Router, Schema, Status
from ninja.pagination import CursorPagination, paginate

from civicdesk.core.api import needs
from civicdesk.jobs.api import JobOut

from . import queries, services

router = Router(tags=["audit"])


class AuditEventOut(Schema):
    id: int
    seq: int
    at: datetime
    actor_id: int | None
    actor_label: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    changes: dict[str, Any]
    ip: str | None
    user_agent: str
    hash: str
    prev_hash: str


@router.get("/audit/events", response=list[AuditEventOut])
@needs("audit.view")
@paginate(CursorPagination, ordering=("-seq",))
def list_events(
    request,
    action: str = "",
    actor_id: int | None = None,
    object_type: str = "",
    object_id: str = "",
    since: date | None = None,
    until: date | None = None,
):
    return queries.event_list(
        request.auth.office,
        action=action,
        actor_id=actor_id,
        object_type=object_type,
        object_id=object_id,
        since=since,
        until=until,
    )


@router.post("/audit/verify", response={202: JobOut})
@needs("audit.verify")
def verify(request):
    return Status(202, services.start_verification(by=request.auth))
