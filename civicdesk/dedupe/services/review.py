"""Decisions on the review queue (not a duplicate, later, merge) and the office's settings."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicdesk import audit
from civicdesk.accounts.models import Membership, Office
from civicdesk.constituents.models import Person
from civicdesk.core.access import require
from civicdesk.dedupe import engine
from civicdesk.dedupe.errors import DecisionRefused, SettingsRefused
from civicdesk.dedupe.models import DedupeSettings, DuplicatePair, Merge, PairStatus
from civicdesk.dedupe.services.merging import merge

__all__ = ["DECISIONS", "decide_pair", "merge_pair", "set_auto_merge_threshold"]

# What a reviewer may decide about a pair without merging it.
DECISIONS = (PairStatus.NOT_DUPLICATE, PairStatus.LATER, PairStatus.PENDING)


def _open_pair(pair: DuplicatePair) -> DuplicatePair:
    locked = DuplicatePair.objects.select_for_update().get(pk=pair.pk)
    if locked.status == PairStatus.MERGED:
        raise DecisionRefused(_("These two were merged already."))
    if locked.person_a_id is None or locked.person_b_id is None:
        raise DecisionRefused(_("One of these two people no longer exists."))
    return locked


@transaction.atomic
def decide_pair(pair: DuplicatePair, *, by: Membership | None, decision: str) -> DuplicatePair:
    """Mark a pair "not a duplicate" (no scan proposes it again), "later", or back to review.
    Audited ("dedupe.pair_decided")."""
    require(by, "dedupe.review", pair.office_id)
    if decision not in DECISIONS:
        raise DecisionRefused(
            _("“%(decision)s” is not a decision: use %(known)s, or merge.")
            % {"decision": decision, "known": ", ".join(DECISIONS)}
        )
    pair = _open_pair(pair)
    before = pair.status
    pair.status = decision
    pair.decided_by = by
    pair.decided_at = timezone.now() if decision != PairStatus.PENDING else None
    pair.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    audit.record(
        by, "dedupe.pair_decided", pair,
        changes={"status": [before, decision], "person_ids": [pair.person_a_id, pair.person_b_id]},
    )  # fmt: skip
    return pair


def merge_pair(
    pair: DuplicatePair,
    *,
    by: Membership | None,
    survivor_id: int,
    choices: dict[str, str] | None = None,
) -> Merge:
    """Merge the two people of a pair, keeping `survivor_id` (one of the two)."""
    require(by, "dedupe.review", pair.office_id)
    with transaction.atomic():
        pair = _open_pair(pair)
        ids = (pair.person_a_id, pair.person_b_id)
        if survivor_id not in ids:
            raise DecisionRefused(_("Keep one of the two people of this pair."))
        other_id = ids[1] if survivor_id == ids[0] else ids[0]
        people = Person.objects.select_related("office").in_bulk(ids)
        return merge(people[survivor_id], people[other_id], by=by, choices=choices)


@transaction.atomic
def set_auto_merge_threshold(
    office: Office, *, by: Membership | None, threshold: float | None
) -> DedupeSettings:
    """Let scans merge without review the pairs at or above `threshold` (a probability above
    the shipped threshold, up to 1); None: never. Audited ("dedupe.settings_changed")."""
    require(by, "dedupe.configure", office.pk)
    if threshold is not None and not engine.SHIPPED_THRESHOLD < threshold <= 1:
        raise SettingsRefused(
            _("The automatic merge threshold must be above %(low)s%% and at most 100%%.")
            % {"low": _percent(engine.SHIPPED_THRESHOLD)}
        )
    settings, _created = DedupeSettings.objects.select_for_update().get_or_create(office=office)
    before = settings.auto_merge_threshold
    if before != threshold:
        settings.auto_merge_threshold = threshold
        settings.save(update_fields=["auto_merge_threshold"])
        audit.record(
            by, "dedupe.settings_changed", settings, office=office,
            changes={"auto_merge_threshold": [before, threshold]},
        )  # fmt: skip
    return settings


def _percent(probability: float) -> str:
    return f"{100 * probability:.4g}"
