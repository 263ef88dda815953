"""Jobs (a person's long piece of work and its progress) and periodic-task leases."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from civicdesk.core.models import OfficeOwned


class JobState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Finished")
    FAILED = "failed", _("Failed")


class Job(OfficeOwned):
    """One run of a long task (an import, a verification, an export), with its progress."""

    kind = models.CharField(max_length=60)
    title = models.CharField(max_length=200)
    started_by = models.ForeignKey(
        "accounts.Membership", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    state = models.CharField(max_length=12, choices=JobState.choices, default=JobState.QUEUED)
    params = models.JSONField(default=dict, blank=True)
    done = models.PositiveBigIntegerField(default=0)
    total = models.PositiveBigIntegerField(null=True, blank=True)
    messages = models.JSONField(default=list, blank=True)
    result = models.JSONField(default=dict, blank=True)
    result_file = models.FileField(upload_to="job-results/", blank=True)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["office", "-created_at"], name="job_office_recent")]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_state_display()})"

    @property
    def is_finished(self) -> bool:
        return self.state in {JobState.SUCCEEDED, JobState.FAILED}

    @property
    def percent(self) -> int | None:
        if not self.total:
            return 100 if self.state == JobState.SUCCEEDED else None
        return min(100, round(100 * self.done / self.total))


class PeriodicLease(models.Model):
    """When a periodic task is next due. A worker's scheduler claims a run by moving
    `next_run_at` forward with a conditional update: only one worker's update matches."""

    name = models.CharField(max_length=100, primary_key=True)
    next_run_at = models.DateTimeField()
    last_enqueued_at = models.DateTimeField(null=True, blank=True)
    last_worker = models.CharField(max_length=64, blank=True)
    run_count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} next at {self.next_run_at:%Y-%m-%d %H:%M}"
