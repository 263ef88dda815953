"""Audit events, chained per office: each stores the hash of the one before."""

from django.db import models


class AuditChainHead(models.Model):
    """The newest link of one office's chain. Locked while appending, so links never fork;
    verification compares it with the last event to notice deleted tails."""

    office = models.OneToOneField(
        "accounts.Office", models.CASCADE, primary_key=True, related_name="+"
    )
    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="")

    def __str__(self) -> str:
        return f"chain head {self.office_id}#{self.last_seq}"


class AuditEvent(models.Model):
    """One thing a person (or the system) did to or with a record. Never updated, never deleted."""

    office = models.ForeignKey("accounts.Office", models.CASCADE, related_name="+")
    seq = models.PositiveBigIntegerField()
    at = models.DateTimeField()
    actor = models.ForeignKey("accounts.Membership", models.SET_NULL, null=True, related_name="+")
    actor_label = models.CharField(max_length=254)  # kept as text: the chain must not depend on FKs
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["office", "seq"], name="audit_event_seq_unique")
        ]
        indexes = [
            models.Index(fields=["office", "-seq"], name="audit_office_seq_desc"),
            models.Index(fields=["office", "object_type", "object_id"], name="audit_office_object"),
            models.Index(fields=["office", "actor", "-seq"], name="audit_office_actor"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise RuntimeError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("Audit events are append-only.")

    @property
    def change_rows(self) -> list[tuple[str, object, object]]:
        """(field, old, new) for display. Changes are {field: [old, new]}; an event may also
        carry plain details {name: value} (a job's parameters), shown as new values."""
        return [
            (field, *value) if isinstance(value, list) and len(value) == 2 else (field, None, value)
            for field, value in (self.changes or {}).items()
        ]
