"""Full office exports: the ZIP files an admin made of everything the office holds."""

from django.db import models

from civicdesk.core.models import OfficeOwned


class OfficeExport(OfficeOwned):
    """One full export of an office (every office-owned table as CSV, the case documents and a
    manifest), made by a job. The file is ready once `finished_at` is set."""

    job = models.ForeignKey("jobs.Job", models.SET_NULL, null=True, blank=True, related_name="+")
    started_by = models.ForeignKey(
        "accounts.Membership", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Under media/, never served directly: the download view checks the role and audits.
    file = models.FileField(upload_to="exports/office/%Y/%m/", max_length=300, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    table_count = models.PositiveIntegerField(default=0)
    row_count = models.PositiveBigIntegerField(default=0)
    document_count = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["office", "-created_at"], name="officeexport_office_recent")
        ]

    def __str__(self) -> str:
        return f"Office export {self.pk} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def is_ready(self) -> bool:
        return self.finished_at is not None and bool(self.file)

    @property
    def state(self) -> str:
        """ "ready", "failed" (its job failed) or "running" (queued or under way)."""
        if self.is_ready:
            return "ready"
        if self.job is not None and self.job.state == "failed":
            return "failed"
        return "running"

    @property
    def filename(self) -> str:
        return f"office-export-{self.created_at:%Y%m%d-%H%M%S}.zip"
