"""The reader takes real exports as they are and says what was odd (no database)."""

import pytest

from civicdesk.interchange import reading
from civicdesk.interchange.layout import RECORD_TYPES, format_line, parse_date
from civicdesk.interchange.reading import ExportFolder, Line, NotAnExport, Oddity

from .conftest import line


def records(folder: ExportFolder) -> list[Line]:
    return [item for item in folder.lines() if isinstance(item, Line)]


def skipped(folder: ExportFolder) -> list[str]:
    return [str(item) for item in folder.lines() if isinstance(item, Oddity)]


def test_the_field_list_has_the_28_house_record_types_and_204_fields():
    assert len(RECORD_TYPES) == 28
    assert sum(t.field_count for t in RECORD_TYPES.values()) == 204
    assert RECORD_TYPES["1B"].fields[8] == "Address line 1"
    assert RECORD_TYPES["2A"].field_count == 13


def test_the_uga_sample_is_read_with_its_faults_reported(uga):
    folder = ExportFolder(uga)
    lines = records(folder)

    assert sorted(folder.files) == ["1B", "2A", "2B", "2C", "2D", "8A"]
    assert len(lines) == folder.line_count() == 41
    odd = [str(o) for item in lines for o in item.oddities]
    assert "1B.out line 7: 2 columns missing (read as empty)" in odd
    assert "2A.out line 1: 2 extra columns ignored" in odd
    assert "2A.out line 4: blank date (Date In)" in odd
    address = next(item for item in lines if item.record_type == "1B" and item.number == 7)
    assert (address.key, address.fields["Address line 1"], address.fields["Agency Code"]) == (
        "9:99",
        "9 Maple Street",
        "",
    )
    code = next(item for item in lines if item.key == "COR:99999")
    assert code.fields == {
        "Code Type": "COR", "Code": "99999", "Code Description": "court", "Inactive Flag": "Y",
    }  # fmt: skip


def test_extra_trailing_values_are_kept_when_not_blank(write_export):
    folder = ExportFolder(write_export({"1E": [line("1E", 5, "HOME", "2025550123", "x", "")]}))

    [item] = records(folder)
    assert item.fields["_extra"] == ["x", ""]
    assert [str(o) for o in item.oddities] == ["1E.out line 1: 2 extra columns ignored"]


def test_each_line_is_utf8_or_windows_1252(write_export):
    content = "\n".join([line("1A", 1, "", "", "José"), line("1A", 2, "", "", "Zoë")]).encode()
    content = content.replace("Zoë".encode(), "Zoë".encode("cp1252"))
    folder = ExportFolder(write_export({"1A": content}))

    first, second = records(folder)
    assert (first.fields["First Name"], second.fields["First Name"]) == ("José", "Zoë")
    assert first.oddities[-1].kind == "missing columns"
    assert str(second.oddities[0]) == "1A.out line 2: not UTF-8: read as Windows-1252"


def test_quotes_and_a_lone_space_are_taken_off(write_export):
    folder = ExportFolder(write_export({"1C": ['1C\t"12"\t" "\t"ED ""K-12"""']}))

    [item] = records(folder)
    assert item.fields == {
        "Constituent ID": "12", "Constituent Code Type": "", "Constituent Code": 'ED "K-12"',
    }  # fmt: skip
    assert [o.kind for o in item.oddities] == ["quoted values"]


def test_windows_line_ends_a_bom_and_no_final_newline(write_export):
    content = b"\xef\xbb\xbf" + b"8A\tCOR\t1\tHOUSING\t\r\n8A\tCOR\t2\tTAXES\t"
    folder = ExportFolder(write_export({"8A": content}))

    assert [(i.key, i.fields["Code Description"], i.oddities) for i in records(folder)] == [
        ("COR:1", "HOUSING", []),
        ("COR:2", "TAXES", []),
    ]
    assert folder.line_count() == 2


def test_headers_blank_lines_and_wrong_record_types_are_skipped_and_said(write_export):
    lines = ["Record Type\tCode Type\tCode\tCode Description\tInactive Flag", "",
             line("8B", "COR", 1, "X", ""), line("8A", "COR", 2, "TAXES", "")]  # fmt: skip
    folder = ExportFolder(write_export({"8A": lines}))

    assert [i.key for i in records(folder)] == ["COR:2"]
    assert skipped(folder) == [
        "8A.out line 1: a header line: skipped",
        "8A.out line 2: blank line skipped",
        "8A.out line 3: starts with '8B', not 8A: skipped",
    ]


def test_a_line_too_long_to_be_a_record_is_skipped_without_reading_it_whole(
    write_export, monkeypatch
):
    monkeypatch.setattr(reading, "MAX_LINE_BYTES", 100)
    monkeypatch.setattr(reading, "CHUNK", 64)
    lines = [line("8A", "COR", 1, "X" * 500, ""), line("8A", "COR", 2, "TAXES", "")]
    folder = ExportFolder(write_export({"8A": lines}))

    assert [i.key for i in records(folder)] == ["COR:2"]
    assert skipped(folder) == ["8A.out line 1: longer than 1 MB, not a record: skipped"]


def test_nul_bytes_and_bad_dates_are_reported(write_export):
    folder = ExportFolder(write_export({"3A": [line("3A", 1, 7, "Ann\x00", "2021-02-30", "")]}))

    [item] = records(folder)
    assert item.fields["Staff"] == "Ann"
    assert [str(o) for o in item.oddities] == [
        "3A.out line 1: NUL bytes removed",
        "3A.out line 1: 5 columns missing (read as empty)",
        "3A.out line 1: Start Date '2021-02-30' is not a date (YYYYMMDD)",
    ]


def test_4a_transactions_are_keyed_by_their_place_in_their_case(write_export):
    lines = [line("4A", 1, 70, "CALL"), line("4A", 1, 71, "NOTE"), line("4A", 1, 70, "LETTER")]
    folder = ExportFolder(write_export({"4A": lines}))

    assert [i.key for i in records(folder)] == ["70:1", "71:1", "70:2"]


def test_documents_are_found_from_windows_paths(write_export):
    root = write_export(
        {"2C": [line("2C", 1, 1001, 1, "main", "x", r"C:\CMS\Export\documents\In-Email\1.TXT")]},
        documents={"in-email/1.txt": b"Dear", "forms/ltr9.txt": b"Form"},
    )
    folder = ExportFolder(root)

    [item] = records(folder)
    assert folder.find_document(item.document) == (
        "documents/In-Email/1.TXT",
        root / "documents" / "in-email" / "1.txt",
    )
    assert folder.find_document(r"out-custom\2.txt") == ("documents/out-custom/2.txt", None)
    assert folder.find_document("LTR9.txt")[1] == root / "documents" / "forms" / "ltr9.txt"
    assert folder.find_document(r"..\..\etc\passwd") == (r"..\..\etc\passwd", None)


def test_a_folder_inside_the_folder_is_the_export(tmp_path, write_export):
    inner = write_export({"8A": [line("8A", "COR", 1, "X", "")]}, name="wrapped")
    outer = tmp_path / "outer"
    outer.mkdir()
    inner.rename(outer / "wrapped")

    assert ExportFolder(outer).root == outer / "wrapped"


def test_a_folder_without_house_files_is_not_an_export(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")

    with pytest.raises(NotAnExport, match="No House CMS file"):
        ExportFolder(tmp_path)


def test_unknown_out_files_are_reported(write_export):
    folder = ExportFolder(write_export({"8A": [line("8A", "COR", 1, "X", "")], "9Z": ["9Z"]}))

    assert [str(o) for o in folder.oddities] == ["9Z.out: not a House CMS record type: skipped"]


def test_a_written_line_has_exactly_the_fields_of_its_type_and_no_tab_or_newline():
    written = format_line("1D", {"Constituent ID": 4, "Constituent Text": "a\tb\nc\r\nd"})

    assert written.split("\t") == ["1D", "4", "", "", "a b c  d"]


def test_dates_are_yyyymmdd_and_a_few_other_spellings():
    assert str(parse_date("20210110")) == "2021-01-10"
    assert str(parse_date("01/10/2021")) == "2021-01-10"
    assert parse_date(" ") is None
    with pytest.raises(ValueError, match="not a date"):
        parse_date("20211310")
