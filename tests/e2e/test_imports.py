"""The import wizard in a real browser: a manager uploads the NC voter-file sample, picks the NC
layout, previews, imports and watches the progress bar reach 100% without reloading; then
imports a file with a bad row, opens its failed rows, fixes the row and sees it imported.
Every page of the wizard is checked with axe-core and under the real Content-Security-Policy."""

import os
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from playwright.sync_api import Page, expect

from civicdesk.constituents.models import Person
from civicdesk.imports import services
from civicdesk.imports.models import ImportBatch, ImportFailure, ImportState
from conftest import SCREENSHOTS, axe_violations, login, run_worker

SAMPLES = Path(__file__).resolve().parents[2] / "tests/data/voter-files/synthetic-samples"
BAD_ROW_CSV = (
    "First Name,Last Name,Email,Birth Date,ZIP\n"
    "Ada,Lovelace,ada@example.org,12/10/1985,20001\n"
    "Alan,Turing,alan@example.org,13/45/1990,20002\n"
    "Grace,Hopper,grace@example.org,12/09/1956,20003\n"
)


@pytest.fixture
def screenshots() -> Path:
    if os.environ.get("CIVICDESK_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return Path("/tmp")  # noqa: S108  (where a person running the tests looks at them)


def _accept_confirms(page: Page) -> None:
    page.on("dialog", lambda dialog: dialog.accept())


def test_a_manager_imports_the_nc_voter_file_and_fixes_a_failed_row(
    page, manny, screenshots, tmp_path
):
    _accept_confirms(page)
    login(page, manny)

    # Step 1: from the Office menu to the upload page.
    page.get_by_role("button", name="Office").click()
    page.get_by_role("link", name="Import people").click()
    expect(page.get_by_role("heading", level=1, name="Imports")).to_be_visible()
    page.get_by_role("link", name="Import people").click()
    page.get_by_label("File").set_input_files(SAMPLES / "nc.csv")
    page.screenshot(path=screenshots / "imports-1-upload.png", full_page=True)
    page.get_by_role("button", name="Upload and continue").click()

    # Step 2: the detected shape, then the NC layout chosen from "Start from".
    expect(page.get_by_role("heading", level=1)).to_have_text("Columns of nc.csv")
    expect(page.get_by_test_id("shape-delimiter")).to_have_text("Tab")
    expect(page.get_by_test_id("shape-header")).to_contain_text("Yes")
    page.get_by_label("Start from").select_option(
        label="North Carolina (ncvoter, statewide or county)"
    )
    expect(page).to_have_url(re.compile(r"start=preset%3Anc"))
    expect(page.get_by_label("last_name", exact=True)).to_have_value("last_name")
    expect(page.get_by_label("ncid", exact=True)).to_have_value("external_id")
    page.get_by_label("The id column's system").fill("voter")
    page.get_by_label("Show only the columns imported").check()
    expect(page.get_by_label("age", exact=True)).to_be_hidden()
    page.screenshot(path=screenshots / "imports-2-mapping.png", full_page=True)
    page.get_by_role("button", name="Preview").click()

    # Step 3: the preview of the first rows, and the import started.
    expect(page.get_by_role("heading", level=1)).to_have_text("Preview of nc.csv")
    expect(page.get_by_test_id("preview-row")).to_have_count(20)
    page.screenshot(path=screenshots / "imports-3-preview.png", full_page=True)
    page.get_by_role("button", name="Import 100 rows").click()

    # Step 4: the progress bar follows the job by itself, to 100%.
    expect(page.get_by_test_id("batch-state")).to_have_text("Queued")
    progress = page.get_by_role("progressbar", name="Progress of the import")
    expect(progress).to_have_attribute("aria-valuenow", "0")
    with page.expect_request(lambda r: r.headers.get("hx-request") == "true"):
        pass  # htmx polls while the import waits for a worker
    page.evaluate("window.notReloaded = true")
    run_worker()
    expect(page.get_by_test_id("batch-state")).to_have_text("Finished")
    expect(progress).to_have_attribute("aria-valuenow", "100")
    assert page.locator("#batch-progress .progress-bar").evaluate("b => b.style.width") == "100%"
    assert page.evaluate("window.notReloaded") is True
    batch = ImportBatch.objects.get(filename="nc.csv")
    expect(page.get_by_test_id("count-created")).to_have_text(str(batch.created))
    expect(page.get_by_test_id("batch-summary")).to_contain_text("Done:")
    page.screenshot(path=screenshots / "imports-4-done.png", full_page=True)
    assert (batch.state, batch.rows_done) == (ImportState.FINISHED, 100)

    # The people of the import: the people list filtered by the batch's tag.
    page.get_by_role("link", name=re.compile("People of this import")).click()
    expect(page).to_have_url(re.compile(rf"/people/\?tags={batch.tag_id}$"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    # A file with a bad row: it fails, is fixed on the failed rows page, and is imported.
    bad = tmp_path / "people.csv"
    bad.write_text(BAD_ROW_CSV, encoding="utf-8")
    page.goto(reverse("imports:upload"))
    page.get_by_label("File").set_input_files(bad)
    page.get_by_role("button", name="Upload and continue").click()
    page.get_by_label("Dates are written").select_option(label="Month/day/year (03/31/1990)")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_test_id("preview-summary")).to_contain_text("1 row has problems")
    expect(page.locator(".row-problems")).to_contain_text("13/45/1990")
    page.get_by_role("button", name="Import 3 rows").click()
    run_worker()
    expect(page.get_by_test_id("count-failed")).to_have_text("1")
    page.get_by_role("link", name="1 failed row").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Failed rows of people.csv")
    failure = page.get_by_test_id("failure")
    expect(failure).to_contain_text("13/45/1990")
    failure.get_by_text("Fix").click()
    failure.get_by_label("Birth Date").fill("06/23/1912")
    page.screenshot(path=screenshots / "imports-5-fix.png", full_page=True)
    failure.get_by_role("button", name="Import this row").click()

    expect(page.get_by_role("alert").first).to_contain_text("Row 2 imported.")
    expect(page.get_by_test_id("failure")).to_contain_text("Fixed and imported")
    page.screenshot(path=screenshots / "imports-6-fixed.png", full_page=True)
    assert ImportFailure.objects.get().is_fixed is True
    assert Person.objects.filter(office=manny.office, last_name="Turing").count() == 1

    page.goto(reverse("imports:batch-list"))
    page.screenshot(path=screenshots / "imports-0-list.png", full_page=True)


@pytest.fixture
def wizard_pages(manny) -> list[str]:
    """A batch at each step: uploaded (columns), mapped (preview), finished with a failure."""
    office = manny.office

    def batch(name: str) -> ImportBatch:
        upload = SimpleUploadedFile(name, BAD_ROW_CSV.encode())
        return services.create_batch(office, by=manny, uploaded=upload)

    uploaded = batch("uploaded.csv")
    mapped = batch("mapped.csv")
    mapping = {
        "columns": {"first_name": ["First Name"], "last_name": ["Last Name"],
                    "email": ["Email"], "birth_date": ["Birth Date"], "postcode": ["ZIP"]},
        "date_order": "MDY",
    }  # fmt: skip
    services.set_mapping(mapped, by=manny, mapping=mapping, tag_name="Checked")
    finished = batch("finished.csv")
    services.set_mapping(finished, by=manny, mapping=mapping, tag_name="Checked")
    services.start_import(finished, by=manny)
    services.run_here(ImportBatch.objects.get(pk=finished.pk))
    services.save_mapping(office, by=manny, name="Old CRM export", mapping=mapping)
    return [
        reverse("imports:batch-list"),
        reverse("imports:upload"),
        reverse("imports:batch-detail", args=[uploaded.pk]),
        reverse("imports:batch-detail", args=[mapped.pk]),
        reverse("imports:batch-detail", args=[finished.pk]),
        reverse("imports:failures", args=[finished.pk]),
    ]


def test_the_wizard_pages_are_accessible_and_keep_the_csp(
    new_context, manny, wizard_pages, page_problems
):
    checked = new_context(bypass_csp=True).new_page()
    login(checked, manny)
    violations = []
    for url in wizard_pages:
        assert checked.goto(url).status == 200, url
        checked.locator("details").evaluate_all("all => all.forEach(d => d.open = true)")
        violations += axe_violations(checked)
    assert not violations, "axe-core found:\n" + "\n".join(violations)

    strict = new_context().new_page()
    login(strict, manny)
    for url in wizard_pages:
        assert strict.goto(url).status == 200, url
    assert page_problems.unexpected() == []


def test_the_columns_page_on_a_phone(new_context, manny, wizard_pages, screenshots):
    phone = new_context(viewport={"width": 390, "height": 844}, bypass_csp=True).new_page()
    login(phone, manny)
    phone.goto(wizard_pages[2])
    expect(phone.get_by_role("heading", level=1)).to_have_text("Columns of uploaded.csv")
    assert not axe_violations(phone)
    phone.screenshot(path=screenshots / "imports-phone-mapping.png", full_page=True)
