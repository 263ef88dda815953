"""Browser tests: Chromium (Debian's, never a Playwright download) against pytest-django's live
server. Every page a test opens is watched for console errors and Content-Security-Policy
violations; any of them fails the test.

People come from the root conftest (`adam` signs in with TOTP); `login(page, member)` goes
through the real sign-in pages, password then authenticator code.
"""

import io
import os
import re
import time
from pathlib import Path

import pyotp
import pytest
from django.core.cache import cache
from django.core.management import call_command
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from civicdesk.accounts.models import Membership
from civicdesk.accounts.permissions import Role
from civicdesk.accounts.services import add_member

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE_JS = Path(__file__).parent / "vendor" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "correct horse battery staple"  # the root conftest's PASSWORD, which made every person

# Chromium logs each CSP refusal as a console error; this listener, injected into every page
# before its own scripts, logs the `securitypolicyviolation` events too (with the directive).
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`
    + ` at ${e.sourceFile || document.location.href}:${e.lineNumber}`);
});
"""


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """SQLite in a file, as in production, not Django's in-memory test database: with an
    in-memory one the live server shares the test thread's connection, and the worker the
    tests run would step on the live server's transactions. On PostgreSQL, a database of
    their own, so a backend test run at the same time does not drop it under them."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(settings.VAR_DIR / "e2e-test.sqlite3")
    else:
        database.setdefault("TEST", {})["NAME"] = f"test_{database['NAME']}_e2e"


@pytest.fixture(scope="session")
def browser() -> Browser:
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"Browser tests need Chromium at {CHROMIUM} (set CHROMIUM=/path/to/chromium, "
            "or: sudo apt-get install -y chromium). Playwright cannot download one here.",
            pytrace=False,
        )
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()
    playwright.stop()


class PageProblems:
    """Console errors, uncaught exceptions and CSP violations seen on any page of a context."""

    def __init__(self):
        self.problems: list[str] = []
        self.allowed: list[re.Pattern] = []

    def watch(self, page: Page) -> None:
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.problems.append(f"{page.url}: uncaught {exc}"))

    def _on_console(self, message) -> None:
        text = message.text
        if message.type == "error" or text.startswith("Refused to"):
            self.problems.append(f"{message.page.url if message.page else '?'}: {text}")

    def allow(self, pattern: str) -> None:
        """Expect a console error (a 404 page makes Chromium log the 404 status, for example)."""
        self.allowed.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        return [p for p in self.problems if not any(a.search(p) for a in self.allowed)]


@pytest.fixture
def page_problems() -> PageProblems:
    return PageProblems()


@pytest.fixture
def new_context(browser, live_server, page_problems):
    """new_context(**options) -> a fresh browser context on the live server, watched for
    problems. `bypass_csp=True` only for axe, which the policy (rightly) refuses to run."""
    contexts: list[BrowserContext] = []

    def make(**options) -> BrowserContext:
        options.setdefault("viewport", {"width": 1280, "height": 800})
        context = browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(10_000)
        context.add_init_script(CSP_LISTENER)
        context.on("page", page_problems.watch)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    unexpected = page_problems.unexpected()
    if unexpected:
        pytest.fail("Console errors or CSP violations:\n" + "\n".join(unexpected), pytrace=False)


@pytest.fixture
def page(new_context) -> Page:
    """A page under the real Content-Security-Policy."""
    return new_context().new_page()


_used_codes: set[tuple[str, str]] = set()  # (secret, code) this test signed in with


@pytest.fixture(autouse=True)
def _fresh_cache(transactional_db):
    """Rate-limit counters and used TOTP codes live in the database cache, whose table a
    transactional test's flush does not empty: start and end every test with none."""
    cache.clear()
    _used_codes.clear()
    yield
    cache.clear()


@pytest.fixture
def ada(ward1) -> Membership:
    """A second admin of Ward 1 who has not set up a second factor yet."""
    return add_member(
        ward1,
        email="ada@ward1.example",
        role=Role.ADMIN,
        by=None,
        full_name="Ada Admin",
        password=PASSWORD,
    )


def run_worker() -> None:
    """Run every queued job now, in this process, on the live server's database."""
    call_command("worker", batch=True, no_scheduler=True, stdout=io.StringIO())


def _wait_for_next_totp_window() -> None:
    time.sleep(30 - time.time() % 30 + 0.2)


def totp_code_now(secret: str) -> str:
    """The authenticator's code, from a window that still has a few seconds to run: allauth
    accepts only the current window's code, and the browser takes a moment to send it."""
    if 30 - time.time() % 30 < 5:
        _wait_for_next_totp_window()
    return pyotp.TOTP(secret).now()


def fresh_totp_code(secret: str) -> str:
    """A code to sign in with: the current one, or the next if this test already signed in
    with it (allauth refuses a code twice)."""
    code = totp_code_now(secret)
    if (secret, code) in _used_codes:
        _wait_for_next_totp_window()
        code = totp_code_now(secret)
    _used_codes.add((secret, code))
    return code


def wrong_totp_code(secret: str) -> str:
    return "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"


def sign_in_with_password(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()


def enter_totp_code(page: Page, code: str) -> None:
    expect(page.get_by_role("heading", name="Two-Factor Authentication")).to_be_visible()
    page.get_by_placeholder("Code").fill(code)
    page.get_by_role("button", name="Sign In").click()


def login(page: Page, member: Membership) -> None:
    """Sign in through the real pages: email and password, then the authenticator code when the
    member has TOTP (`member.totp_secret`, from `give_totp`). Ends on the member's dashboard."""
    sign_in_with_password(page, member.user.email)
    secret = getattr(member, "totp_secret", None)
    if secret:
        enter_totp_code(page, fresh_totp_code(secret))
    expect(page.get_by_role("heading", level=1, name=member.office.name)).to_be_visible()


def axe_violations(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page, one line per offending element.
    The page's context must bypass CSP: the policy (rightly) refuses to run axe."""
    page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{page.url} {v['impact']} {v['id']} ({v['help']}): {node['target']}\n"
        f"    {node['failureSummary']}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
        for node in v["nodes"]
    ]


def check_axe(page: Page) -> None:
    """Fail on any serious or critical axe-core violation on the page, listing them."""
    violations = axe_violations(page)
    assert not violations, "axe-core found:\n" + "\n".join(violations)
