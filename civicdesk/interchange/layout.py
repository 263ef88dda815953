"""The House CMS record types and their fields, read from `record_types.csv` (the House rows of
the archivists' field list, see docs/interchange.md): the one table the reader and the writer
both follow. Pure Python: no Django."""

import csv
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

RECORD_TYPES_CSV = Path(__file__).with_name("record_types.csv")
FORMAT = "House CMS Data Interchange Format"
RECORD_TYPE_FIELD = "Record Type"
# A field name of no record type: the values found past a line's last field (when not empty).
EXTRA_FIELD = "_extra"


@dataclass(frozen=True)
class RecordType:
    code: str  # "1B"
    fields: tuple[str, ...]  # field names in file order, "Record Type" first

    @property
    def field_count(self) -> int:
        return len(self.fields)

    @property
    def filename(self) -> str:
        return f"{self.code}.out"


def _load() -> dict[str, RecordType]:
    fields: dict[str, list[tuple[int, str]]] = {}
    counts: dict[str, int] = {}
    with RECORD_TYPES_CSV.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["format"] != FORMAT:
                continue
            fields.setdefault(row["record_type"], []).append(
                (int(row["position"]), row["field_name"])
            )
            counts[row["record_type"]] = int(row["field_count"])
    types = {}
    for code, positioned in fields.items():
        names = tuple(name for _position, name in sorted(positioned))
        assert len(names) == counts[code], f"{code}: {len(names)} fields, {counts[code]} declared"
        assert names[0] == RECORD_TYPE_FIELD, f"{code}: the first field is not the record type"
        types[code] = RecordType(code, names)
    return types


RECORD_TYPES: dict[str, RecordType] = _load()

# Parents before children: codes and letters, people, households, cases, case actions, then
# correspondence (whose positions need people and codes) and events.
ORDER: tuple[str, ...] = (
    "8A", "8C", "8D", "8E",
    "1A", "1B", "1C", "1D", "1E",
    "5A",
    "3A", "3B", "3D", "3E",
    "4A", "4B", "4C", "4D", "4E", "4F",
    "2A", "2B", "2C", "2D", "2E",
    "7A", "7B", "7C",
)  # fmt: skip
assert set(ORDER) == set(RECORD_TYPES), "ORDER must name every record type of record_types.csv"

# What the records of each type are, for people.
LABELS: dict[str, str] = {
    "1A": "Constituents", "1B": "Addresses", "1C": "Constituent codes",
    "1D": "Constituent texts", "1E": "Phones and emails", "2A": "Correspondence",
    "2B": "Correspondence codes", "2C": "Correspondence documents",
    "2D": "Correspondence texts", "2E": "Correspondence merge data", "3A": "Cases",
    "3B": "Case codes", "3D": "Case texts", "3E": "Case parties", "4A": "Case transactions",
    "4B": "Transaction codes", "4C": "Transaction documents", "4D": "Transaction texts",
    "4E": "Transaction merge data", "4F": "Transaction parties", "5A": "Household members",
    "7A": "Events", "7B": "Event codes", "7C": "Event staff", "8A": "Code table",
    "8C": "Form letters", "8D": "Form letter merge fields", "8E": "Form letter codes",
}  # fmt: skip
assert set(LABELS) == set(RECORD_TYPES)

# The fields that identify a record of each type (joined with ":" into StagedRecord.key).
# 4A has no transaction id of its own in the field list: its key is the casework id and the
# transaction's place among that case's 4A lines ("123:2"), which 4B-4F call Transaction ID.
KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "1A": ("Constituent ID",),
    "1B": ("Constituent ID", "Address ID"),
    "1C": ("Constituent ID", "Constituent Code Type", "Constituent Code"),
    "1D": ("Constituent ID", "1D Sequence Number"),
    "1E": ("Constituent ID", "Constituent Phone or email Type", "Phone Number Email or URL"),
    "2A": ("Correspondence ID",),
    "2B": ("Correspondence ID", "Correspondence Code"),
    "2C": ("Correspondence ID", "2C Sequence Number"),
    "2D": ("Correspondence ID", "2D Sequence Number"),
    "2E": ("Correspondence ID", "Merge Field Name"),
    "3A": ("Casework ID",),
    "3B": ("Casework ID", "Casework Code"),
    "3D": ("Casework ID", "3D Sequence Number"),
    "3E": ("Casework ID", "Party ID"),
    "4A": ("Casework ID",),  # + the transaction's place, see above
    "4B": ("Casework ID", "Transaction ID", "Transaction Code"),
    "4C": ("Casework ID", "Transaction ID", "4C Sequence Number"),
    "4D": ("Casework ID", "Transaction ID", "4D Sequence Number"),
    "4E": ("Casework ID", "Transaction ID", "Merge Field Name"),
    "4F": ("Casework ID", "Transaction ID", "Party ID"),
    "5A": ("Household ID", "Constituent ID"),
    "7A": ("Event ID",),
    "7B": ("Event ID", "Event Code"),
    "7C": ("Event ID", "User ID"),
    "8A": ("Code Type", "Code"),
    "8C": ("Letter Code",),
    "8D": ("Letter Code", "Merge Field Name"),
    "8E": ("Letter Code", "Correspondence or Transaction Code", "Code Type"),
}
assert set(KEY_FIELDS) == set(RECORD_TYPES)

# The date a record of the type is about: a blank one is reported.
MAIN_DATE: dict[str, str] = {
    "2A": "Date In",
    "3A": "Start Date",
    "4A": "Start Date",
    "7A": "Start Date",
}

# Where 2C, 4C and 8C name their file: the first of these fields that is not blank.
DOCUMENT_FIELDS: dict[str, tuple[str, ...]] = {
    "2C": ("File Location", "Correspondence Document Name"),
    "4C": ("File Location", "Casework Transaction Document Name"),
    "8C": ("Document Name",),
}


def date_fields(record_type: str) -> tuple[str, ...]:
    """The fields of a type that hold a date (YYYYMMDD)."""
    return tuple(name for name in RECORD_TYPES[record_type].fields if "date" in name.lower())


def key_of(record_type: str, fields: dict[str, str]) -> str:
    return ":".join(fields.get(name, "") for name in KEY_FIELDS[record_type])


# ---------------------------------------------------------------- values


DATE = re.compile(r"\d{8}")


def parse_date(text: str) -> dt.date | None:
    """A YYYYMMDD date; None when blank. ValueError when it is not one (also tried:
    YYYY-MM-DD and MM/DD/YYYY, which some exports write)."""
    text = (text or "").strip()
    if not text:
        return None
    if DATE.fullmatch(text):
        try:
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            raise ValueError(f"{text!r} is not a date (YYYYMMDD)") from None
    for pattern in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()  # noqa: DTZ007 (a date, no time)
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date (YYYYMMDD)")


def format_date(value: dt.date | dt.datetime | None) -> str:
    return value.strftime("%Y%m%d") if value is not None else ""


YES = {"y", "yes", "t", "true", "1", "x"}


def parse_flag(text: str) -> bool:
    return (text or "").strip().lower() in YES


def format_flag(value: bool) -> str:
    return "Y" if value else ""


def clean_value(value: object) -> str:
    """A value as written to a file: text on one line, no tab (each becomes a space)."""
    text = "" if value is None else str(value)
    return re.sub(r"[\t\r\n\x00\u2028\u2029\x85]", " ", text).strip()


def format_line(record_type: str, fields: dict[str, object]) -> str:
    """One line of a file: the record type then every field of the type, in order, tab-separated;
    exactly `field_count` values (fields not given are empty)."""
    names = RECORD_TYPES[record_type].fields
    values = [record_type, *(clean_value(fields.get(name, "")) for name in names[1:])]
    return "\t".join(values)
