"""The REST API of duplicates (mounted at /api/v1 by civicdesk/api.py): the review queue, a
pair with its explanation, decisions on pairs, merging any two people, undoing a merge, and
starting a scan.

Reading a pair is audited ("dedupe.pair_viewed", on each person); decisions, merges, undos
and scans are audited by their services. Another office's pair, merge or person answers 404
like a missing one; refusals answer 409 with their code (`merge_refused`, `undo_refused`,
`decision_refused`)."""

from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Query, Router, Status
from ninja.pagination import CursorPagination, paginate

from civicdesk.constituents.models import Person
from civicdesk.core.api import ErrorOut, needs

from . import queries, services
from .schemas import (
    DuplicateDecisionIn,
    DuplicateDecisionOut,
    DuplicatePairOut,
    DuplicateScanOut,
    MergeIn,
    MergeOut,
)

router = Router(tags=["duplicates"])

REFUSALS = {400: ErrorOut, 409: ErrorOut, 422: ErrorOut}


@router.get("/duplicates", response={200: list[DuplicatePairOut], 400: ErrorOut})
@needs("dedupe.review")
@paginate(CursorPagination, ordering=("-probability", "id"))
def list_duplicates(
    request, status: str = Query("pending", description="pending, later or decided")
):
    """Likely duplicate pairs of the office, best first: the review queue."""
    return queries.pair_list(request.auth.office, queue=status)


# Declared before /duplicates/{pair_id}, whose pattern would otherwise take "scan" for an id.
@router.post("/duplicates/scan", response={202: DuplicateScanOut})
@needs("dedupe.configure")
def scan_duplicates(request):
    """Start a scan of the office (a background job; one already running is returned)."""
    job = services.start_scan(request.auth.office, by=request.auth)
    url = reverse("jobs:job-detail", args=[job.pk])
    return Status(202, {"job_id": job.pk, "state": job.state, "url": url})


@router.get("/duplicates/{pair_id}", response=DuplicatePairOut)
@needs("dedupe.review")
def get_duplicate(request, pair_id: int):
    """One pair with its explanation. Audited on both people."""
    pair = queries.get_pair(request.auth, pair_id)
    queries.record_pair_viewed(request.auth, pair)
    return pair


@router.post("/duplicates/{pair_id}/decision", response={200: DuplicateDecisionOut, **REFUSALS})
@needs("dedupe.review")
def decide_duplicate(request, pair_id: int, payload: DuplicateDecisionIn):
    """Merge the pair (keeping `survivor_id`), or mark it not a duplicate (never proposed
    again), later, or back to review."""
    pair = queries.get_pair(request.auth, pair_id)
    merge = None
    if payload.decision == "merge":
        survivor_id = payload.survivor_id or pair.person_a_id
        merge = services.merge_pair(
            pair, by=request.auth, survivor_id=survivor_id, choices=payload.choices
        )
    else:
        services.decide_pair(pair, by=request.auth, decision=payload.decision)
    return {"pair": queries.get_pair(request.auth, pair_id), "merge": merge}


@router.post("/people/{person_id}/merge", response={200: MergeOut, **REFUSALS})
@needs("dedupe.review")
def merge_people(request, person_id: int, payload: MergeIn):
    """Merge `other_id` into this person: everything of the other moves here, the other is
    removed. Undo with POST /merges/{merge_id}/undo."""
    people = Person.objects.for_office(request.auth.office)
    survivor = get_object_or_404(people, pk=person_id)
    other = get_object_or_404(people, pk=payload.other_id)
    return services.merge(survivor, other, by=request.auth, choices=payload.choices)


@router.get("/merges", response=list[MergeOut])
@needs("dedupe.review")
@paginate(CursorPagination, ordering=("-at", "-id"))
def list_merges(request):
    """The office's merges, newest first."""
    return queries.merge_list(request.auth.office)


@router.post("/merges/{merge_id}/undo", response={200: MergeOut, **REFUSALS})
@needs("dedupe.review")
def undo_merge(request, merge_id: int):
    """Give the merged person back (same id), with everything that was theirs."""
    merge = queries.get_merge(request.auth, merge_id)
    services.undo_merge(merge, by=request.auth)
    return queries.get_merge(request.auth, merge_id)
