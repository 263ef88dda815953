"""API of imports (mounted at /api/v1 by civicdesk/api.py): upload a file, read it differently,
choose its column mapping (by hand, a preset or a saved mapping), preview the first rows, start
the import as a background job and follow it, read and retry its failed rows; the presets, the
fields a column can become, and the office's saved mappings. Everything needs `import.run`.

Another office's import is a 404 like a missing one. A mapping that names a column the file
does not have, or a field people do not have, answers 422 `invalid_mapping`; an unknown
`saved_mapping_id` 422 `unknown_reference`; a file too large 413 `import_too_big`; a file that
is not a table, or a step out of order, 409 with the service's code (`import_refused`)."""

from dataclasses import asdict

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status
from ninja.pagination import CursorPagination, paginate

from civicdesk import audit
from civicdesk.core.access import get_for_member
from civicdesk.core.api import ErrorOut, needs
from civicdesk.core.errors import BadRequest, DomainError
from civicdesk.tabular.mapping import PRESETS, Mapping, MappingError, guess_mapping
from civicdesk.tabular.reading import FileShape

from . import forms, services
from .models import ImportBatch, ImportFailure, SavedMapping
from .schemas import (
    ImportBatchOut,
    ImportFailureOut,
    ImportJobOut,
    ImportMappingIn,
    ImportPresetOut,
    ImportPreviewRowOut,
    ImportRetryIn,
    ImportSavedMappingIn,
    ImportSavedMappingOut,
    ImportShapeIn,
    ImportTargetOut,
)

router = Router(tags=["imports"])

PERMISSION = "import.run"
REFUSALS = {400: ErrorOut, 409: ErrorOut, 413: ErrorOut, 422: ErrorOut}
MULTIPART_FILE = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            }
        },
    }
}


class InvalidMapping(DomainError):
    code = "invalid_mapping"
    status = 422


class UnknownReference(DomainError):
    """A body names a saved mapping that is not the office's (or does not exist)."""

    code = "unknown_reference"
    status = 422


def _batch(request, batch_id: int) -> ImportBatch:
    batches = ImportBatch.objects.select_related("tag")
    return get_for_member(request.auth, batches, batch_id, need=PERMISSION)


def _job_out(batch: ImportBatch, job) -> dict:
    return {
        "id": job.pk, "kind": job.kind, "state": job.state, "done": job.done,
        "total": job.total, "percent": job.percent, "batch_id": batch.pk,
        "url": f"/api/v1/imports/{batch.pk}",
    }  # fmt: skip


# ---------------------------------------------------------------- imports


@router.get("/imports", response=list[ImportBatchOut])
@needs(PERMISSION)
@paginate(CursorPagination, ordering=("-created_at", "-id"))
def list_imports(request):
    """The office's imports, newest first."""
    return ImportBatch.objects.for_office(request.auth.office).select_related("tag")


@router.post("/imports", response={201: ImportBatchOut, **REFUSALS}, openapi_extra=MULTIPART_FILE)
@needs(PERMISSION)
def upload_import(request):
    """Upload a file (multipart form data, field `file`): CSV, TSV, pipe-delimited or XLSX.
    The answer holds the detected shape; nothing is imported yet."""
    handler = forms.limit_uploads(request)
    upload = forms.uploaded_file(request, handler)
    if upload is None:
        raise BadRequest("Send the file as multipart/form-data, in the field “file”.")
    if not upload.size:
        raise BadRequest("The file is empty: there is nothing to import.")
    batch = services.create_batch(request.auth.office, by=request.auth, uploaded=upload)
    return Status(201, _batch(request, batch.pk))


@router.get("/imports/{batch_id}", response=ImportBatchOut)
@needs(PERMISSION)
def get_import(request, batch_id: int):
    """An import: its state, counts and progress (poll it while it runs)."""
    return _batch(request, batch_id)


@router.put("/imports/{batch_id}/shape", response={200: ImportBatchOut, **REFUSALS})
@needs(PERMISSION)
def change_import_shape(request, batch_id: int, payload: ImportShapeIn):
    """Read the file with or without a header row, another delimiter or encoding. The columns
    change with it: choose the mapping after."""
    batch = _batch(request, batch_id)
    services.change_shape(batch, by=request.auth, **payload.dict())
    return _batch(request, batch.pk)


def _valid_mapping(data: dict) -> Mapping:
    try:
        return Mapping.from_dict(data)
    except MappingError as exc:
        raise InvalidMapping(str(exc)) from None


def _chosen_mapping(request, batch: ImportBatch, payload: ImportMappingIn) -> Mapping:
    if payload.mapping is not None:
        return _valid_mapping(payload.mapping.dict())
    if payload.preset:
        if payload.preset not in PRESETS:
            raise InvalidMapping(
                f"No preset {payload.preset!r}: use one of {', '.join(PRESETS)}.",
                details={"preset": sorted(PRESETS)},
            )
        return Mapping.from_dict(PRESETS[payload.preset].mapping.to_dict())
    if payload.saved_mapping_id is not None:
        saved = SavedMapping.objects.for_office(request.auth.office)
        found = saved.filter(pk=payload.saved_mapping_id).first()
        if found is None:
            raise UnknownReference(
                f"No saved mapping with id {payload.saved_mapping_id} in this office.",
                details={"saved_mapping_id": payload.saved_mapping_id},
            )
        return Mapping.from_dict(found.mapping)
    return guess_mapping(FileShape.from_dict(batch.shape))


@router.put("/imports/{batch_id}/mapping", response={200: ImportBatchOut, **REFUSALS})
@needs(PERMISSION)
def set_import_mapping(request, batch_id: int, payload: ImportMappingIn):
    """Choose what each column becomes, how rows find existing people, and the batch's tag.
    Then GET the preview, and POST start."""
    batch = _batch(request, batch_id)
    mapping = _chosen_mapping(request, batch, payload)
    problems = services.mapping_problems(mapping, FileShape.from_dict(batch.shape))
    if problems:
        raise InvalidMapping(" ".join(problems), details={"problems": problems})
    rules = [str(rule) for rule in payload.match_rules] if payload.match_rules else None
    tag_name = payload.tag_name.strip() or forms.default_tag_name(batch.filename)
    services.set_mapping(
        batch, by=request.auth, mapping=mapping, match_rules=rules, tag_name=tag_name
    )
    if payload.save_as.strip():
        services.save_mapping(
            batch.office, by=request.auth, name=payload.save_as.strip(), mapping=mapping
        )
    return _batch(request, batch.pk)


@router.get("/imports/{batch_id}/preview", response={200: list[ImportPreviewRowOut], **REFUSALS})
@needs(PERMISSION)
def preview_import(request, batch_id: int, limit: int = Query(20, ge=1, le=100)):
    """The first rows mapped to people, each with its problems and what it will do."""
    batch = _batch(request, batch_id)
    rows = services.preview(batch, limit=limit)
    audit.record(request.auth, "import.previewed", batch)
    return [
        {
            "number": row.number,
            "cells": list(row.cells),
            "record": asdict(row.record),
            "problems": list(row.problems),
            "match": row.match,
            "similar": list(row.similar),
        }  # fmt: skip
        for row in rows
    ]


@router.post("/imports/{batch_id}/start", response={202: ImportJobOut, **REFUSALS})
@needs(PERMISSION)
def start_import(request, batch_id: int):
    """Start the import as a background job. Follow it with GET /imports/{batch_id}."""
    batch = _batch(request, batch_id)
    job = services.start_import(batch, by=request.auth)
    return Status(202, _job_out(batch, job))


@router.post("/imports/{batch_id}/resume", response={202: ImportJobOut, **REFUSALS})
@needs(PERMISSION)
def resume_import(request, batch_id: int):
    """Queue a stopped import again (the file could not be read to the end, or its worker
    died): it goes on after its checkpoint. A running import answers 409."""
    batch = _batch(request, batch_id)
    job = services.resume_batch(batch, by=request.auth)
    return Status(202, _job_out(batch, job))


# ---------------------------------------------------------------- failed rows


@router.get("/imports/{batch_id}/failures", response=list[ImportFailureOut])
@needs(PERMISSION)
@paginate(CursorPagination, ordering=("row_number", "id"))
def list_import_failures(request, batch_id: int):
    """The rows that could not be imported, with the reason, in file order."""
    return ImportFailure.objects.filter(batch=_batch(request, batch_id))


@router.get("/imports/{batch_id}/failures.csv", response={200: None})
@needs(PERMISSION)
def download_import_failures(request, batch_id: int):
    """The failed rows as CSV: the file's columns plus "reason". Fix, then upload as an import."""
    batch = _batch(request, batch_id)
    response = HttpResponse(services.failures_csv(batch), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{batch.pk}-failed-rows.csv"'
    audit.record(request.auth, "import.failures_downloaded", batch)
    return response


@router.post(
    "/imports/{batch_id}/failures/{failure_id}/retry", response={200: ImportBatchOut, **REFUSALS}
)
@needs(PERMISSION)
def retry_import_failure(request, batch_id: int, failure_id: int, payload: ImportRetryIn):
    """Import one failed row again with corrected cells. The answer is the small import that
    did it: `failed` 1 (and its failure's reason) if the row is still wrong."""
    batch = _batch(request, batch_id)
    failure = get_object_or_404(ImportFailure.objects.filter(batch=batch), pk=failure_id)
    retry = services.retry_failure(failure, by=request.auth, cells=payload.cells)
    return _batch(request, retry.pk)


# ---------------------------------------------------------------- presets, fields, saved mappings


@router.get("/import-presets", response=list[ImportPresetOut])
@needs(PERMISSION)
def list_import_presets(request):
    """Ready-made mappings for the states' voter-file layouts (and a generic one)."""
    return [
        {
            "key": key,
            "label": preset.label,
            "description": preset.description,
            "mapping": preset.mapping.to_dict(),
            "shape_hint": dict(preset.shape_hint or {}),
        }  # fmt: skip
        for key, preset in PRESETS.items()
    ]


@router.get("/import-targets", response=list[ImportTargetOut])
@needs(PERMISSION)
def list_import_targets(request):
    """The fields a column can become in this office: the person's, `district:<layer>` for its
    district layers and `custom:<key>` for its custom fields."""
    targets = []
    for _group, options in forms.target_choices(request.auth.office)[1:]:
        targets += [{"target": value, "label": str(label)} for value, label in options]
    return targets


@router.get("/import-mappings", response=list[ImportSavedMappingOut])
@needs(PERMISSION)
def list_import_mappings(request):
    """The office's saved mappings, by name."""
    return list(SavedMapping.objects.for_office(request.auth.office))


@router.post("/import-mappings", response={201: ImportSavedMappingOut, **REFUSALS})
@needs(PERMISSION)
def save_import_mapping(request, payload: ImportSavedMappingIn):
    """Save a mapping under a name; a mapping of the same name is replaced."""
    saved = services.save_mapping(
        request.auth.office, by=request.auth, name=payload.name.strip(),
        mapping=_valid_mapping(payload.mapping.dict()),
    )  # fmt: skip
    return Status(201, saved)


@router.delete("/import-mappings/{mapping_id}", response={204: None})
@needs(PERMISSION)
def delete_import_mapping(request, mapping_id: int):
    saved = get_for_member(request.auth, SavedMapping.objects.all(), mapping_id, need=PERMISSION)
    services.delete_mapping(saved, by=request.auth)
    return Status(204, None)
