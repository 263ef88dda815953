"""The House CMS interchange in a real browser: an admin uploads the UGA sample export as a ZIP,
watches the import finish on its page and reads the report (oddities, orphans); then starts an
export and downloads its ZIP. Pages checked with axe-core and under the real CSP."""

import io
import os
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from conftest import SCREENSHOTS, axe_violations, login, run_worker

UGA = Path(__file__).resolve().parents[2] / "civicdesk/interchange/tests/data/uga-test-export"


@pytest.fixture
def screenshots(tmp_path):
    if os.environ.get("CIVICDESK_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path


@pytest.fixture
def uga_zip(tmp_path) -> Path:
    packed = tmp_path / "uga-test-export.zip"
    with zipfile.ZipFile(packed, "w") as archive:
        for path in sorted(UGA.rglob("*")):
            if path.is_file():
                archive.write(path, f"uga-test-export/{path.relative_to(UGA).as_posix()}")
    return packed


def test_an_admin_imports_the_uga_export_and_exports_the_office(
    page: Page, new_context, adam, uga_zip, screenshots
):
    login(page, adam)
    page.get_by_role("button", name="Office").click()
    page.get_by_role("link", name="House CMS interchange").click()
    expect(page.get_by_role("heading", level=1, name="House CMS interchange")).to_be_visible()

    page.get_by_label("ZIP of the export").set_input_files(str(uga_zip))
    page.get_by_role("button", name="Upload and import").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Import of uga-test-export.zip")
    expect(page.get_by_test_id("run-state")).to_have_text("Queued")
    run_worker()
    expect(page.get_by_test_id("run-state")).to_have_text("Finished")  # htmx polled
    expect(page.get_by_test_id("run-summary")).to_contain_text(
        "41 records read; 12 imported, 0 unchanged, 29 staged, 0 not brought in."
    )
    counts = page.get_by_test_id("run-counts")
    expect(counts.get_by_role("row", name="1B")).to_contain_text("7")
    oddities = page.get_by_test_id("run-oddities")
    expect(oddities).to_contain_text("2C.out line 3: documents/in-email/3.txt not found")
    expect(oddities).to_contain_text("2A.out line 4: blank date (Date In)")
    expect(page.get_by_test_id("run-orphans")).to_contain_text("Constituents 6, 8 appear")
    page.screenshot(path=str(screenshots / "interchange-import-report.png"), full_page=True)

    page.get_by_role("link", name="House CMS interchange").click()
    expect(
        page.get_by_role("rowheader", name="2A Correspondence")
    ).to_be_visible()  # staged, waiting
    page.screenshot(path=str(screenshots / "interchange-home.png"), full_page=True)
    page.get_by_role("button", name="Export in the House CMS format").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Export in the House CMS format")
    run_worker()
    download_link = page.get_by_role("link", name="Download the export (ZIP)")
    expect(download_link).to_be_visible()
    expect(page.get_by_test_id("run-summary")).to_contain_text(
        "Done: 48 records and 5 documents written."
    )
    page.screenshot(path=str(screenshots / "interchange-export.png"), full_page=True)
    with page.expect_download() as download_info:
        download_link.click()
    download = download_info.value

    assert download.suggested_filename.startswith("cms-export-ward-1-")
    with open(download.path(), "rb") as handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))
    top = download.suggested_filename.removesuffix(".zip")
    lines = archive.read(f"{top}/1B.out").decode().splitlines()
    assert len(lines) == 7
    assert all(len(line.split("\t")) == 22 for line in lines)
    assert archive.read(f"{top}/documents/in-email/1.txt") == b"Letter from a constituent"

    checked = new_context(bypass_csp=True).new_page()
    login(checked, adam)
    for url in ("/interchange/", page.url):
        checked.goto(url)
        assert axe_violations(checked) == []
