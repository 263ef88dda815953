"""What the isolation walk (accounts/tests/test_isolation.py) needs to know about imports: one
import of an office, one of its failed rows, one saved mapping. URL and API parameters of
imports use exactly these names."""

from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from civicdesk.imports import services
from civicdesk.imports.models import ImportBatch, ImportFailure, SavedMapping
from civicdesk.tabular.mapping import Mapping


def _batch(side, made: dict[str, Any]) -> ImportBatch:
    content = b"first_name,last_name,email\nAda,Lovelace,ada@example.org\nAlan,Turing,bad@\n"
    upload = SimpleUploadedFile(f"people-{side.label}.csv", content, content_type="text/csv")
    return services.create_batch(side.office, by=side.admin, uploaded=upload)


@dataclass(frozen=True)
class FailureRef:
    """A failed row, by id only. ImportFailure rows have no office of their own (they are their
    batch's), so the walk's before/after picture of the office must not query them by office:
    the batch they hang off is in it."""

    pk: int
    cells: tuple[str, ...]


def _failure(side, made: dict[str, Any]) -> FailureRef:
    batch = made.get("batch_id") or _batch(side, made)
    failure = ImportFailure.objects.create(
        batch=batch, row_number=2, cells=["Alan", "Turing", "bad@"],
        reason="email 'bad@' is not an email address",
    )  # fmt: skip
    return FailureRef(failure.pk, tuple(failure.cells))


def _saved_mapping(side, made: dict[str, Any]) -> SavedMapping:
    mapping = Mapping(columns={"first_name": ["first_name"], "last_name": ["last_name"]})
    name = f"Mapping {side.label} {SavedMapping.objects.count()}"
    return services.save_mapping(side.office, by=side.admin, name=name, mapping=mapping)


OBJECT_MAKERS = {"batch_id": _batch, "failure_id": _failure, "mapping_id": _saved_mapping}

# Bodies of the imports API operations that need one (valid, so that Ward 1's own objects get
# an answer other than 404/422).
API_BODIES = {
    "change_import_shape": lambda side, made: {"has_header": True},
    "set_import_mapping": lambda side, made: {
        "mapping": {"columns": {"first_name": ["first_name"], "last_name": ["last_name"]}}
    },
    "retry_import_failure": lambda side, made: {"cells": ["Alan", "Turing", "alan@example.org"]},
}
