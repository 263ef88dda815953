"""The full office export: a ZIP holding one CSV per office-owned table, the case documents'
files and a manifest.json describing it all.

The tables are found, not listed: every installed model with an `office` foreign key to the
office, and every model without one that hangs off such a model (a template's steps, a team's
members, an import's failed rows), reached through its first foreign key to it. Rows are read
in keyset chunks of primary keys and written straight into the ZIP on disk: memory stays flat
whatever the office's size.

Never exported: credentials (any column named like a password, secret or token: the hashes of
API tokens, invitations and status links), users' passwords (users are not office-owned; the
export lists the office's staff with their email and name only), and derived search indexes."""

import csv
import datetime as dt
import decimal
import io
import json
import re
import shutil
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.apps import apps
from django.db import connection, models
from django.utils import timezone

from civicdesk.accounts.models import Membership, Office, User
from civicdesk.tabular.writing import safe_cell, write_csv

CHUNK_SIZE = 2000
FORMAT = "civicdesk-office-export"
FORMAT_VERSION = 1
# Columns never written, whatever table they are in: credentials and their hashes.
SECRET_COLUMN = re.compile(r"password|secret|token|otp|recovery", re.IGNORECASE)
# The same, named explicitly for the tables known to hold one: the pattern above catches them
# too; naming them keeps them out should the pattern ever change.
EXCLUDED_COLUMNS = {
    "accounts.apitoken": {"token_hash"},
    "accounts.invitation": {"token_hash"},
    "casework.casestatuslink": {"token_hash"},
}
# Office-owned tables left out, with the reason written into the manifest.
SKIPPED_TABLES = {
    "constituents.searchkey": "derived search index: `civicdesk people reindex --office SLUG` rebuilds it",
    "exports.officeexport": "the list of earlier exports, not the office's data",
}
# Files copied into documents/: (model label, file field).
DOCUMENT_FIELDS = (("casework.casedocument", "file"),)
# The office's staff, from the (installation-wide) users table: never the password.
USER_COLUMNS = ("id", "email", "full_name", "is_active", "date_joined")


@dataclass
class Table:
    """One exported table: the model, how its rows belong to the office, the columns."""

    model: type[models.Model]
    office_path: str  # "office", or "template__office" for a table reached through a parent
    columns: list[str]  # attnames: "person_id" for a foreign key
    excluded: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    @property
    def name(self) -> str:
        return self.model._meta.db_table

    @property
    def path(self) -> str:
        return f"tables/{self.name}.csv"

    def rows_of(self, office: Office) -> models.QuerySet:
        return self.model._base_manager.filter(**{self.office_path: office})


def _office_fk(model: type[models.Model]) -> models.Field | None:
    for f in model._meta.concrete_fields:
        if f.name == "office" and f.is_relation and f.related_model is Office:
            return f
    return None


def _columns(model: type[models.Model]) -> tuple[list[str], list[str]]:
    excluded_names = EXCLUDED_COLUMNS.get(model._meta.label_lower, set())
    keep, excluded = [], []
    for f in model._meta.concrete_fields:
        if f.name in excluded_names or SECRET_COLUMN.search(f.name):
            excluded.append(f.attname)
        else:
            keep.append(f.attname)
    return keep, excluded


def _office_paths(all_models: list[type[models.Model]]) -> dict[type[models.Model], str]:
    """How each model's rows belong to an office: "office" for an office foreign key, else
    through the first foreign key to a model that belongs ("template__office"), to any depth."""
    paths = {m: "office" for m in all_models if _office_fk(m) is not None}
    changed = True
    while changed:
        changed = False
        for model in all_models:
            if model in paths or model is Office:
                continue
            for f in model._meta.concrete_fields:
                if f.is_relation and f.related_model in paths:
                    paths[model] = f"{f.name}__{paths[f.related_model]}"
                    changed = True
                    break
    return paths


def _missing_tables(all_models: list[type[models.Model]]) -> set[str]:
    """Models whose table the database lacks (their migrations have not run)."""
    present = set(connection.introspection.table_names())
    return {m._meta.label_lower for m in all_models if m._meta.db_table not in present}


def office_tables() -> list[Table]:
    """Every table the export writes, in a stable order (app label, then model name)."""
    all_models = sorted(
        apps.get_models(include_auto_created=True), key=lambda m: m._meta.label_lower
    )
    paths = _office_paths(all_models)
    missing = _missing_tables(all_models)
    tables = []
    for model in all_models:
        label = model._meta.label_lower
        if model not in paths or label in SKIPPED_TABLES or label in missing:
            continue
        columns, excluded = _columns(model)
        tables.append(Table(model, paths[model], columns, excluded))
    return tables


def skipped_tables() -> dict[str, str]:
    """Office-owned tables left out, with why."""
    all_models = apps.get_models(include_auto_created=True)
    installed = {m._meta.label_lower for m in all_models}
    skipped = {label: why for label, why in SKIPPED_TABLES.items() if label in installed}
    paths = _office_paths(sorted(all_models, key=lambda m: m._meta.label_lower))
    for label in sorted(_missing_tables(list(paths))):
        skipped[label] = "its table is not in the database: run `civicdesk migrate`"
    return skipped


# ---------------------------------------------------------------- cells


def cell(value: Any) -> Any:
    """A database value as a CSV cell: numbers stay numbers, JSON as JSON, text made safe for
    spreadsheets (a leading = + - @ neutralized)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | decimal.Decimal):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict | list):
        return safe_cell(json.dumps(value, ensure_ascii=False, sort_keys=True))
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return safe_cell(str(value))


def _column_type(model: type[models.Model], attname: str) -> str:
    f = next(f for f in model._meta.concrete_fields if f.attname == attname)
    if f.is_relation:
        return f"reference to {f.related_model._meta.db_table}"
    return f.get_internal_type()


# ---------------------------------------------------------------- writing


def _keyset_rows(
    rows: models.QuerySet, columns: list[str], on_chunk: Callable[[int], None]
) -> Iterator[list[Any]]:
    pk = rows.model._meta.pk.attname
    position = columns.index(pk)
    last = None
    while True:
        page = rows if last is None else rows.filter(pk__gt=last)
        chunk = list(page.order_by("pk").values_list(*columns)[:CHUNK_SIZE])
        for values in chunk:
            yield [cell(v) for v in values]
        on_chunk(len(chunk))
        if len(chunk) < CHUNK_SIZE:
            return
        last = chunk[-1][position]


def _write_table(zf: zipfile.ZipFile, path: str, header: list[str], rows: Any) -> int:
    with zf.open(path, "w", force_zip64=True) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        written = write_csv(_with_header(header, rows), text)
        text.flush()
        text.detach()
    return max(0, written - 1)


def _with_header(header: list[str], rows: Any) -> Iterator[Any]:
    yield header
    yield from rows


def _safe_name(name: str) -> str:
    """A document's name as a file name inside the ZIP: no folders, no Windows-reserved marks."""
    base = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", name).strip(" .") or "document"
    return base[:150]


@dataclass
class Progress:
    """Rows and files written so far, reported as they go."""

    total: int
    report: Callable[[int, int], None] | None
    done: int = 0

    def add(self, count: int) -> None:
        self.done += count
        if self.report is not None:
            self.report(self.done, self.total)


def _count_all(office: Office, tables: list[Table]) -> dict[str, int]:
    counts = {table.label: table.rows_of(office).count() for table in tables}
    for label, _field in DOCUMENT_FIELDS:
        if label in counts:
            counts[f"documents:{label}"] = counts[label]
    return counts


def _write_documents(
    zf: zipfile.ZipFile, office: Office, progress: Progress
) -> tuple[int, list[dict]]:
    copied, missing = 0, []
    installed = {m._meta.label_lower: m for m in apps.get_models()}
    for label, field_name in DOCUMENT_FIELDS:
        model = installed.get(label)
        if model is None:
            continue
        documents = model._base_manager.filter(office=office).order_by("pk")
        last = None
        while True:
            page = documents if last is None else documents.filter(pk__gt=last)
            chunk = list(page[:CHUNK_SIZE])
            for document in chunk:
                stored = getattr(document, field_name)
                name = getattr(document, "name", "") or Path(stored.name or "").name
                parent = getattr(document, "case_id", None)
                folder = f"documents/{parent}" if parent is not None else "documents"
                target = f"{folder}/{document.pk}-{_safe_name(name)}"
                try:
                    with stored.open("rb") as source, zf.open(target, "w", force_zip64=True) as out:
                        shutil.copyfileobj(source, out, 1024 * 1024)
                except (FileNotFoundError, ValueError, OSError):
                    missing.append({"table": model._meta.db_table, "id": document.pk, "name": name})
                else:
                    copied += 1
            progress.add(len(chunk))
            if len(chunk) < CHUNK_SIZE:
                break
            last = chunk[-1].pk
    return copied, missing


def _write_users(zf: zipfile.ZipFile, office: Office) -> int:
    user_ids = Membership.objects.for_office(office).values("user_id")
    users = User.objects.filter(pk__in=user_ids).order_by("pk").values_list(*USER_COLUMNS)
    rows = ([cell(v) for v in values] for values in users.iterator(chunk_size=CHUNK_SIZE))
    return _write_table(zf, "tables/accounts_user.csv", list(USER_COLUMNS), rows)


@dataclass
class ExportSummary:
    tables: int
    rows: int
    documents: int
    missing_documents: int
    size: int


def write_office_export(
    office: Office,
    out: IO[bytes],
    *,
    exported_by: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> ExportSummary:
    """Write the office's export as a ZIP to `out` (a binary file opened for writing)."""
    tables = office_tables()
    counts = _count_all(office, tables)
    tracker = Progress(total=sum(counts.values()), report=progress)
    manifest_tables = []
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
        office_columns, office_excluded = _columns(Office)
        office_row = Office.objects.filter(pk=office.pk).values_list(*office_columns)
        _write_table(
            zf, "tables/accounts_office.csv", office_columns, ([cell(v) for v in office_row[0]],)
        )
        manifest_tables.append(
            _table_entry(Office, "tables/accounts_office.csv", office_columns, 1, "the office")
        )
        staff = _write_users(zf, office)
        manifest_tables.append(
            {
                "table": "accounts_user",
                "model": "accounts.user",
                "file": "tables/accounts_user.csv",
                "rows": staff,
                "scope": "the office's staff (users with a membership); never their passwords",
                "columns": [
                    {"name": name, "type": _column_type(User, name)} for name in USER_COLUMNS
                ],
            }
        )
        for table in tables:
            written = _write_table(
                zf,
                table.path,
                table.columns,
                _keyset_rows(table.rows_of(office), table.columns, tracker.add),
            )
            entry = _table_entry(
                table.model, table.path, table.columns, written, _scope(table.office_path)
            )
            if table.excluded:
                entry["excluded_columns"] = table.excluded
            manifest_tables.append(entry)
        copied, missing = _write_documents(zf, office, tracker)
        row_count = sum(entry["rows"] for entry in manifest_tables)
        manifest = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "office": {"id": office.pk, "name": office.name, "slug": office.slug},
            "exported_at": timezone.now().isoformat(),
            "exported_by": exported_by,
            "tables": manifest_tables,
            "row_count": row_count,
            "documents": {"folder": "documents/", "count": copied, "missing": missing},
            "skipped_tables": skipped_tables(),
            "notes": [
                "CSV files are UTF-8 with a header row; empty cells are NULL or empty text.",
                "Text cells starting with = + - @, a tab or a carriage return start with an "
                "apostrophe, so that spreadsheets never run them as formulas.",
                "Dates and times are ISO 8601 (times in UTC); JSON columns hold JSON text.",
                "Credentials are never exported: "
                + ", ".join(
                    f"{label}.{name}"
                    for label, names in sorted(EXCLUDED_COLUMNS.items())
                    for name in sorted(names)
                )
                + ", and any column named like a password, secret or token.",
            ],
        }
        zf.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
    return ExportSummary(
        tables=len(manifest_tables),
        rows=row_count,
        documents=copied,
        missing_documents=len(missing),
        size=out.tell(),
    )


def _table_entry(
    model: type[models.Model], path: str, columns: list[str], rows: int, scope: str
) -> dict[str, Any]:
    return {
        "table": model._meta.db_table,
        "model": model._meta.label_lower,
        "file": path,
        "rows": rows,
        "scope": scope,
        "columns": [{"name": name, "type": _column_type(model, name)} for name in columns],
    }


def _scope(office_path: str) -> str:
    if office_path == "office":
        return "rows of the office"
    return f"rows whose {office_path.removesuffix('__office').replace('__', '.')} is the office's"


def read_manifest(path: str | Path) -> dict:
    """The manifest of an export file (for tests and tools)."""
    with zipfile.ZipFile(path) as zf:
        return json.loads(zf.read("manifest.json"))


def read_table(path: str | Path, table: str) -> list[dict[str, str]]:
    """The rows of one table of an export file, as dicts (for tests and tools)."""
    with zipfile.ZipFile(path) as zf, zf.open(f"tables/{table}.csv") as raw:
        return list(csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8", newline="")))
