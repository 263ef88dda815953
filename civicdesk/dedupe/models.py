"""Duplicates: the likely pairs a scan found and what staff decided about them, the merges (with
everything needed to undo one), and each office's learned model and automatic-merge threshold."""

import math

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from civicdesk.core.models import OfficeOwned


class PairStatus(models.TextChoices):
    PENDING = "pending", _("To review")
    LATER = "later", _("Later")
    NOT_DUPLICATE = "not_duplicate", _("Not a duplicate")
    MERGED = "merged", _("Merged")


# The statuses a person decided; "not a duplicate" is never proposed again by a scan.
DECIDED_STATUSES = (PairStatus.NOT_DUPLICATE, PairStatus.MERGED)


class DuplicatePair(OfficeOwned):
    """Two people of an office a scan found likely to be one, with the score explained field by
    field. `person_a` has the lower id. Once merged, the removed side is null (the Merge row
    keeps who it was); a pair whose person was deleted otherwise is dropped by the next scan."""

    person_a = models.ForeignKey(
        "constituents.Person", models.SET_NULL, null=True, related_name="+"
    )
    person_b = models.ForeignKey(
        "constituents.Person", models.SET_NULL, null=True, related_name="+"
    )
    probability = models.FloatField()
    # [{"field", "level", "weight"}]: engine.FieldScore of each compared field.
    fields = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=15, choices=PairStatus.choices, default=PairStatus.PENDING)
    found_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        "accounts.Membership", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person_a", "person_b"], name="duplicatepair_unique"),
            models.CheckConstraint(
                condition=Q(person_a__isnull=True)
                | Q(person_b__isnull=True)
                | Q(person_a__lt=F("person_b")),
                name="duplicatepair_a_before_b",
            ),
        ]
        indexes = [
            # The queue: one status, best first.
            models.Index(
                fields=["office", "status", "-probability", "id"], name="duplicatepair_queue"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_a_id} ~ {self.person_b_id} ({self.probability:.3f})"

    @property
    def percent(self) -> int:
        """Whole percent, rounded down: 99.7% likely is never shown as certain."""
        return math.floor(100 * self.probability)

    @property
    def is_open(self) -> bool:
        """Still waiting for a decision, with both people there."""
        return (
            self.status in (PairStatus.PENDING, PairStatus.LATER)
            and self.person_a_id is not None
            and self.person_b_id is not None
        )


class Merge(OfficeOwned):
    """One person merged into another: the survivor kept, the other removed. `snapshot` holds
    what undoing needs: the removed person and every row removed with it (serialized), the rows
    moved to the survivor and the values changed (see services/merging.py)."""

    survivor = models.ForeignKey(
        "constituents.Person", models.SET_NULL, null=True, related_name="+"
    )
    merged_id = models.PositiveBigIntegerField()  # the removed person's id, given back by undo
    merged_name = models.CharField(max_length=320, blank=True)
    pair = models.ForeignKey(
        DuplicatePair, models.SET_NULL, null=True, blank=True, related_name="merges"
    )
    probability = models.FloatField(null=True, blank=True)  # the pair's, when there was one
    is_automatic = models.BooleanField(default=False)  # by a scan, above the office's threshold
    snapshot = models.JSONField(default=dict)
    by = models.ForeignKey(
        "accounts.Membership", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField()
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        "accounts.Membership", models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["office", "-at", "-id"], name="merge_office_recent")]

    def __str__(self) -> str:
        return f"{self.merged_id} into {self.survivor_id}"

    @property
    def is_undone(self) -> bool:
        return self.undone_at is not None


class DedupeSettings(models.Model):
    """How an office looks for duplicates: the field weights learned by its last scan, and the
    probability above which a scan merges without asking (never, when null)."""

    office = models.OneToOneField("accounts.Office", models.CASCADE, related_name="+")
    model = models.JSONField(default=dict, blank=True)  # engine.Model.to_dict(); {} = defaults
    learned_at = models.DateTimeField(null=True, blank=True)
    auto_merge_threshold = models.FloatField(null=True, blank=True)
    last_scan_at = models.DateTimeField(null=True, blank=True)
    last_scan = models.JSONField(default=dict, blank=True)  # {"pairs", "new", "auto_merged"}

    def __str__(self) -> str:
        return f"Duplicate settings of office {self.office_id}"
