"""Reading a House CMS export: a folder with one `<type>.out` file per record type (tab-separated,
no header, column 1 the record type) and a documents/ folder.

Real exports are untidy, and the reader takes them as they are, noting each fault as an
`Oddity`: extra trailing columns (kept, not used), missing trailing columns (read as empty),
lines in UTF-8 or Windows-1252 (decided line by line), quoted values, " " for empty, no newline
at the end, blank and malformed dates, NUL bytes, lines too long to be records, Windows paths
to documents. Pure Python: no Django; memory stays small whatever the file size."""

import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from .layout import (
    DOCUMENT_FIELDS,
    EXTRA_FIELD,
    MAIN_DATE,
    ORDER,
    RECORD_TYPES,
    date_fields,
    key_of,
    parse_date,
)

MAX_LINE_BYTES = 1_000_000  # a record is a few hundred bytes; a longer line is not a record
CHUNK = 1 << 20
DOCUMENTS = "documents"


class NotAnExport(Exception):
    """The folder holds no House CMS file: a message for people."""


@dataclass(frozen=True)
class Oddity:
    """Something odd in the export, where it is and what was done about it."""

    file: str  # "1B.out", or "documents/in-email/3.txt"
    line: int | None  # 1-based line number in the file; None for the whole file
    kind: str  # a short label to count by: "extra columns", "blank date"...
    message: str  # "2 extra columns ignored"

    def __str__(self) -> str:
        if self.line is None:
            return f"{self.file}: {self.message}"
        return f"{self.file} line {self.line}: {self.message}"


@dataclass
class Line:
    """One record as read: its fields by the names of record_types.csv ("Record Type" left out;
    values past the last field, when any is not blank, under "_extra")."""

    record_type: str
    source_file: str
    number: int
    fields: dict[str, object]
    key: str
    oddities: list[Oddity] = field(default_factory=list)

    @property
    def document(self) -> str:
        """For 2C, 4C and 8C: the file the record names, as written ("in-email\\1.txt")."""
        for name in DOCUMENT_FIELDS.get(self.record_type, ()):
            value = self.fields.get(name)
            if value:
                return str(value)
        return ""


def decode(raw: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 when the line is valid UTF-8, else Windows-1252, else Latin-1
    (which decodes anything): exports mix them line by line."""
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1"


ENCODING_NAMES = {"cp1252": "Windows-1252", "latin-1": "Latin-1"}


def _cell(raw: str) -> tuple[str, bool]:
    """A value without its surrounding spaces and quotes; True when it was quoted."""
    value = raw.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('""', '"').strip(), True
    return value, False


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def document_parts(text: str) -> list[str] | None:
    """The folders and name of a document path as an export writes it (Windows backslashes, a
    drive letter, a UNC share); None when it climbs out of its folder ("..")."""
    path = re.sub(r"^[A-Za-z]:", "", text.strip().replace("\\", "/"))
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return parts


def document_display(parts: list[str]) -> str:
    """ "documents/in-email/3.txt": the path under the export's documents/ folder."""
    lowered = [part.lower() for part in parts]
    if DOCUMENTS in lowered:
        start = len(lowered) - 1 - lowered[::-1].index(DOCUMENTS)
        return "/".join([DOCUMENTS, *parts[start + 1 :]])
    return "/".join([DOCUMENTS, *parts])


def _raw_lines(handle: BinaryIO) -> Iterator[bytes | None]:
    """The file's lines as bytes (without their line break); None for a line too long to be a
    record, which is skipped to its end without holding it in memory."""
    while True:
        raw = handle.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while True:
                rest = handle.readline(CHUNK)
                if not rest or rest.endswith(b"\n"):
                    break
            yield None
            continue
        yield raw.rstrip(b"\r\n")


def _find_root(folder: Path, depth: int = 2) -> Path | None:
    """The folder holding the .out files: the one given, or the only folder inside it (a ZIP
    usually wraps the export in a folder of its own)."""
    if any(p.is_file() and p.suffix.lower() == ".out" for p in folder.iterdir()):
        return folder
    if depth == 0:
        return None
    inner = [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(("__", "."))]
    if len(inner) == 1:
        return _find_root(inner[0], depth - 1)
    return None


class ExportFolder:
    """A House CMS export on disk. `lines()` reads every record, parents first (layout.ORDER);
    `find_document()` finds a file named by a 2C, 4C or 8C record."""

    def __init__(self, path: str | Path):
        folder = Path(path)
        if not folder.is_dir():
            raise NotAnExport(f"{path} is not a folder.")
        root = _find_root(folder)
        if root is None:
            raise NotAnExport(
                f"No House CMS file in {folder.name or path}: an export has files named like "
                "1A.out, 1B.out ... 8E.out."
            )
        self.root = root
        self.files: dict[str, Path] = {}
        self.oddities: list[Oddity] = []
        for path_ in sorted(root.iterdir()):
            if not path_.is_file() or path_.suffix.lower() != ".out":
                continue
            code = path_.stem.upper()
            if code not in RECORD_TYPES:
                self.oddities.append(
                    Oddity(path_.name, None, "unknown file", "not a House CMS record type: skipped")
                )
            elif code in self.files:
                self.oddities.append(
                    Oddity(path_.name, None, "duplicate file", f"a second {code} file: skipped")
                )
            else:
                self.files[code] = path_
        if not self.files:
            raise NotAnExport(
                f"No House CMS file in {folder.name or path}: an export has files named like "
                "1A.out, 1B.out ... 8E.out."
            )
        self._index: dict[str, Path] | None = None
        self._by_name: dict[str, list[Path]] = {}

    # ------------------------------------------------------------ records

    def line_count(self) -> int:
        """How many lines the files hold (fast: for progress bars)."""
        total = 0
        for path in self.files.values():
            last = b"\n"
            with path.open("rb") as handle:
                while chunk := handle.read(CHUNK):
                    total += chunk.count(b"\n")
                    last = chunk[-1:]
            total += last != b"\n"
        return total

    def lines(self) -> Iterator[Line | Oddity]:
        """Every record of every file, parents first; an Oddity for a line that is not read."""
        for record_type in ORDER:
            if record_type in self.files:
                yield from self.read(record_type)

    def read(self, record_type: str) -> Iterator[Line | Oddity]:
        """The records of one file, in order; an Oddity in place of a line that is skipped."""
        path = self.files[record_type]
        name = path.name
        places: Counter = Counter()  # 4A: a transaction's place among its case's lines
        with path.open("rb") as handle:
            for number, raw in enumerate(_raw_lines(handle), start=1):
                if raw is None:
                    yield Oddity(
                        name, number, "line too long", "longer than 1 MB, not a record: skipped"
                    )
                    continue
                line = self._parse(record_type, name, number, raw)
                if isinstance(line, Line) and record_type == "4A":
                    case_id = str(line.fields["Casework ID"])
                    places[case_id] += 1
                    line.key = f"{case_id}:{places[case_id]}"
                yield line

    def _parse(self, record_type: str, name: str, number: int, raw: bytes) -> Line | Oddity:
        odd: list[Oddity] = []
        text, encoding = decode(raw)
        if number == 1:
            text = text.removeprefix("\ufeff")
        if encoding != "utf-8":
            message = f"not UTF-8: read as {ENCODING_NAMES[encoding]}"
            odd.append(Oddity(name, number, "encoding", message))
        if "\x00" in text:  # PostgreSQL stores no NUL in text
            text = text.replace("\x00", "")
            odd.append(Oddity(name, number, "NUL bytes", "NUL bytes removed"))
        if not text.strip():
            return Oddity(name, number, "blank line", "blank line skipped")
        cells = [_cell(cell) for cell in text.split("\t")]
        values = [value for value, _quoted in cells]
        if values[0].upper() != record_type:
            if values[0].lower() == "record type":
                return Oddity(name, number, "header", "a header line: skipped")
            return Oddity(
                name,
                number,
                "wrong record type",
                f"starts with {values[0][:20]!r}, not {record_type}: skipped",
            )
        if any(quoted for _value, quoted in cells):
            odd.append(Oddity(name, number, "quoted values", "quoted values read without quotes"))
        record = RECORD_TYPES[record_type]
        count = record.field_count
        fields: dict[str, object] = dict(zip(record.fields[1:], values[1:count], strict=False))
        if len(values) > count:
            extra = values[count:]
            noun = _plural(len(extra), "extra column")
            odd.append(Oddity(name, number, "extra columns", f"{noun} ignored"))
            if any(extra):
                fields[EXTRA_FIELD] = extra
        elif len(values) < count:
            missing = count - len(values)
            noun = _plural(missing, "column")
            odd.append(Oddity(name, number, "missing columns", f"{noun} missing (read as empty)"))
            for field_name in record.fields[len(values) :]:
                fields[field_name] = ""
        for field_name in date_fields(record_type):
            value = str(fields[field_name])
            try:
                parse_date(value)
            except ValueError:
                message = f"{field_name} {value[:40]!r} is not a date (YYYYMMDD)"
                odd.append(Oddity(name, number, "bad date", message))
        main = MAIN_DATE.get(record_type)
        if main and not fields[main]:
            odd.append(Oddity(name, number, "blank date", f"blank date ({main})"))
        key = key_of(record_type, {k: str(v) for k, v in fields.items() if k != EXTRA_FIELD})
        return Line(record_type, name, number, fields, key, odd)

    # ------------------------------------------------------------ documents

    def _build_index(self) -> dict[str, Path]:
        index: dict[str, Path] = {}
        for base in self.root.iterdir():
            if not base.is_dir() or base.name.lower() != DOCUMENTS:
                continue
            for folder, _dirs, names in os.walk(base):
                for file_name in names:
                    path = Path(folder) / file_name
                    if path.is_symlink() or not path.is_file():
                        continue  # never follow a link out of the export
                    index[path.relative_to(base).as_posix().lower()] = path
                    self._by_name.setdefault(file_name.lower(), []).append(path)
        return index

    def find_document(self, text: str) -> tuple[str, Path | None]:
        """(where the record says the file is, under documents/; the file, or None when it is
        not in the export). Windows paths, drive letters and letter case are forgiven."""
        parts = document_parts(text)
        if parts is None:
            return text, None
        if self._index is None:
            self._index = self._build_index()
        for start in range(len(parts)):
            found = self._index.get("/".join(parts[start:]).lower())
            if found is not None:
                return document_display(parts), found
        same_name = self._by_name.get(parts[-1].lower(), [])
        return document_display(parts), same_name[0] if len(same_name) == 1 else None


def summarize(oddities: list[Oddity]) -> dict[str, int]:
    """How many of each kind per file: {"2A.out: extra columns": 9}."""
    counts: dict[str, int] = defaultdict(int)
    for oddity in oddities:
        counts[f"{oddity.file}: {oddity.kind}"] += 1
    return dict(counts)
