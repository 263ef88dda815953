"""The README's screenshots, taken from a demo office (`civicdesk demo --seed 1`) as its admin.
Files are written to docs/screenshots/ only with CIVICDESK_SCREENSHOTS=1, so that an ordinary
run (CI) rewrites nothing: it takes them of a smaller demo office, into a temporary folder."""

import io
import os
import re

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.management import call_command
from playwright.sync_api import expect

from civicdesk.accounts.models import Office
from civicdesk.accounts.permissions import Role
from civicdesk.accounts.services import add_member
from civicdesk.audit.models import AuditEvent
from civicdesk.demo.services import build_demo_office
from civicdesk.jobs.models import Job, JobState
from conftest import PASSWORD, SCREENSHOTS, login

WRITE_SCREENSHOTS = os.environ.get("CIVICDESK_SCREENSHOTS") == "1"


@pytest.fixture
def screenshots(tmp_path):
    if WRITE_SCREENSHOTS:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path


@pytest.fixture
def demo_admin():
    if WRITE_SCREENSHOTS:
        call_command("demo", seed=1, stdout=io.StringIO())  # the office `civicdesk demo` builds
    else:
        build_demo_office(seed=1, people=200)  # the same office with fewer people: seconds, not 30
    office = Office.objects.get(slug="demo-1")
    admin = add_member(
        office,
        email="jordan.ellis@demo.civicdesk.localhost",
        role=Role.ADMIN,
        by=None,
        full_name="Jordan Ellis",
        password=PASSWORD,
    )
    admin.totp_secret = generate_totp_secret()
    TOTP.activate(admin.user, admin.totp_secret)
    return admin


def test_readme_screenshots(new_context, demo_admin, screenshots):
    page = new_context(viewport={"width": 1280, "height": 800}).new_page()
    login(page, demo_admin)
    page.reload()  # without the "signed in" message
    expect(page.get_by_role("heading", name="Your work")).to_be_visible()
    page.screenshot(path=screenshots / "dashboard.png", full_page=True)

    page.goto("/audit/")
    expect(page.get_by_role("table")).to_contain_text("member.added")
    page.screenshot(path=screenshots / "audit-log.png", full_page=True)

    page.get_by_role("button", name="Verify the chain").click()
    expect(page).to_have_url(re.compile(r"/jobs/\d+/$"))
    # Caught halfway: what the worker reports while it walks the chain.
    total = AuditEvent.objects.filter(office=demo_admin.office).count()
    Job.objects.filter(pk=page.url.rstrip("/").rsplit("/", 1)[1]).update(
        state=JobState.RUNNING, done=total // 2, total=total
    )
    expect(page.get_by_test_id("job-state")).to_have_text("Running")
    page.wait_for_timeout(600)  # the bar's width eases in over 0.4 s
    page.screenshot(path=screenshots / "job-progress.png", full_page=True)

    for name in ("dashboard.png", "audit-log.png", "job-progress.png"):
        assert (screenshots / name).stat().st_size > 10_000
