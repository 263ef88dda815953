"""Runs of the House CMS interchange (an import or an export, with its report) and the staging
table that keeps every record read, so that nothing of an export is ever lost."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicdesk.core.models import OfficeOwned


class RunKind(models.TextChoices):
    IMPORT = "import", _("Import")
    EXPORT = "export", _("Export")


class RunState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    FINISHED = "finished", _("Finished")
    FAILED = "failed", _("Failed")


class InterchangeRun(OfficeOwned):
    """One import or export of House CMS files: the uploaded ZIP or the export made, its job,
    and its report (counts per record type, oddities, orphans; see report.py)."""

    kind = models.CharField(max_length=10, choices=RunKind.choices)
    state = models.CharField(max_length=10, choices=RunState.choices, default=RunState.QUEUED)
    filename = models.CharField(_("file"), max_length=255, blank=True)  # as the person named it
    upload = models.FileField(upload_to="interchange/uploads/%Y/%m/", max_length=300, blank=True)
    result = models.FileField(upload_to="interchange/exports/%Y/%m/", max_length=300, blank=True)
    job = models.OneToOneField(
        "jobs.Job", models.SET_NULL, null=True, blank=True, related_name="interchange_run"
    )
    report = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)  # why it failed, for people
    started_by = models.ForeignKey(
        "accounts.Membership", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["office", "-created_at"], name="interchangerun_recent")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.filename}".strip()

    @property
    def is_finished(self) -> bool:
        return self.state in {RunState.FINISHED, RunState.FAILED}


class StagedRecord(OfficeOwned):
    """One record of a House CMS export, as it was read. Records whose module exists are
    brought in (`brought_in_at`, and `object_type`/`object_id` name what they became); the
    others wait here, written back as they came by every export, until a module registers a
    handler for their type (handlers.bring_in_staged)."""

    record_type = models.CharField(max_length=2)
    key = models.CharField(max_length=255)  # the record's id field(s), joined by ":"
    # The key without its last part: what the record belongs to (a 3D text's case, a 5A
    # member's household), to find the records of one parent by an exact match.
    parent_key = models.CharField(max_length=255, blank=True)
    fields = models.JSONField(default=dict)  # field name (record_types.csv) -> value
    # The same line read twice is one row: a hash of the type, the key and the values.
    fingerprint = models.CharField(max_length=64)
    source_file = models.CharField(max_length=100)
    line_number = models.PositiveIntegerField()
    imported_at = models.DateTimeField(default=timezone.now)
    brought_in_at = models.DateTimeField(null=True, blank=True)
    object_type = models.CharField(max_length=60, blank=True)  # "constituents.person"
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)  # why it is still staged
    # The file a 2C, 4C or 8C record names, copied from the export's documents/ folder.
    document = models.FileField(
        upload_to="interchange/documents/%Y/%m/", max_length=300, blank=True
    )
    run = models.ForeignKey(
        InterchangeRun, models.SET_NULL, null=True, blank=True, related_name="records"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["office", "record_type", "fingerprint"], name="stagedrecord_once"
            )
        ]
        indexes = [
            models.Index(fields=["office", "record_type", "key"], name="stagedrecord_key"),
            models.Index(
                fields=["office", "record_type", "parent_key"], name="stagedrecord_parent"
            ),
            models.Index(
                fields=["office", "record_type", "id"],
                condition=models.Q(brought_in_at__isnull=True),
                name="stagedrecord_waiting",
            ),
            models.Index(fields=["office", "object_type", "object_id"], name="stagedrecord_obj"),
        ]

    def __str__(self) -> str:
        return f"{self.record_type} {self.key}"

    @property
    def is_staged(self) -> bool:
        return self.brought_in_at is None
