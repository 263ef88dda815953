"""A background job's page follows the job by itself (htmx polls the progress partial)."""

import re

from playwright.sync_api import expect

from conftest import login, run_worker


def test_audit_verification_page_updates_itself_until_the_job_finishes(page, adam):
    login(page, adam)
    page.get_by_role("button", name="Office").click()
    page.get_by_role("link", name="Audit log", exact=True).click()
    page.get_by_role("button", name="Verify the chain").click()

    expect(page).to_have_url(re.compile(r"/jobs/\d+/$"))
    expect(page.get_by_role("heading", level=1, name="Verify the audit log")).to_be_visible()
    progress = page.get_by_role("progressbar", name="Progress")
    expect(progress).to_have_attribute("aria-valuenow", "0")
    expect(page.get_by_test_id("job-state")).to_have_text("Queued")
    with page.expect_request(lambda r: r.headers.get("hx-request") == "true"):
        pass  # htmx polls while the job waits for a worker
    page.evaluate("window.notReloaded = true")

    run_worker()

    expect(page.get_by_test_id("job-state")).to_have_text("Finished")
    expect(progress).to_have_attribute("aria-valuenow", "100")
    expect(page.get_by_role("status")).to_contain_text("The audit log is intact")
    assert page.evaluate("window.notReloaded") is True
    bar_width = page.locator(".progress-bar").evaluate("bar => bar.style.width")
    assert bar_width == "100%"
