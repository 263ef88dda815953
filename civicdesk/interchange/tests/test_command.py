"""`civicdesk interchange import|export|bring-in`."""

import io
import zipfile

import pytest
from django.core.management import CommandError, call_command

from civicdesk.interchange.models import InterchangeRun


def run(*args: str) -> list[str]:
    out = io.StringIO()
    call_command("interchange", *args, stdout=out)
    return out.getvalue().splitlines()


def test_import_prints_the_report(ward1, uga):
    lines = run("import", str(uga), "--office", "ward-1")

    assert lines[:7] == [
        "type        read   imported  unchanged     staged    skipped",
        "8A             5          5          0          0          0",
        "1B             7          7          0          0          0",
        "2A             9          0          0          9          0",
        "2B             7          0          0          7          0",
        "2C             6          0          0          6          0",
        "2D             7          0          0          7          0",
    ]
    assert lines[7:9] == ["documents: 5 copied, 1 missing", "oddities (12):"]
    assert "  2C.out line 3: documents/in-email/3.txt not found" in lines
    assert (
        "orphans: Constituents 6, 8 appear in 2A, 2B, 2D records without a 1A or 1B record: no "
        "person was made for them, and those records stay staged."
    ) in lines
    assert lines[-1] == "imported=12 unchanged=0 staged=29 skipped=0 oddities=12"
    assert InterchangeRun.objects.get(office=ward1).state == "finished"


def test_import_reads_a_zip_too(ward1, uga, tmp_path):
    packed = tmp_path / "export.zip"
    with zipfile.ZipFile(packed, "w") as archive:
        for path in uga.rglob("*"):
            archive.write(path, "uga-test-export/" + path.relative_to(uga).as_posix())

    assert run("import", str(packed), "--office", "ward-1")[-1] == (
        "imported=12 unchanged=0 staged=29 skipped=0 oddities=12"
    )


def test_export_prints_what_it_wrote(ward1, uga, tmp_path):
    run("import", str(uga), "--office", "ward-1")

    lines = run("export", str(tmp_path / "out"), "--office", "ward-1")

    assert lines[0] == "type     written"
    assert "1A             7" in lines
    assert "8A             5" in lines
    assert "7C             0" in lines
    assert lines[-2:] == ["documents: 5 files", "written=48"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir())[:2] == ["1A.out", "1B.out"]


def test_bring_in_prints_what_came_in(ward1, uga):
    run("import", str(uga), "--office", "ward-1")

    assert run("bring-in", "--office", "ward-1") == [
        "type    imported     staged    skipped",
        "2A             0          9          0",
        "2B             0          7          0",
        "2C             0          6          0",
        "2D             0          7          0",
        "orphans: Constituent 6 appears in 2B records without a 1A or 1B record: no person was "
        "made for it, and those records stay staged.",
        "imported=0 staged=29 skipped=0 oddities=0",
    ]


def test_an_unknown_office_is_an_error(db, uga):
    with pytest.raises(CommandError, match="No office with slug 'nowhere'"):
        run("import", str(uga), "--office", "nowhere")


def test_a_folder_that_is_not_an_export_is_an_error(ward1, tmp_path):
    with pytest.raises(CommandError, match="No House CMS file in"):
        run("import", str(tmp_path), "--office", "ward-1")


def test_exporting_into_a_folder_with_files_is_an_error(ward1, tmp_path):
    (tmp_path / "mine.txt").write_text("keep me")

    with pytest.raises(CommandError, match="is not an empty folder"):
        run("export", str(tmp_path), "--office", "ward-1")
