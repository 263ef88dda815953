"""Schemas of the exports API (api.py). Names start with "Export" or "OfficeExport": OpenAPI
names a schema by its class name, and they must be unique across the project's routers."""

from datetime import datetime
from typing import Literal

from django.urls import reverse
from ninja import Field, Schema

from civicdesk.jobs.api import JobOut

from .models import OfficeExport


class ExportPeopleFilter(Schema):
    """The people list's filters (as GET /people takes them)."""

    q: str = Field("", max_length=200, description="Words, an email, a phone, a postcode or an id.")
    district_id: int | None = None
    tag_ids: list[int] = Field([], description="People with any, all or none of these tags.")
    tag_mode: Literal["any", "all", "none"] = "any"
    flags: list[str] = Field([], description="Flags that must be set (do_not_email, is_vip…).")
    language: str = Field("", max_length=10)
    order: Literal["name", "-name", "updated", "-updated"] = "name"


class ExportPeopleIn(Schema):
    filters: ExportPeopleFilter = Field(default_factory=ExportPeopleFilter)
    format: Literal["csv", "xlsx", "vcard"] = "csv"


class ExportPeopleJobOut(Schema):
    """A list too long to send at once: the job writing it (its result_url, when done)."""

    count: int
    job: JobOut


class OfficeExportOut(Schema):
    id: int
    state: Literal["running", "ready", "failed"]
    job_id: int | None
    created_at: datetime
    finished_at: datetime | None
    size: int
    table_count: int
    row_count: int
    document_count: int
    download_url: str | None

    @staticmethod
    def resolve_download_url(obj: OfficeExport) -> str | None:
        if not obj.is_ready:
            return None
        return reverse("api:download_office_export", kwargs={"export_id": obj.pk})
