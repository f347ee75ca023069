"""Browser tests: Playwright for Python driving Debian's Chromium against a live server.

A failing test leaves a screenshot in test-artifacts/ (kept by CI as the first thing to look at).
"""

import shutil
from pathlib import Path

import pytest

from tests.conftest import require

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"



@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="package")
def browser():
    """One Chromium for the browser tests, closed when they are done (not at the end of the session:
    Playwright's sync API keeps an event loop in this thread, and Django refuses synchronous ORM
    calls while one runs, so only these tests may live with it, and only they allow it)."""
    require(Path(CHROMIUM).exists(), "Chromium (Debian package chromium)")
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class ConsoleErrors(list):
    """Console errors of the page, CSP violations included: a page must not trip its own policy."""


@pytest.fixture
def page(browser, request, live_server):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True,
                                  base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15000)
    errors = ConsoleErrors()
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.console_errors = errors
    yield page
    failed = getattr(request.node, "report_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.fixture
def login(page, browser_users):
    """``login("operator")`` logs the page in through the login form, as a person would."""

    def do_login(username):
        page.goto("/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", browser_users[username])
        page.click("main button[type=submit]")
        page.wait_for_url("**/")
        return page

    return do_login


@pytest.fixture
def browser_users(transactional_db):
    """The demo environment and its users (real passwords, since the browser types them)."""
    from django.core.management import call_command

    from console.management.commands.seed_demo import DEMO_USERS

    call_command("seed_demo", verbosity=0)
    return {username: password for username, password, _ in DEMO_USERS}
