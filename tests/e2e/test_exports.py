"""Exports in a real browser: a manager filters the people list and downloads it as XLSX from
the Export menu (only the filtered people, formulas neutralized); an admin starts the office
export, watches it finish on its page and downloads the ZIP. Pages checked with axe-core."""

import io
import json
import os
import zipfile

import openpyxl
import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import Page, expect

from civicdesk.casework.models import CaseDocument
from civicdesk.casework.services import create_case_type, open_case
from civicdesk.constituents import services as people
from civicdesk.constituents.validation import AddressIn, EmailIn
from conftest import SCREENSHOTS, axe_violations, login, run_worker


@pytest.fixture
def screenshots(tmp_path):
    if os.environ.get("CIVICDESK_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path


@pytest.fixture
def residents(ward1):
    smith = people.create_person(
        ward1, by=None, fields={"first_name": "John", "last_name": "Smith", "language": "en"},
        emails=[EmailIn("john.smith@example.org")],
        addresses=[AddressIn("1420 U Street NW", city="Washington", postcode="20009")],
    )  # fmt: skip
    people.create_person(
        ward1, by=None, fields={"first_name": '=HYPERLINK("http://x")', "last_name": "Smithers"}
    )
    people.create_person(ward1, by=None, fields={"first_name": "María", "last_name": "Gómez"})
    return smith


@pytest.fixture
def a_case_document(ward1, residents):
    case_type = create_case_type(ward1, by=None, name="Housing")
    case = open_case(ward1, by=None, person=residents, case_type=case_type, subject="Heat")
    document = CaseDocument(
        office=ward1, case=case, name="lease.pdf", content_type="application/pdf", size=8,
        sha256="0" * 64,
    )  # fmt: skip
    document.file.save("lease.pdf", ContentFile(b"%PDF-1.4"), save=False)
    document.save()
    return document


def test_a_manager_downloads_the_filtered_list_as_xlsx(page: Page, manny, residents, screenshots):
    login(page, manny)
    page.goto("/people/")
    page.get_by_label("Name, email, phone, address or ID").fill("smith")
    expect(page.get_by_text("2 people match these filters")).to_be_visible()

    page.get_by_role("button", name="Export").click()
    expect(page.get_by_role("button", name="Excel (XLSX)")).to_be_visible()
    page.screenshot(path=str(screenshots / "exports-people-menu.png"))
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Excel (XLSX)").click()
    download = download_info.value

    assert download.suggested_filename.startswith("people-")
    assert download.suggested_filename.endswith(".xlsx")
    with open(download.path(), "rb") as handle:
        workbook = openpyxl.load_workbook(io.BytesIO(handle.read()))
    header, *rows = list(workbook["People"].values)
    by_column = [dict(zip(header, row, strict=True)) for row in rows]
    assert sorted(row["last_name"] for row in by_column) == ["Smith", "Smithers"]
    assert {row["first_name"] for row in by_column} == {"John", '\'=HYPERLINK("http://x")'}


def test_a_person_page_downloads_the_vcard(page: Page, manny, residents):
    login(page, manny)
    page.goto(f"/people/{residents.pk}/")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="vCard").click()

    with open(download_info.value.path(), "rb") as handle:
        text = handle.read().decode()
    assert text.startswith("BEGIN:VCARD\r\nVERSION:4.0\r\n")
    assert "FN:John Smith\r\n" in text


def test_an_admin_exports_the_whole_office(
    page: Page, adam, residents, a_case_document, screenshots
):
    login(page, adam)
    page.goto("/")
    page.get_by_role("button", name="Office").click()
    page.get_by_role("link", name="Export the office").click()
    expect(page.get_by_role("heading", name="Export the office")).to_be_visible()
    expect(page.get_by_text("No exports yet")).to_be_visible()

    page.get_by_role("button", name="Start export").click()
    expect(page.get_by_text("The export has started")).to_be_visible()
    expect(page.get_by_text("Being written")).to_be_visible()
    run_worker()
    # The table polls while an export runs: the download link appears without a reload.
    download_link = page.get_by_role("link", name="Download")
    expect(download_link).to_be_visible(timeout=15_000)
    page.screenshot(path=str(screenshots / "exports-office.png"), full_page=True)
    with page.expect_download() as download_info:
        download_link.click()
    download = download_info.value

    assert download.suggested_filename.startswith("office-export-")
    with open(download.path(), "rb") as handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["office"]["slug"] == "ward-1"
    people = next(t for t in manifest["tables"] if t["table"] == "constituents_person")
    assert people["rows"] == 3
    assert (
        archive.read(f"documents/{a_case_document.case_id}/{a_case_document.pk}-lease.pdf")
        == b"%PDF-1.4"
    )


def test_export_pages_are_accessible(new_context, adam, residents, screenshots):
    from civicdesk.exports.services import run_office_export, start_office_export

    export = start_office_export(by=adam)
    run_office_export(export)
    checked = new_context(bypass_csp=True).new_page()
    login(checked, adam)
    violations = []
    checked.goto("/exports/office/")
    violations += axe_violations(checked)
    checked.goto("/people/")
    checked.get_by_role("button", name="Export").click()
    expect(checked.get_by_role("button", name="Excel (XLSX)")).to_be_visible()
    checked.wait_for_timeout(500)  # the button's colour transition (.15s) has ended
    violations += axe_violations(checked)
    assert not violations, "axe-core found:\n" + "\n".join(violations)
