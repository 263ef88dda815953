"""Writing tables for spreadsheets, safely: a text that a spreadsheet would run as a formula
(=, +, -, @ first, or a tab or carriage return) gets a leading apostrophe, so it stays text.
Numbers given as numbers stay numbers. CSV and XLSX are written row by row (constant memory).
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

__all__ = ["FORMULA_STARTS", "safe_cell", "write_csv", "write_xlsx"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAX_CELL = 32_767  # Excel's limit on the characters of a cell
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def safe_cell(value: Any) -> Any:
    """The value made safe for a spreadsheet cell: None -> ""; a text starting with = + - @, a
    tab or a carriage return gets a leading ' (a plain number written as text, "-12", is left
    alone: it cannot hold a formula); int, float and Decimal stay numbers; dates stay dates;
    anything else becomes its text, made safe the same way."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | Decimal):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, date | time):  # datetime is a date
        return value
    text = value if isinstance(value, str) else str(value)
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def _csv_text(value: Any) -> str:
    if type(value) is str and not value.startswith(FORMULA_STARTS):
        return value  # the common case, quickly
    value = safe_cell(value)
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def write_csv(rows: Iterable[Sequence], out: IO[str]) -> int:
    """Write the rows (the first one is usually the header) as CSV to a text stream opened with
    newline=""; every cell through safe_cell. Returns the number of rows written."""
    writer = csv.writer(out)
    count = 0
    for row in rows:
        writer.writerow([_csv_text(value) for value in row])
        count += 1
    return count


def _xlsx_value(value: Any) -> Any:
    if type(value) is str and len(value) < 200 and not value.startswith(FORMULA_STARTS):
        return _XML_ILLEGAL.sub("", value) if _XML_ILLEGAL.search(value) else value
    value = safe_cell(value)
    if isinstance(value, str):
        if _XML_ILLEGAL.search(value):
            value = _XML_ILLEGAL.sub("", value)  # XML cannot hold them
        if len(value) > XLSX_MAX_CELL:
            value = value[:XLSX_MAX_CELL]
        return value
    if isinstance(value, Decimal):
        return float(value) if value.is_finite() else str(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # XLSX has no time zones
    return value


def write_xlsx(
    rows: Iterable[Sequence], out: IO[bytes] | str | Path, *, sheet: str = "People"
) -> int:
    """Write the rows as an XLSX workbook of one sheet to a binary stream or a path, in
    openpyxl's write-only mode (constant memory); every cell through safe_cell. Returns the
    number of rows written."""
    from openpyxl import Workbook  # loaded only when an XLSX is written

    workbook = Workbook(write_only=True)
    title = re.sub(r"[\[\]:*?/\\]", " ", sheet).strip()[:31] or "Sheet1"
    worksheet = workbook.create_sheet(title=title)
    count = 0
    for row in rows:
        worksheet.append([_xlsx_value(value) for value in row])
        count += 1
    workbook.save(out)
    return count
