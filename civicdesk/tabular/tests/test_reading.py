import csv
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicdesk.tabular import reading
from civicdesk.tabular.reading import (
    FileShape,
    Row,
    TableError,
    count_rows,
    detect_shape,
    looks_like_header,
    read_rows,
)
from civicdesk.tabular.writing import write_xlsx

from .conftest import CHICAGO, SAMPLES

# ---------------------------------------------------------------- the eight state samples

EXPECTED_SHAPES = {
    # state: (delimiter, header, columns)
    "nc": ("\t", True, 71),
    "fl": ("\t", False, 38),
    "oh": (",", True, 48),
    "ny": (",", False, 45),
    "nj": ("|", False, 26),
    "de": (",", True, 40),
    "ut": (",", True, 93),
    "ok": (",", True, 49),
}


@pytest.mark.parametrize("state", EXPECTED_SHAPES)
def test_each_state_sample_has_its_delimiter_header_and_columns_detected(state):
    shape = detect_shape(SAMPLES / f"{state}.csv")
    delimiter, header, width = EXPECTED_SHAPES[state]
    assert (shape.format, shape.encoding) == ("csv", "utf-8")
    assert (shape.delimiter, shape.has_header, len(shape.columns)) == (delimiter, header, width)


@pytest.mark.parametrize("state", EXPECTED_SHAPES)
def test_each_state_sample_reads_every_row_and_counts_them(state):
    path = SAMPLES / f"{state}.csv"
    shape = detect_shape(path)
    rows = list(read_rows(path, shape))
    expected = 2 if state == "ok" else 100
    assert [r.number for r in rows] == list(range(1, expected + 1))
    assert not [r for r in rows if r.problem]
    assert {len(r.cells) for r in rows} == {len(shape.columns)}
    assert count_rows(path, shape) == expected


def test_header_names_become_the_columns_and_headerless_files_number_them():
    assert detect_shape(SAMPLES / "ut.csv").columns[:3] == ["Voter ID", "Last Name", "First Name"]
    assert detect_shape(SAMPLES / "ut.csv").columns[13] == "Mailing city, state  zip"
    assert detect_shape(SAMPLES / "nj.csv").columns[:2] == ["Column 1", "Column 2"]


def test_cells_are_stripped_and_a_lone_space_is_empty():
    shape = detect_shape(SAMPLES / "fl.csv")
    first = next(read_rows(SAMPLES / "fl.csv", shape))
    assert first.cells[:9] == [
        "ALA", "8143586746", "GROSS", "MD", "ANTHONY", "DAVID", "N", "3784 JARED BROOKS", "",
    ]  # fmt: skip


# ---------------------------------------------------------------- delimiter and header


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("first\tlast\tcity\nAna\tDíaz\tAustin, TX\nBo\tLee\tWaco, TX\n", "\t"),
        ("first,last,city\nAna,Díaz,Austin\nBo,Lee,Waco\n", ","),
        ("first|last|city\nAna|Díaz|Austin, TX\nBo|Lee|Waco, TX\n", "|"),
        ("first;last;city\nAna;Díaz;Austin, TX\nBo;Lee;Waco, TX\n", ";"),
        ('name,note\n"Díaz, Ana","a|b|c"\n"Lee, Bo","d|e|f"\n', ","),
    ],
)
def test_the_delimiter_that_splits_rows_consistently_wins(write, text, delimiter):
    assert detect_shape(write(text)).delimiter == delimiter


def test_a_single_column_file_reads_as_one_column(write):
    shape = detect_shape(write("email\nana@example.org\nbo@example.org\n"))
    assert (shape.has_header, shape.columns) == (True, ["email"])


@pytest.mark.parametrize(
    ("text", "has_header"),
    [
        ("Name,Email,Phone\nAna Díaz,ana@example.org,5125550100\n", True),
        ("Ana Díaz,ana@example.org,5125550100\nBo Lee,bo@example.org,5125550101\n", False),
        ("id,amount\nA1,12\nB2,13\nC3,14\n", True),
        ("A1,12\nB2,13\nC3,14\n", False),
        (
            "rec_id_1,rec_id_2\nrec-0-org,rec-0-dup-0\nrec-1-dup-0,rec-1-org\nrec-2-org,rec-2-dup-0\n",
            True,
        ),
        ("Smith,John\nJones,Mary\nBrown,Ann\n", False),
    ],
)
def test_a_header_is_told_from_data(write, text, has_header):
    assert detect_shape(write(text)).has_header is has_header


def test_a_header_with_dates_among_known_names_is_still_a_header():
    # Utah's header names its past elections by date: "11/6/1990".
    first = ["Voter ID", "Last Name", "First Name", "11/6/1990", "11/5/1991"]
    rest = [["1", "Smith", "Ann", "11/6/1990", ""], ["2", "Lee", "Bo", "", "11/5/1991"]]
    assert looks_like_header(first, rest)


def test_what_is_given_is_not_detected(write):
    path = write("a;b\n1;2\n")
    shape = detect_shape(path, has_header=False, delimiter=",", encoding="latin-1")
    assert (shape.has_header, shape.delimiter, shape.encoding) == (False, ",", "latin-1")
    assert shape.columns == ["Column 1"]


def test_an_encoding_alias_is_given_its_usual_name(write):
    path = write("a,b\n1,2\n")
    assert detect_shape(path, encoding="windows-1252").encoding == "cp1252"
    assert detect_shape(path, encoding="UTF8").encoding == "utf-8"


def test_a_bad_delimiter_or_encoding_is_refused_with_a_message(write):
    path = write("a,b\n1,2\n")
    with pytest.raises(TableError, match="one character"):
        detect_shape(path, delimiter=",,")
    with pytest.raises(TableError, match="not an encoding"):
        detect_shape(path, encoding="klingon")


def test_duplicate_and_blank_header_names_are_made_unique(write):
    shape = detect_shape(write("Name,Name,,Email\nAna,Díaz,x,ana@example.org\n"), has_header=True)
    assert shape.columns == ["Name", "Name (2)", "Column 3", "Email"]


def test_the_shape_round_trips_through_a_dict():
    shape = FileShape("csv", "cp1252", "|", False, ["Column 1"], "")
    assert FileShape.from_dict(shape.to_dict()) == shape
    assert shape.delimiter_name == "pipe"


# ---------------------------------------------------------------- encodings


def test_utf8_is_detected(write):
    shape = detect_shape(write("name,city\nJosé,Bogotá\n".encode()))
    assert shape.encoding == "utf-8"


def test_a_utf8_bom_is_detected_and_not_part_of_the_first_column(write):
    path = write(b"\xef\xbb\xbfname,city\nJos\xc3\xa9,Bogot\xc3\xa1\n")
    shape = detect_shape(path)
    assert (shape.encoding, shape.columns) == ("utf-8-sig", ["name", "city"])
    assert next(read_rows(path, shape)).cells == ["José", "Bogotá"]


def test_cp1252_is_detected_with_its_curly_quote(write):
    path = write("name,note\nJosé,it’s “fine”\n".encode("cp1252"))
    shape = detect_shape(path)
    assert shape.encoding == "cp1252"
    assert next(read_rows(path, shape)).cells == ["José", "it’s “fine”"]


def test_latin1_is_chosen_when_a_byte_is_not_cp1252(write):
    # 0x81 is undefined in cp1252; latin-1 reads every byte.
    path = write(b"name,note\nJos\xe9,x\x81y\n")
    shape = detect_shape(path)
    assert shape.encoding == "latin-1"
    assert next(read_rows(path, shape)).cells == ["José", "x\x81y"]


def test_an_accent_deep_in_a_large_file_is_found(write):
    body = "name,city\n" + "Ann,Austin\n" * 200_000 + "José,Bogotá\n" + "Bo,Waco\n" * 50_000
    shape = detect_shape(write(body.encode("cp1252")))
    assert shape.encoding == "cp1252"


def test_broken_bytes_in_the_declared_encoding_are_replaced_not_fatal(write):
    path = write(b"name,city\nAna,Aus\xfftin\nBo,Waco\n")
    shape = FileShape("csv", "utf-8", ",", True, ["name", "city"])
    assert [r.cells for r in read_rows(path, shape)] == [["Ana", "Aus\ufffdtin"], ["Bo", "Waco"]]


def test_utf16_is_refused_with_advice(write):
    with pytest.raises(TableError, match="UTF-16"):
        detect_shape(write("name\tcity\nAna\tAustin\n".encode("utf-16")))


# ---------------------------------------------------------------- files that are not tables


def test_an_empty_file_is_refused(write):
    with pytest.raises(TableError, match="empty"):
        detect_shape(write(b""))
    with pytest.raises(TableError, match="empty"):
        detect_shape(write(b"\xef\xbb\xbf\r\n\n  \n"))


def test_binary_junk_is_refused(write):
    junk = bytes(range(256)) * 40
    with pytest.raises(TableError, match="binary"):
        detect_shape(write(junk, "junk.csv"))


def test_a_zip_that_is_not_a_spreadsheet_is_refused_naming_what_is_inside(tmp_path):
    path = tmp_path / "ncvoter.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("ncvoter_Statewide.txt", "ncid\tlast_name\nAA1\tSMITH\n")
    with pytest.raises(TableError, match="ZIP archive.*ncvoter_Statewide.txt"):
        detect_shape(path)


def test_a_damaged_zip_is_refused(write):
    with pytest.raises(TableError, match="damaged"):
        detect_shape(write(b"PK\x03\x04" + b"\x00garbage" * 10, "x.xlsx"))


@pytest.mark.parametrize(
    ("magic", "message"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old Excel"),
        (b"%PDF-1.7", "PDF"),
        (b"\x1f\x8b\x08", "gzip"),
    ],
)
def test_known_binary_formats_are_named(write, magic, message):
    with pytest.raises(TableError, match=message):
        detect_shape(write(magic + b"\x00" * 100))


def test_old_mac_line_ends_are_refused_with_advice(write):
    with pytest.raises(TableError, match="Mac"):
        detect_shape(write(b"name,city\rAna,Austin\rBo,Waco\r"))


def test_a_missing_file_is_a_table_error(tmp_path):
    with pytest.raises(TableError, match="could not be opened"):
        detect_shape(tmp_path / "nope.csv")


# ---------------------------------------------------------------- rows that cannot be read


def test_a_huge_line_is_skipped_with_a_problem_and_reading_recovers(write):
    huge = "x" * (5 << 20)  # 5 MB in one line, against the 1 MB limit
    path = write(f"name,city\nAna,Austin\nBo,{huge}\nCy,Waco\n")
    shape = detect_shape(path)
    rows = list(read_rows(path, shape))
    assert [(r.number, r.cells, r.problem) for r in rows] == [
        (1, ["Ana", "Austin"], ""),
        (2, [], "Row 2 is longer than 1 MB; it was skipped."),
        (3, ["Cy", "Waco"], ""),
    ]
    assert count_rows(path, shape) == 3
    assert [r.number for r in read_rows(path, shape, start=2)] == [3]


def test_a_huge_first_line_still_gives_a_shape_and_the_rows_after_it(write, monkeypatch):
    monkeypatch.setattr(reading, "MAX_ROW_BYTES", 1000)
    monkeypatch.setattr(reading, "SAMPLE_BYTES", 4000)
    path = write("name,city\n" + "y," + "z" * 5000 + "\n1,2\n")
    shape = detect_shape(path)
    assert [(r.number, r.cells, bool(r.problem)) for r in read_rows(path, shape)] == [
        (1, [], True),
        (2, ["1", "2"], False),
    ]


def test_the_row_limit_counts_a_record_over_several_lines(write, monkeypatch):
    monkeypatch.setattr(reading, "MAX_ROW_BYTES", 100)
    many_lines = "\n".join(["word"] * 40)
    path = write(f'name,note\nAna,"{many_lines}"\nBo,ok\n')
    shape = FileShape("csv", "utf-8", ",", True, ["name", "note"])
    rows = list(read_rows(path, shape))
    assert rows[0].problem == 'Row 1 has a quote (") that is never closed; it was skipped.'
    assert rows[-1].cells == ["Bo", "ok"]


def test_a_quote_never_closed_costs_one_row_not_the_rest_of_the_file(write):
    path = write('name,city\nAna,"Austin\nBo,Waco\nCy,Dallas\n')
    shape = detect_shape(path)
    rows = list(read_rows(path, shape))
    assert [(r.number, r.cells, r.problem) for r in rows] == [
        (1, ["Ana", '"Austin'], 'Row 1 has a quote (") that is never closed; it was skipped.'),
        (2, ["Bo", "Waco"], ""),
        (3, ["Cy", "Dallas"], ""),
    ]


def test_a_stray_quote_that_closes_later_is_caught_by_the_column_count(write):
    path = write('name,city,zip\nAna,"Austin,78701\nBo,Waco,76701\nCy,Dallas,75201"\nDi,Hye,1\n')
    shape = detect_shape(path)
    rows = list(read_rows(path, shape))
    assert rows[0].problem.startswith("Row 1 has a quote")
    assert [r.cells for r in rows[1:]] == [
        ["Bo", "Waco", "76701"],
        ["Cy", "Dallas", '75201"'],
        ["Di", "Hye", "1"],
    ]


def test_quoted_fields_with_line_breaks_stay_one_row(write):
    path = write('name,address\nAna,"12 Main St\nApt 4"\nBo,"1 Elm"\n')
    shape = detect_shape(path)
    assert [r.cells for r in read_rows(path, shape)] == [
        ["Ana", "12 Main St\nApt 4"],
        ["Bo", "1 Elm"],
    ]
    assert count_rows(path, shape) == 2


def test_the_chicago_file_with_line_breaks_in_quoted_fields_reads_like_the_csv_module():
    path = CHICAGO / "csv_example_input_with_true_ids.csv"
    shape = detect_shape(path)
    with path.open(newline="", encoding="utf-8") as f:
        expected = [[c.strip() for c in r] for r in list(csv.reader(f))[1:]]
    rows = list(read_rows(path, shape))
    assert not [r for r in rows if r.problem]
    assert [r.cells for r in rows] == expected
    assert count_rows(path, shape) == len(expected) == 3337


def test_wrong_column_counts_are_not_a_reader_problem(write):
    path = write("a,b,c\n1,2\n1,2,3,4\n")
    rows = list(read_rows(path, detect_shape(path)))
    assert [(r.cells, r.problem) for r in rows] == [(["1", "2"], ""), (["1", "2", "3", "4"], "")]


# ---------------------------------------------------------------- numbering, resuming, counting


def test_blank_rows_are_neither_yielded_nor_numbered(write):
    path = write("name,city\n\nAna,Austin\n  ,  \n\n\r\n\nBo,Waco\n\n")
    shape = detect_shape(path)
    rows = [(r.number, r.cells) for r in read_rows(path, shape)]
    assert rows == [(1, ["Ana", "Austin"]), (2, ["Bo", "Waco"])]
    assert [r.number for r in read_rows(path, shape, start=1)] == [2]
    # Counted by line ends: the line of spaces and a comma counts, empty lines do not.
    assert count_rows(path, shape) == 3


def test_quoted_files_are_counted_exactly(write):
    path = write('name,city\n\n"Ana",Austin\n  ,  \n\n"Bo",Waco\n')
    assert count_rows(path, detect_shape(path)) == 2


@pytest.mark.parametrize(
    ("content", "rows"),
    [(b"name\nAna", 1), (b"name\nAna\nBo", 2), (b"\xef\xbb\xbfname\r\nAna\r\n\r\n", 1),
     (b"name\n" + b"x" * (5 << 20) + b"\nBo\n", 2)],
)  # fmt: skip
def test_line_ends_are_counted_across_chunks_and_without_a_last_line_end(write, content, rows):
    path = write(content)
    assert count_rows(path, detect_shape(path)) == rows


def test_blank_lines_above_the_header_are_skipped(write):
    path = write("\n\nname,city\nAna,Austin\n")
    shape = detect_shape(path)
    assert shape.columns == ["name", "city"]
    assert [(r.number, r.cells) for r in read_rows(path, shape)] == [(1, ["Ana", "Austin"])]
    assert count_rows(path, shape) == 1


def test_start_resumes_after_that_row(write):
    path = write("n\n" + "".join(f"{i}\n" for i in range(1, 11)))
    shape = FileShape("csv", "utf-8", ",", True, ["n"])
    assert [r.number for r in read_rows(path, shape, start=7)] == [8, 9, 10]
    assert [r.cells for r in read_rows(path, shape, start=7)] == [["8"], ["9"], ["10"]]
    assert list(read_rows(path, shape, start=10)) == []


def test_a_last_line_without_a_line_end_is_counted(write):
    path = write("name\nAna\nBo")
    shape = detect_shape(path)
    assert count_rows(path, shape) == 2
    assert [r.cells for r in read_rows(path, shape)] == [["Ana"], ["Bo"]]


def test_windows_line_ends_read_cleanly(write):
    path = write(b"name,city\r\nAna,Austin\r\nBo,Waco\r\n")
    shape = detect_shape(path)
    assert [r.cells for r in read_rows(path, shape)] == [["Ana", "Austin"], ["Bo", "Waco"]]
    assert count_rows(path, shape) == 2


def test_reading_a_vanished_file_is_a_table_error(write):
    path = write("name\nAna\n")
    shape = detect_shape(path)
    path.unlink()
    with pytest.raises(TableError):
        list(read_rows(path, shape))


# ---------------------------------------------------------------- XLSX


def test_an_xlsx_file_reads_with_numbers_and_dates_as_text(tmp_path):
    from datetime import date, datetime

    path = tmp_path / "people.xlsx"
    write_xlsx(
        [
            ["First", "Last", "ZIP", "Born", "Seen", "Score"],
            ["Ana", "Díaz", 78701, date(1980, 2, 3), datetime(2024, 1, 2, 3, 4), 1.5],  # noqa: DTZ001 (XLSX has no zones)
            ["Bo", "Lee", None, None, None, 2.0],
        ],
        path,
    )
    shape = detect_shape(path)
    assert (shape.format, shape.has_header, shape.sheet) == ("xlsx", True, "People")
    assert shape.columns == ["First", "Last", "ZIP", "Born", "Seen", "Score"]
    assert [r.cells for r in read_rows(path, shape)] == [
        ["Ana", "Díaz", "78701", "1980-02-03", "2024-01-02 03:04:00", "1.5"],
        ["Bo", "Lee", "", "", "", "2"],
    ]
    assert count_rows(path, shape) == 2


def test_an_xlsx_file_resumes_and_pads_short_rows(tmp_path):
    path = tmp_path / "people.xlsx"
    write_xlsx([["First", "Last", "Email"], ["Ana", "Díaz"], ["Bo", "Lee", "bo@x.org"]], path)
    shape = detect_shape(path)
    assert [r.cells for r in read_rows(path, shape)][0] == ["Ana", "Díaz", ""]
    assert [r.number for r in read_rows(path, shape, start=1)] == [2]


def test_an_empty_spreadsheet_is_refused(tmp_path):
    path = tmp_path / "empty.xlsx"
    write_xlsx([], path)
    with pytest.raises(TableError, match="empty"):
        detect_shape(path)


# ---------------------------------------------------------------- never anything but TableError


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=3000))
def test_random_bytes_give_a_shape_and_rows_or_a_table_error(write, data):
    path = write(data, "fuzz.csv")
    try:
        shape = detect_shape(path)
    except TableError:
        return
    rows = list(read_rows(path, shape))
    assert all(isinstance(r, Row) for r in rows)
    assert [r.number for r in rows] == list(range(1, len(rows) + 1))
    assert count_rows(path, shape) >= len(rows)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=st.text(alphabet=st.sampled_from("ab1 ,\t|;\"\r\n'é=’"), max_size=400),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "latin-1"]),
)
def test_random_text_reads_without_losing_rows_or_crashing(write, text, encoding):
    path = write(text.encode(encoding, "replace"), "fuzz.csv")
    try:
        shape = detect_shape(path)
    except TableError:
        return
    numbers = [r.number for r in read_rows(path, shape)]
    assert numbers == list(range(1, len(numbers) + 1))
    assert count_rows(path, shape) >= len(numbers)
    assert [r.number for r in read_rows(path, shape, start=1)] == numbers[1:]
