"""Reading tables of people: the shape of a file (CSV-like or XLSX, encoding, delimiter, header)
detected from a sample, then its rows streamed in constant memory.

A row the reader cannot read (a line longer than MAX_ROW_BYTES, a quote that is never closed)
comes out as a Row with a `problem`, and the reader goes on with the next line: one bad row
never costs the rest of the file. Rows are numbered from 1 after the header; blank rows are
neither yielded nor numbered, so a row's number is also how many rows were read up to it (the
checkpoint an import resumes from).
"""

from __future__ import annotations

import codecs
import csv
import re
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

__all__ = [
    "DELIMITERS",
    "ENCODINGS",
    "MAX_ROW_BYTES",
    "FileShape",
    "Row",
    "TableError",
    "cell_text",
    "count_rows",
    "detect_shape",
    "looks_like_header",
    "normalize_header",
    "read_rows",
    "sample_text",
]

# A row (one line, or the lines of one quoted record) longer than this is skipped with a problem.
MAX_ROW_BYTES = 1 << 20
SAMPLE_BYTES = 1 << 20  # read from the start of the file to detect its shape
SCAN_BYTES = 1 << 28  # files up to this size are decoded whole to find their encoding
SAMPLE_RECORDS = 200
DELIMITERS = ("\t", ",", "|", ";")  # in order of preference when two fit equally
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "latin-1")
DELIMITER_NAMES = {"\t": "tab", ",": "comma", "|": "pipe", ";": "semicolon"}

# The csv module's own limit must not cut a field before our row limit does.
csv.field_size_limit(max(csv.field_size_limit(), 1 << 26))


class TableError(Exception):
    """The file cannot be read as a table; the message says why, for people."""


@dataclass
class FileShape:
    """How to read a file: its format, text encoding and delimiter (CSV-like files), whether the
    first row is a header, and the column names (header names, or "Column 1".."Column N")."""

    format: str  # "csv" | "xlsx"
    encoding: str  # csv only: one of ENCODINGS
    delimiter: str  # csv only: one of DELIMITERS
    has_header: bool
    columns: list[str] = field(default_factory=list)
    sheet: str = ""  # xlsx: the sheet read

    def to_dict(self) -> dict:
        return {
            "format": self.format,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "has_header": self.has_header,
            "columns": list(self.columns),
            "sheet": self.sheet,
        }

    @classmethod
    def from_dict(cls, data: dict) -> FileShape:
        return cls(
            format=data.get("format", "csv"),
            encoding=data.get("encoding", "utf-8"),
            delimiter=data.get("delimiter", ","),
            has_header=bool(data.get("has_header", True)),
            columns=[str(name) for name in data.get("columns", [])],
            sheet=data.get("sheet", ""),
        )

    @property
    def delimiter_name(self) -> str:
        """ "tab", "comma", "pipe" or "semicolon", for people."""
        return DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))


@dataclass(slots=True)
class Row:
    """One data row: its 1-based number (the header not counted) and its cells, stripped.
    `problem` is set when the row could not be read; its cells are then what could be saved."""

    number: int
    cells: list[str]
    problem: str = ""


# ---------------------------------------------------------------- shape detection


def detect_shape(
    path: str | Path,
    *,
    has_header: bool | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
) -> FileShape:
    """The shape of the file at `path`, detecting what is not given. Raises TableError for an
    empty file, binary data, a ZIP archive that is not a spreadsheet, an unreadable XLSX..."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(SAMPLE_BYTES)
    except OSError as exc:
        raise TableError(f"The file could not be opened ({exc.strerror or exc}).") from None
    if not head.strip(b" \t\r\n\x00" + codecs.BOM_UTF8):
        raise TableError("The file is empty.")
    if head.startswith(b"PK\x03\x04"):
        return _detect_xlsx(path, has_header=has_header)
    _refuse_known_binaries(head)
    encoding = _known_encoding(encoding) if encoding else _detect_encoding(path, head, size)
    text = _decode_sample(head, encoding, complete=size <= len(head))
    _refuse_binary_text(text)
    if "\n" not in text and text.count("\r") > 1:
        raise TableError(
            "This file ends its lines with a lone carriage return (old Mac format). "
            "Save it again as CSV (UTF-8) and upload that."
        )
    lines = _sample_lines(text, complete=size <= len(head))
    if delimiter is None:
        delimiter = _detect_delimiter(lines)
    elif len(delimiter) != 1 or delimiter in '"\r\n':
        raise TableError("The delimiter must be one character, such as a comma or a tab.")
    records = _parse_sample(lines, delimiter)
    return _shape_from_records("csv", records, has_header, encoding=encoding, delimiter=delimiter)


def _shape_from_records(
    fmt: str,
    records: list[list[str]],
    has_header: bool | None,
    *,
    encoding: str = "",
    delimiter: str = "",
    sheet: str = "",
) -> FileShape:
    records = [r for r in records if any(cell.strip() for cell in r)]
    if not records:
        raise TableError("The file has no rows.")
    if has_header is None:
        has_header = looks_like_header(records[0], records[1:])
    width = max(len(r) for r in records)
    if has_header:
        columns = _header_names(records[0], width)
    else:
        columns = [f"Column {i}" for i in range(1, width + 1)]
    return FileShape(fmt, encoding, delimiter, has_header, columns, sheet)


def _header_names(cells: list[str], width: int) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    for i in range(width):
        name = cells[i].strip() if i < len(cells) else ""
        name = name or f"Column {i + 1}"
        unique, n = name, 2
        while unique in seen:
            unique, n = f"{name} ({n})", n + 1
        seen.add(unique)
        names.append(unique)
    return names


def _refuse_known_binaries(head: bytes) -> None:
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise TableError(
            "This is an old Excel (.xls) or Word file. Save it as .xlsx or CSV and upload that."
        )
    if head.startswith(b"%PDF"):
        raise TableError("This is a PDF, not a table. Upload a CSV or XLSX file.")
    if head.startswith(b"\x1f\x8b"):
        raise TableError(
            "This file is compressed (gzip). Uncompress it and upload the file inside."
        )
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise TableError(
            "This file is UTF-16 text (Excel's “Unicode text”). Save it as CSV UTF-8 and upload "
            "that."
        )


def _known_encoding(encoding: str) -> str:
    """One of ENCODINGS for a name or alias of it ("UTF8", "latin1", "windows-1252")."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        name = ""
    for known in ENCODINGS:
        if codecs.lookup(known).name == name:
            return known
    raise TableError(f"“{encoding}” is not an encoding we read; use one of {', '.join(ENCODINGS)}.")


def _detect_encoding(path: Path, head: bytes, size: int) -> str:
    """utf-8-sig with a BOM; else utf-8 if the file decodes; else cp1252, unless a byte it
    does not define (0x81, 0x8D, 0x8F, 0x90, 0x9D) is there; then latin-1. Files up to
    SCAN_BYTES are read whole (one accented name can be anywhere); past that, the start and
    a few probes further on."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    for encoding in ("utf-8", "cp1252"):
        if size <= len(head):
            if _decodes(head, encoding, final=True):
                return encoding
        elif _file_decodes(path, size, encoding):
            return encoding
    return "latin-1"


def _file_decodes(path: Path, size: int, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    with path.open("rb") as f:
        try:
            if size <= SCAN_BYTES:
                while chunk := f.read(1 << 22):
                    decoder.decode(chunk, False)
                decoder.decode(b"", True)
                return True
            decoder.decode(f.read(SCAN_BYTES // 2), False)
            for k in range(1, 9):
                f.seek(size * k // 9)
                chunk = f.read(SCAN_BYTES // 16)
                start = chunk.find(b"\n") + 1  # begin on a line, not inside a character
                codecs.getincrementaldecoder(encoding)("strict").decode(chunk[start:], False)
        except UnicodeDecodeError:
            return False
    return True


def _decodes(data: bytes, encoding: str, *, final: bool) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        decoder.decode(data, final)
    except UnicodeDecodeError:
        return False
    return True


def _decode_sample(head: bytes, encoding: str, *, complete: bool) -> str:
    decoder = codecs.getincrementaldecoder(encoding)("replace")
    return decoder.decode(head, complete)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _refuse_binary_text(text: str) -> None:
    sample = text[:200_000]
    if not sample:
        return
    controls = len(_CONTROL.findall(sample))
    if sample.count("\x00") > len(sample) // 1000 or controls > len(sample) // 100:
        raise TableError(
            "This file holds binary data, not text. Upload a CSV, tab-delimited or XLSX file."
        )


def _sample_lines(text: str, *, complete: bool) -> list[str]:
    """The sample's lines, split as read_rows splits them: on "\n" only."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1] and (complete or not lines):  # else the sample cut the last line short
        lines.append(parts[-1])
    return lines


def _parse_sample(lines: list[str], delimiter: str) -> list[list[str]]:
    records: list[list[str]] = []
    reader = csv.reader(iter(lines), delimiter=delimiter)
    while len(records) < SAMPLE_RECORDS:
        try:
            records.append(next(reader))
        except StopIteration:
            break
        except csv.Error:
            continue
    return records


def _detect_delimiter(lines: list[str]) -> str:
    """The delimiter that splits the sample rows into the same number of fields (two or more)
    most consistently; on a tie, the one giving more fields, then the order of DELIMITERS."""
    best, best_key = ",", (False, 0, 0.0, 0)
    for rank, candidate in enumerate(DELIMITERS):
        counts = [len(r) for r in _parse_sample(lines, candidate) if any(c.strip() for c in r)]
        if not counts:
            continue
        modal, freq = Counter(counts).most_common(1)[0]
        if modal < 2:
            continue
        consistency = freq / len(counts)
        key = (consistency >= 0.9, modal if consistency >= 0.9 else 0, consistency, -rank)
        if key > best_key:
            best, best_key = candidate, key
    return best


# ---------------------------------------------------------------- header detection

_NUMBER = re.compile(r"[+-]?\$?\d[\d,]*(?:\.\d+)?%?|[+-]?\.\d+")
_DATE = re.compile(
    r"\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp][Mm])?)?"
    r"|\d{1,2}:\d{2}(?::\d{2})?\s*[AaPp][Mm]"
)
_WORDISH = re.compile(r"[^\W\d_]")


def _kind(value: str) -> str:
    if not value:
        return "empty"
    if _DATE.fullmatch(value):
        return "date"
    if _NUMBER.fullmatch(value):
        return "number"
    if "@" in value:
        return "email"
    return "text" if _WORDISH.search(value) else "other"


def normalize_header(name: str) -> str:
    """A header name reduced for comparison: lower case, letters and digits only."""
    return "".join(ch for ch in name.lower() if ch.isalnum())


def looks_like_header(first: list[str], rest: list[list[str]]) -> bool:
    """Whether `first` is a header row: its names are known ones (voter-file columns, common
    names like "Email" or "ZIP"), or its cells differ in kind from the rows below (text above
    numbers and dates), with no blank, repeated, numeric or email cells of its own."""
    from civicdesk.tabular.mapping import known_header_names  # mapping imports this module

    cells = [c.strip() for c in first]
    filled = [c for c in cells if c]
    if not filled:
        return False
    known = known_header_names()
    hits = sum(1 for c in filled if normalize_header(c) in known)
    if hits >= max(2, len(filled) // 4) or (len(filled) == 1 and hits == 1):
        return True
    rest = [r for r in rest[:50] if any(c.strip() for c in r)]
    if not rest:
        return hits > 0
    score = -(len(cells) - len(filled))  # blank header cells are rare
    if len(set(filled)) < len(filled):
        score -= 2
    for i, head in enumerate(cells):
        if not head:
            continue
        head_kind = _kind(head)
        if head_kind == "email":
            score -= 3
            continue
        column = [r[i].strip() for r in rest if i < len(r) and r[i].strip()]
        if not column:
            continue
        kinds = Counter(_kind(v) for v in column)
        dominant, count = kinds.most_common(1)[0]
        if count < 0.8 * len(column):
            continue
        if dominant in ("number", "date", "email") and head_kind == "text":
            score += 2
        elif head_kind == dominant and dominant != "text":
            score -= 2
        elif head_kind in ("number", "date"):
            score -= 1
        elif dominant == "text" and head_kind == "text" and len(column) >= 3:
            # Text over text: compare the shapes ("rec_id_1" is a_a_9, "rec-0-org" is a-9-a).
            shapes = Counter(_signature(v) for v in column)
            head_shape = _signature(head)
            if head_shape not in shapes:
                score += 1
            elif shapes.most_common(1)[0][0] == head_shape:
                score -= 1
    return score + hits > 0


_LETTERS = re.compile(r"[^\W\d_]+")
_DIGIT_RUNS = re.compile(r"\d+")


def _signature(value: str) -> str:
    """The shape of a value: runs of letters as "a", of digits as "9", the rest as it is."""
    return _DIGIT_RUNS.sub("9", _LETTERS.sub("a", value))


# ---------------------------------------------------------------- XLSX


def _open_workbook(path: Path) -> Any:
    try:
        names = zipfile.ZipFile(path).namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise TableError("This file looks like a ZIP archive but it is damaged.") from None
    if "xl/workbook.xml" not in names:
        inside = [n for n in names if n.lower().endswith((".csv", ".txt", ".tsv"))]
        hint = f" (it holds {inside[0]})" if inside else ""
        raise TableError(
            f"This is a ZIP archive, not a spreadsheet{hint}. Extract the file inside and "
            "upload that."
        )
    import openpyxl  # only XLSX needs it

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on damaged files
        raise TableError(f"The spreadsheet could not be read ({_short(exc)}).") from None


def _short(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text[:200]


def _detect_xlsx(path: Path, *, has_header: bool | None) -> FileShape:
    workbook = _open_workbook(path)
    try:
        for sheet in workbook.worksheets:
            records = _xlsx_sample(sheet)
            if any(any(r) for r in records):
                return _shape_from_records("xlsx", records, has_header, sheet=sheet.title)
    except TableError:
        raise
    except Exception as exc:
        raise TableError(f"The spreadsheet could not be read ({_short(exc)}).") from None
    finally:
        workbook.close()
    raise TableError("The spreadsheet is empty.")


def _xlsx_sample(sheet: Any) -> list[list[str]]:
    if hasattr(sheet, "reset_dimensions"):
        sheet.reset_dimensions()  # some writers record wrong dimensions; read every cell
    records = []
    for values in sheet.iter_rows(values_only=True):
        records.append([cell_text(v) for v in values])
        if len(records) >= SAMPLE_RECORDS:
            break
    return records


def cell_text(value: Any) -> str:
    """A spreadsheet value as the text a CSV would hold: 12.0 -> "12", dates in ISO format."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value).strip()


def _xlsx_rows(path: Path, shape: FileShape, start: int) -> Iterator[Row]:
    workbook = _open_workbook(path)
    try:
        sheet = workbook[shape.sheet] if shape.sheet in workbook.sheetnames else None
        sheet = sheet if sheet is not None else workbook.worksheets[0]
        if hasattr(sheet, "reset_dimensions"):
            sheet.reset_dimensions()
        width = len(shape.columns)
        header = shape.has_header
        number = 0
        for values in sheet.iter_rows(values_only=True):
            if not any(v is not None and str(v).strip() for v in values):
                continue  # blank rows are not rows
            if header:
                header = False
                continue
            number += 1
            if number <= start:
                continue
            cells = [cell_text(v) for v in values]
            if len(cells) < width:
                cells.extend([""] * (width - len(cells)))  # XLSX rows stop at their last value
            yield Row(number, cells)
    except TableError:
        raise
    except Exception as exc:
        raise TableError(f"The spreadsheet could not be read ({_short(exc)}).") from None
    finally:
        workbook.close()


# ---------------------------------------------------------------- CSV-like files


class _TooLong(Exception):
    """The record being read passed MAX_ROW_BYTES."""


class _Lines:
    """The decoded lines of a binary file, for csv.reader, with the byte bookkeeping that lets
    the reader skip an overlong line and go back to the start of a record with a runaway quote.
    Raising from __next__ leaves csv.reader usable: it starts a fresh record on the next call."""

    __slots__ = ("encoding", "eof", "file", "limit", "offset", "record_bytes", "record_lines")
    __slots__ += ("record_start",)

    def __init__(self, file: Any, encoding: str, limit: int) -> None:
        self.file = file
        self.encoding = encoding
        self.limit = limit
        self.offset = 0
        self.eof = False
        self.begin()

    def begin(self) -> None:
        self.record_start = self.offset
        self.record_bytes = 0
        self.record_lines = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self.file.readline(self.limit + 1)
        if not line:
            self.eof = True
            raise StopIteration
        size = len(line)
        self.offset += size
        self.record_lines += 1
        self.record_bytes += size
        if self.record_bytes > self.limit:
            if size > self.limit and not line.endswith(b"\n"):
                self._skip_rest_of_line()
            raise _TooLong
        return line.decode(self.encoding, "replace")

    def _skip_rest_of_line(self) -> None:
        while True:
            chunk = self.file.readline(1 << 20)
            self.offset += len(chunk)
            if not chunk or chunk.endswith(b"\n"):
                return

    def rewind_to_record(self) -> str:
        """Go back to the start of the current record; return its first physical line, and
        leave the file after it."""
        self.file.seek(self.record_start)
        line = self.file.readline(self.limit + 1)
        self.offset = self.record_start + len(line)
        if len(line) > self.limit and not line.endswith(b"\n"):
            self._skip_rest_of_line()
        self.eof = False
        return line.decode(self.encoding, "replace")


def _megabytes(size: int) -> str:
    return f"{size / (1 << 20):g} MB" if size >= 1 << 20 else f"{size // 1024} KB"


def _records(path: Path, shape: FileShape) -> Iterator[tuple[list[str], str]]:
    """(raw cells, problem) for every record after the header, blank ones included; the
    problem says what is wrong with a record that could not be read, after "Row N "."""
    limit = MAX_ROW_BYTES
    delimiter = shape.delimiter or ","
    width = len(shape.columns)
    with path.open("rb") as f:
        lines = _Lines(f, shape.encoding or "utf-8", limit)
        reader = csv.reader(lines, delimiter=delimiter)
        header = shape.has_header
        while True:
            lines.begin()
            problem = ""
            try:
                cells = next(reader)
            except StopIteration:
                return
            except _TooLong:
                if lines.record_lines > 1:  # a quote opened and never closed
                    cells = _unquoted(lines.rewind_to_record(), delimiter)
                    problem = _UNCLOSED
                else:
                    cells = []
                    problem = f"is longer than {_megabytes(limit)}"
            except csv.Error as exc:
                cells = []
                problem = f"could not be read ({exc})"
            else:
                if lines.record_lines > 1 and (lines.eof or len(cells) != width):
                    # A record over several lines that ends at the end of the file, or with
                    # the wrong number of fields, is a stray quote eating the rows below it.
                    cells = _unquoted(lines.rewind_to_record(), delimiter)
                    problem = _UNCLOSED
            if header:  # the header (blank lines above it do not count)
                header = not (problem or any(map(str.strip, cells)))
                continue
            yield cells, problem


_UNCLOSED = 'has a quote (") that is never closed'


def _unquoted(line: str, delimiter: str) -> list[str]:
    return line.rstrip("\r\n").split(delimiter)


def read_rows(path: str | Path, shape: FileShape, *, start: int = 0) -> Iterator[Row]:
    """The data rows of the file, streamed in constant memory, numbered from 1 after the
    header; from row `start + 1` on (to resume after row `start`). Blank rows are neither
    yielded nor numbered. A row that cannot be read is yielded with its `problem`, and the
    reading goes on. Raises TableError only when the file itself cannot be read."""
    path = Path(path)
    if shape.format == "xlsx":
        yield from _xlsx_rows(path, shape, start)
        return
    try:
        strip = str.strip
        number = 0
        for cells, problem in _records(path, shape):
            if problem:
                number += 1
                if number > start:
                    yield Row(
                        number, list(map(strip, cells)), f"Row {number} {problem}; it was skipped."
                    )
            elif number >= start:
                stripped = list(map(strip, cells))
                if any(stripped):
                    number += 1
                    yield Row(number, stripped)
            elif any(map(strip, cells)):
                number += 1
    except OSError as exc:
        raise TableError(f"The file could not be read ({exc.strerror or exc}).") from None
    except LookupError:
        raise TableError(f"“{shape.encoding}” is not an encoding we read.") from None


def count_rows(path: str | Path, shape: FileShape) -> int:
    """The number of data rows, for a progress bar. A file without any quote is counted by
    its line ends, less its empty lines (fast; a line of only spaces or delimiters counts
    as a row there); a file with quotes is parsed, and counted exactly."""
    path = Path(path)
    if shape.format == "xlsx":
        last = 0
        for row in _xlsx_rows(path, shape, 0):
            last = row.number
        return last
    try:
        with path.open("rb") as f:
            lines = empty = 0
            quoted, carry = False, f.read(len(codecs.BOM_UTF8)).removeprefix(codecs.BOM_UTF8)
            while chunk := f.read(1 << 22):
                parts = (carry + chunk).split(b"\n")
                carry = parts.pop()  # the start of a line the next chunk ends
                if len(carry) > 64:
                    carry = b"x"  # only whether it is empty matters; a 1 GB line must not grow
                lines += len(parts)
                empty += parts.count(b"") + parts.count(b"\r")
                quoted = quoted or b'"' in chunk
            parts = carry.split(b"\n")
            last = parts.pop()
            lines += len(parts) + (1 if last.strip(b"\r") else 0)
            empty += parts.count(b"") + parts.count(b"\r")
    except OSError as exc:
        raise TableError(f"The file could not be read ({exc.strerror or exc}).") from None
    if quoted:
        return sum(1 for _ in read_rows(path, shape))
    return max(0, lines - empty - (1 if shape.has_header else 0))


def sample_text(path: str | Path, shape: FileShape, *, rows: int = 5) -> list[list[str]]:
    """The first rows of the file, header included, as read: for showing the detected shape."""
    path = Path(path)
    out: list[list[str]] = []
    if shape.has_header:
        out.append(list(shape.columns))
    for row in read_rows(path, shape):
        out.append(row.cells)
        if len(out) > rows:
            break
    return out
