import csv
import io
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest

from civicdesk.tabular.reading import detect_shape, read_rows
from civicdesk.tabular.writing import safe_cell, write_csv, write_xlsx

ATTACKS = [
    '=HYPERLINK("http://evil.example","click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("text", ATTACKS)
def test_a_text_that_would_run_as_a_formula_gets_a_leading_apostrophe(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Ana", "Ana"),
        ("a=b", "a=b"),
        ("-12", "-12"),  # a plain number written as text cannot hold a formula
        ("+12025550123", "+12025550123"),
        ("-", "'-"),
        ("", ""),
        (None, ""),
        (True, "TRUE"),
        (42, 42),
        (-3.5, -3.5),
        (Decimal("1.10"), Decimal("1.10")),
        (float("nan"), "nan"),
        (date(2024, 1, 2), date(2024, 1, 2)),
    ],
)
def test_safe_cell_leaves_harmless_values_alone_and_numbers_as_numbers(value, expected):
    assert safe_cell(value) == expected


def test_write_csv_neutralizes_formulas_and_counts_rows():
    out = io.StringIO(newline="")
    count = write_csv(
        [
            ["name", "note", "born", "n"],
            ["Ana", ATTACKS[0], date(1980, 2, 3), -4],
            ["Bo", None, None, 1.5],
        ],
        out,
    )
    assert count == 3
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["name", "note", "born", "n"],
        ["Ana", "'" + ATTACKS[0], "1980-02-03", "-4"],
        ["Bo", "", "", "1.5"],
    ]


def test_write_csv_quotes_delimiters_quotes_and_line_breaks_so_they_read_back(tmp_path):
    rows = [["name", "address"], ['Ana "Annie" Díaz', "12 Main St, Apt 4\nAustin"]]
    path = tmp_path / "out.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        write_csv(rows, f)
    assert [r.cells for r in read_rows(path, detect_shape(path))] == [rows[1]]


def test_write_xlsx_round_trips_through_read_rows(tmp_path):
    path = tmp_path / "people.xlsx"
    count = write_xlsx(
        [
            ["First", "Last", "Born", "Seen", "Visits", "Note"],
            ["Ana", "Díaz", date(1980, 2, 3), datetime(2024, 5, 6, 7, 8, 9), 3, "=1+1"],  # noqa: DTZ001
            ["Bo", "Lee\x07", None, None, Decimal("2.5"), "x" * 40_000],
        ],
        path,
        sheet="People: ward/1",
    )
    assert count == 3
    shape = detect_shape(path)
    assert shape.sheet == "People  ward 1"
    rows = [r.cells for r in read_rows(path, shape)]
    assert rows[0] == ["Ana", "Díaz", "1980-02-03", "2024-05-06 07:08:09", "3", "'=1+1"]
    assert rows[1][:5] == ["Bo", "Lee", "", "", "2.5"]
    assert len(rows[1][5]) == 32_767  # Excel's longest cell


def test_write_xlsx_stores_formulas_as_text_and_numbers_as_numbers(tmp_path):
    buffer = io.BytesIO()
    write_xlsx([["a", "b"], [ATTACKS[0], 12]], buffer)
    buffer.seek(0)
    sheet = openpyxl.load_workbook(buffer).active
    assert (sheet["A2"].data_type, sheet["A2"].value) == ("s", "'" + ATTACKS[0])
    assert (sheet["B2"].data_type, sheet["B2"].value) == ("n", 12)


def test_write_xlsx_takes_a_stream_of_rows_without_holding_them(tmp_path):
    rows = ([i, f"person {i}"] for i in range(5000))
    assert write_xlsx(rows, tmp_path / "big.xlsx") == 5000
    shape = detect_shape(tmp_path / "big.xlsx")
    assert shape.has_header is False
    assert sum(1 for _ in read_rows(tmp_path / "big.xlsx", shape)) == 5000
