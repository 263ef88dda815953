"""`civicdesk dedupe evaluate`: run the duplicate detection on a file of people outside any
office and score it against known true pairs (pairwise precision, recall and F1).

The file is read as an import reads it (`tabular.reading`, `tabular.mapping.RowMapper`), with
one difference: a row whose values have problems is still compared, with what could be read
(a scoring run must keep every person the true pairs name), and a phone the importer would drop
(seven digits, no area code) is compared by its digits.
"""

import csv
import json
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from civicdesk.dedupe import engine
from civicdesk.tabular.mapping import Mapping, MappingError, RowMapper, load_mapping
from civicdesk.tabular.reading import FileShape, TableError, detect_shape, read_rows

__all__ = ["EvaluationError", "Scores", "evaluate", "read_truth"]

ID_TARGET = "id"  # the mapping's extra target naming the id column


class EvaluationError(Exception):
    """A message for people: the file, the mapping or the pairs file cannot be used."""


@dataclass
class Scores:
    """Pairwise scores of one run at one threshold."""

    records: int
    true_pairs: int
    found_pairs: int
    true_positives: int
    threshold: float
    seconds: float

    @property
    def precision(self) -> float:
        return self.true_positives / self.found_pairs if self.found_pairs else 0.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.true_pairs if self.true_pairs else 0.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    @property
    def line(self) -> str:
        return f"precision={self.precision:.3f} recall={self.recall:.3f} f1={self.f1:.3f}"


def _load_mapping(mapping_path: str | Path) -> tuple[Mapping, list[str]]:
    """The mapping and the source columns of its "id" target (none for a preset)."""
    path = Path(mapping_path)
    try:
        if not path.is_file():
            return load_mapping(str(mapping_path)), []
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise EvaluationError(f"The mapping file could not be read ({exc}).") from None
        if not isinstance(data, dict) or not isinstance(data.get("columns"), dict):
            raise EvaluationError("A mapping must be an object with a “columns” object.")
        columns = dict(data["columns"])
        id_sources = columns.pop(ID_TARGET, [])
        id_sources = [id_sources] if isinstance(id_sources, str) else list(id_sources)
        return Mapping.from_dict({**data, "columns": columns}), id_sources
    except MappingError as exc:
        raise EvaluationError(str(exc)) from None


def _column_index(shape: FileShape, source: str) -> int:
    for index, name in enumerate(shape.columns):
        if name.strip().lower() == source.strip().lower():
            return index
    raise EvaluationError(f"The file has no column “{source}”, which the mapping names as the id.")


def _people(path: Path, mapping: Mapping, id_sources: list[str]) -> Iterator[engine.Record]:
    try:
        shape = detect_shape(path)
    except TableError as exc:
        raise EvaluationError(f"{path.name}: {exc}") from None
    mapper = RowMapper(mapping, shape)
    if mapper.missing:
        names = ", ".join(f"“{name}”" for name in mapper.missing)
        raise EvaluationError(f"The file has no column {names}, which the mapping names.")
    id_columns = [_column_index(shape, source) for source in id_sources]
    phone_columns = [_column_index(shape, s) for s in mapping.columns.get("phone", [])]
    try:
        for row in read_rows(path, shape):
            if row.problem:
                continue
            cells = row.cells
            person, _problems = mapper(cells)
            if id_columns:
                key = " ".join(cells[i] for i in id_columns if i < len(cells)).strip()
            else:
                key = str(row.number)
            record = engine.record_from_person_record(key or str(row.number), person)
            if phone_columns and not record.phones:
                digits = "".join(
                    ch for i in phone_columns if i < len(cells) for ch in cells[i] if ch.isdigit()
                )
                if len(digits) >= 7:
                    record.phones = (digits,)
            yield record
    except TableError as exc:
        raise EvaluationError(f"{path.name}: {exc}") from None


def read_truth(truth_path: str | Path, ids: set[str]) -> tuple[set[tuple[str, str]], int]:
    """The true pairs (each as a sorted tuple), and how many named an id the file lacks. A
    first line that is not a pair of known ids is a header and is skipped."""
    pairs: set[tuple[str, str]] = set()
    unknown = 0
    try:
        with open(truth_path, newline="", encoding="utf-8-sig") as handle:
            for number, row in enumerate(csv.reader(handle), start=1):
                cells = [cell.strip() for cell in row if cell.strip()]
                if not cells:
                    continue
                if len(cells) < 2:
                    raise EvaluationError(
                        f"Line {number} of the pairs file has one value; each line needs two ids."
                    )
                a, b = cells[0], cells[1]
                if a not in ids or b not in ids:
                    if number > 1:
                        unknown += 1
                    continue
                if a != b:
                    pairs.add((a, b) if a < b else (b, a))
    except (OSError, UnicodeDecodeError) as exc:
        raise EvaluationError(f"The pairs file could not be read ({exc}).") from None
    return pairs, unknown


def evaluate(
    path: str | Path,
    truth_path: str | Path,
    mapping_path: str | Path,
    *,
    out: TextIO | None = None,
    threshold: float = engine.SHIPPED_THRESHOLD,
    progress: Callable[[int, int], None] | None = None,
) -> Scores:
    """Detect duplicates in the file at `threshold` and score the pairs found against the true
    pairs. Prints a short report to `out`, whose last line is `precision=P recall=R f1=F`.
    Raises EvaluationError with a message for people."""
    out = out or sys.stdout
    started = time.perf_counter()
    mapping, id_sources = _load_mapping(mapping_path)
    records = list(_people(Path(path), mapping, id_sources))
    ids = {str(record.id) for record in records}
    if len(ids) < len(records):
        out.write(f"warning: {len(records) - len(ids)} rows repeat an id already seen\n")
    truth, unknown = read_truth(truth_path, ids)
    if unknown:
        out.write(f"warning: {unknown} true pairs name an id that is not in the file\n")
    found = engine.find_pairs(records, threshold=threshold, progress=progress)
    found_pairs = {(a, b) if a < b else (b, a) for a, b in ((str(p.a), str(p.b)) for p in found)}
    scores = Scores(
        records=len(records),
        true_pairs=len(truth),
        found_pairs=len(found_pairs),
        true_positives=len(found_pairs & truth),
        threshold=threshold,
        seconds=time.perf_counter() - started,
    )
    out.write(f"people={scores.records} true_pairs={scores.true_pairs} "
              f"found_pairs={scores.found_pairs} correct={scores.true_positives} "
              f"threshold={threshold:g} seconds={scores.seconds:.1f}\n")  # fmt: skip
    out.write(scores.line + "\n")
    return scores
