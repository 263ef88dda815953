"""An import of people from a file: the stored file and its detected shape, the column mapping,
the checkpoint that lets a killed import resume, its counts, and the rows that failed."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from civicdesk.core.models import OfficeOwned


class ImportState(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")  # shape detected, waiting for its mapping
    MAPPED = "mapped", _("Ready to import")  # mapping chosen, preview available
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Importing")
    FINISHED = "finished", _("Finished")
    FAILED = "failed", _("Failed")  # the file could not be read to the end (its rows are kept)


# Ways a row finds the person it already is, tried in this order. The office picks which apply.
class MatchRule(models.TextChoices):
    EXTERNAL_ID = "external_id", _("The id column (e.g. the voter id)")
    EMAIL = "email", _("Email address")
    NAME_BIRTH_DATE = "name_birth_date", _("First and last name with date of birth")
    NAME_ADDRESS = "name_address", _("First and last name with street address and postcode")


DEFAULT_MATCH_RULES = [MatchRule.EXTERNAL_ID, MatchRule.EMAIL, MatchRule.NAME_BIRTH_DATE]


class ImportBatch(OfficeOwned):
    """One file being imported. `rows_done` is the checkpoint: the number of data rows whose
    people are written, saved in the same transaction as those rows, so a killed worker
    resumes exactly after them."""

    filename = models.CharField(_("file name"), max_length=255)
    file = models.FileField(upload_to="imports/%Y/%m/")  # media/, never served directly
    file_size = models.PositiveBigIntegerField(default=0)
    shape = models.JSONField(default=dict, blank=True)  # tabular.reading.FileShape.to_dict()
    mapping = models.JSONField(default=dict, blank=True)  # tabular.mapping.Mapping.to_dict()
    match_rules = models.JSONField(default=list, blank=True)  # MatchRule values, in order
    tag = models.ForeignKey(
        "tags.Tag", models.SET_NULL, null=True, blank=True, related_name="+"
    )  # every person of the batch gets it
    state = models.CharField(
        max_length=12, choices=ImportState.choices, default=ImportState.UPLOADED
    )
    job = models.OneToOneField(
        "jobs.Job", models.SET_NULL, null=True, blank=True, related_name="import_batch"
    )
    # A batch of rows fixed after they failed in another batch.
    retry_of = models.ForeignKey(
        "self", models.SET_NULL, null=True, blank=True, related_name="retries"
    )
    rows_total = models.PositiveBigIntegerField(null=True, blank=True)  # known once counted
    rows_done = models.PositiveBigIntegerField(default=0)  # the checkpoint
    created = models.PositiveBigIntegerField(default=0)
    updated = models.PositiveBigIntegerField(default=0)
    unchanged = models.PositiveBigIntegerField(default=0)
    failed = models.PositiveBigIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)  # a running worker's last sign
    started_by = models.ForeignKey(
        "accounts.Membership", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)  # why the file stopped being readable, for people

    class Meta:
        indexes = [
            models.Index(fields=["office", "-created_at"], name="importbatch_office_recent"),
            models.Index(fields=["state", "heartbeat_at"], name="importbatch_state_heartbeat"),
        ]

    def __str__(self) -> str:
        return self.filename

    @property
    def summary(self) -> str:
        """The line the command ends with."""
        return (
            f"created={self.created} updated={self.updated} "
            f"unchanged={self.unchanged} failed={self.failed}"
        )


class ImportFailure(models.Model):
    """A row that could not be imported, with its cells as read and the reason."""

    batch = models.ForeignKey(ImportBatch, models.CASCADE, related_name="failures")
    row_number = models.PositiveBigIntegerField()  # data row, 1-based, header not counted
    cells = models.JSONField(default=list)  # the row as read (cut to a sane size when huge)
    reason = models.TextField()
    is_fixed = models.BooleanField(default=False)  # imported again after a fix

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["batch", "row_number"], name="importfailure_unique")
        ]

    def __str__(self) -> str:
        return f"row {self.row_number}: {self.reason}"


class SavedMapping(OfficeOwned):
    """A column mapping an office saved under a name, offered again next time."""

    name = models.CharField(_("name"), max_length=100)
    mapping = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        "accounts.Membership", models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["office", "name"], name="savedmapping_unique_name")
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
