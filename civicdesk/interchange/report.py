"""What a run did, for people: counts per record type, the oddities met (with file and line),
constituents referred to without a record of their own, and notes. Kept as JSON on the run."""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .layout import LABELS, ORDER
from .reading import Oddity

# Counted per record type. Import: every line read ends in exactly one of the last four.
IMPORT_COLUMNS = ("read", "imported", "unchanged", "staged", "skipped")
COLUMN_LABELS = {"skipped": "not brought in"}  # on pages
EXPORT_COLUMNS = ("written",)
BRING_IN_COLUMNS = ("imported", "staged", "skipped")
DETAIL_LIMIT = 50  # oddities listed one by one per file and kind; the rest are counted


def _sort_key(record_type: str) -> int:
    return ORDER.index(record_type) if record_type in ORDER else len(ORDER)


@dataclass
class Report:
    kind: str  # "import", "export" or "bring_in"
    counts: dict[str, Counter] = field(default_factory=dict)
    oddities: list[dict[str, Any]] = field(default_factory=list)  # {file, line, kind, message}
    oddity_counts: Counter = field(default_factory=Counter)  # "2A.out: extra columns" -> 9
    orphans: dict[str, list[str]] = field(default_factory=dict)  # constituent id -> types
    notes: list[str] = field(default_factory=list)
    documents: Counter = field(default_factory=Counter)  # copied, missing, written

    def count(self, record_type: str, what: str, n: int = 1) -> None:
        self.counts.setdefault(record_type, Counter())[what] += n

    def odd(self, oddity: Oddity) -> None:
        label = f"{oddity.file}: {oddity.kind}"
        self.oddity_counts[label] += 1
        if self.oddity_counts[label] <= DETAIL_LIMIT:
            self.oddities.append(
                {
                    "file": oddity.file,
                    "line": oddity.line,
                    "kind": oddity.kind,
                    "message": oddity.message,
                }
            )

    def sort_oddities(self) -> None:
        """File by file in the format's order, line by line (a stable sort: what the reader
        saw in a line comes before what bringing it in found)."""

        def where(item: dict[str, Any]) -> tuple[int, int]:
            return (_sort_key(item["file"].split(".")[0].upper()), item["line"] or 0)

        self.oddities.sort(key=where)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    # ------------------------------------------------------------ reading it

    @property
    def columns(self) -> tuple[str, ...]:
        return {"export": EXPORT_COLUMNS, "bring_in": BRING_IN_COLUMNS}.get(
            self.kind, IMPORT_COLUMNS
        )

    def rows(self) -> list[tuple[str, list[int]]]:
        """(record type, [count per column]): an export's files in their order (1A ... 8E),
        an import's record types in the order they are brought in (8A, 8C ... 7C)."""
        order = sorted(self.counts) if self.kind == "export" else sorted(self.counts, key=_sort_key)
        return [
            (record_type, [self.counts[record_type][column] for column in self.columns])
            for record_type in order
        ]

    def labelled_rows(self) -> list[tuple[str, str, list[int]]]:
        """(record type, what its records are, [count per column]), for pages."""
        return [(t, LABELS.get(t, ""), counts) for t, counts in self.rows()]

    @property
    def column_labels(self) -> list[str]:
        return [COLUMN_LABELS.get(column, column) for column in self.columns]

    def totals(self) -> dict[str, int]:
        total: Counter = Counter()
        for counts in self.counts.values():
            total.update(counts)
        return {column: total[column] for column in self.columns}

    def oddity_lines(self) -> list[str]:
        lines = []
        for item in self.oddities:
            where = item["file"] if item["line"] is None else f"{item['file']} line {item['line']}"
            lines.append(f"{where}: {item['message']}")
        return lines

    @property
    def oddity_total(self) -> int:
        return sum(self.oddity_counts.values())

    def hidden_oddities(self) -> int:
        """Oddities counted but not listed one by one."""
        return self.oddity_total - len(self.oddities)

    def orphan_sentence(self) -> str:
        if not self.orphans:
            return ""
        ids = sorted(self.orphans, key=lambda cid: (len(cid), cid))
        types = sorted({t for found in self.orphans.values() for t in found}, key=_sort_key)
        shown = ", ".join(ids[:20]) + (f" and {len(ids) - 20} more" if len(ids) > 20 else "")
        return (
            f"Constituent{'s' if len(ids) > 1 else ''} {shown} appear{'' if len(ids) > 1 else 's'} "
            f"in {', '.join(types)} records without a 1A or 1B record: no person was made for "
            f"{'them' if len(ids) > 1 else 'it'}, and those records stay staged."
        )

    def summary(self) -> str:
        """The command's last line: "imported=14 unchanged=0 staged=27 skipped=0 oddities=16"."""
        totals = self.totals()
        parts = [f"{column}={totals[column]}" for column in self.columns if column != "read"]
        if self.kind != "export":
            parts.append(f"oddities={self.oddity_total}")
        return " ".join(parts)

    # ------------------------------------------------------------ JSON

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "counts": {k: dict(v) for k, v in self.counts.items()},
            "oddities": self.oddities,
            "oddity_counts": dict(self.oddity_counts),
            "orphans": self.orphans,
            "notes": self.notes,
            "documents": dict(self.documents),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Report":
        return cls(
            kind=data.get("kind", "import"),
            counts={k: Counter(v) for k, v in data.get("counts", {}).items()},
            oddities=list(data.get("oddities", [])),
            oddity_counts=Counter(data.get("oddity_counts", {})),
            orphans=dict(data.get("orphans", {})),
            notes=list(data.get("notes", [])),
            documents=Counter(data.get("documents", {})),
        )
