"""Schemas of the imports API (api.py). Names start with "Import": OpenAPI names a schema by its
class name, and they must be unique across the project's routers."""

import datetime as dt
from typing import Any

from ninja import Field, Schema
from pydantic import model_validator

from .models import ImportState, MatchRule


class ImportTagOut(Schema):
    id: int
    name: str


class ImportBatchOut(Schema):
    id: int
    filename: str
    file_size: int
    state: ImportState = Field(
        description="uploaded (choose the mapping), mapped (preview, then start), queued, "
        "running, finished, or failed (the file could not be read to the end)."
    )
    shape: dict[str, Any] = Field(
        description="How the file is read: format, encoding, delimiter, has_header, columns."
    )
    mapping: dict[str, Any] = Field(
        description="columns (field -> file columns), id_system, date_order; {} until chosen."
    )
    match_rules: list[str]
    tag: ImportTagOut | None
    job_id: int | None
    retry_of_id: int | None = Field(description="The import whose failed row this one fixed.")
    rows_total: int | None = Field(description="Data rows in the file, once counted.")
    rows_done: int
    percent: int
    created: int
    updated: int
    unchanged: int
    failed: int
    error: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None

    @staticmethod
    def resolve_percent(obj: Any) -> int:
        if obj.state == ImportState.FINISHED:
            return 100
        if not obj.rows_total:
            return 0
        return min(100, round(100 * obj.rows_done / obj.rows_total))


class ImportShapeIn(Schema):
    """Read the file differently. What is not sent is kept (or detected again)."""

    has_header: bool | None = None
    delimiter: str | None = Field(None, description='"\\t", ",", "|" or ";" (not for XLSX).')
    encoding: str | None = Field(None, description="utf-8, utf-8-sig, cp1252 or latin-1.")


class ImportColumnsIn(Schema):
    columns: dict[str, list[str]] = Field(
        description='Field -> the file columns it is made of, e.g. {"last_name": ["last_name"], '
        '"line1": ["house_num", "street_name"]}. Fields: see GET /import-presets or the guide.'
    )
    id_system: str = Field("import", max_length=50, description='e.g. "voter".')
    date_order: str = Field("", description='"" detects; else "MDY", "YMD" or "DMY".')


class ImportMappingIn(Schema):
    """Give the mapping itself, or name a preset or a saved mapping; with none of the three,
    the columns are guessed from the header names."""

    mapping: ImportColumnsIn | None = None
    preset: str = Field("", description='A key of GET /import-presets, e.g. "nc".')
    saved_mapping_id: int | None = Field(None, description="One of GET /import-mappings.")
    match_rules: list[MatchRule] | None = Field(
        None, description="How a row finds an existing person, tried in order; default: the "
        "batch's, else external_id, email, name_birth_date."
    )  # fmt: skip
    tag_name: str = Field("", max_length=100, description='Default "Import <file> <date>".')
    save_as: str = Field("", max_length=100, description="Also save the mapping under this name.")

    @model_validator(mode="after")
    def _one_source(self) -> "ImportMappingIn":
        given = [self.mapping is not None, bool(self.preset), self.saved_mapping_id is not None]
        if sum(given) > 1:
            raise ValueError("Send one of mapping, preset or saved_mapping_id.")
        return self


class ImportPreviewRowOut(Schema):
    number: int
    cells: list[str]
    record: dict[str, Any] = Field(description="The person the row becomes.")
    problems: list[str] = Field(description="Why the row would fail; empty when it is fine.")
    match: str = Field(description='"new", or which existing person it updates.')
    similar: list[dict[str, Any]] = Field(description="Existing people it resembles.")


class ImportJobOut(Schema):
    id: int
    kind: str
    state: str
    done: int
    total: int | None
    percent: int | None
    batch_id: int
    url: str = Field(description="GET it for the import's progress.")


class ImportFailureOut(Schema):
    id: int
    row_number: int
    cells: list[str]
    reason: str
    is_fixed: bool


class ImportRetryIn(Schema):
    cells: list[str] = Field(max_length=10_000, description="The row's cells, corrected.")


class ImportPresetOut(Schema):
    key: str
    label: str
    description: str
    mapping: dict[str, Any]
    shape_hint: dict[str, Any] = Field(description="How files of this layout are written.")


class ImportTargetOut(Schema):
    target: str
    label: str


class ImportSavedMappingOut(Schema):
    id: int
    name: str
    mapping: dict[str, Any]
    created_at: dt.datetime


class ImportSavedMappingIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    mapping: ImportColumnsIn
