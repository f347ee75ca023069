"""Steps of the journeys, done through the pages as a person would: links, forms, buttons.

Each step waits for the page it leads to, so the next step starts on a loaded page. Buttons are
clicked inside ``main``: the navbar holds the "Log out" submit button.
"""

import os
from pathlib import Path

from playwright.sync_api import Page

PAGES = Path(__file__).resolve().parents[2] / "test-artifacts" / "pages"


def snap(page: Page, name: str) -> None:
    """With BROWSER_SCREENSHOTS=1, a full-page screenshot of a key page, to look at the UI."""
    if os.environ.get("BROWSER_SCREENSHOTS"):
        PAGES.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(PAGES / f"{name}.png"), full_page=True)


def open_application(page: Page, name: str, tab: str = "General") -> None:
    """Applications list → filter by the name → the application → one of its tabs."""
    page.locator("nav").get_by_role("link", name="Applications", exact=True).click()
    page.wait_for_url("**/applications/")
    page.locator("main").get_by_role("link", name=name, exact=True).click()
    page.wait_for_url("**/applications/*/")
    if tab != "General":
        page.locator("main .nav-tabs").get_by_role("link", name=tab, exact=True).click()
        page.wait_for_load_state()


def upload_certificates(page: Page, files: list[Path], password: str = "") -> str:
    """Certificates → Upload → choose the files → Preview. Returns the preview's text."""
    page.locator("nav").get_by_role("link", name="Certificates", exact=True).click()
    page.wait_for_url("**/security/certificates/")
    page.locator("main").get_by_role("link", name="Upload certificates").click()
    page.wait_for_url("**/security/certificates/upload/")
    page.set_input_files("#id_files", [str(f) for f in files])
    if password:
        page.fill("#id_password", password)
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name="Preview").click()
    assert page.locator("h1").inner_text() == "What was found", page.locator("main").inner_text()
    return page.locator("main").inner_text()


def confirm_import(page: Page) -> str:
    """The preview's Import button; returns the confirmation message."""
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name="Import").click()
    return page.locator(".alert-success").first.inner_text()


def create_store(page: Page, *, name: str, provider: str, path: str = "", password: str = "",
                 certificates: tuple[str, ...] = (), windows_path: str = "") -> None:
    """Trusted stores → New trusted store → fill in → Save; ends on the store's page."""
    page.locator("nav").get_by_role("link", name="Trusted stores", exact=True).click()
    page.wait_for_url("**/security/stores/")
    page.locator("main").get_by_role("link", name="New trusted store").click()
    page.wait_for_url("**/security/stores/new/")
    page.fill("#id_name", name)
    page.select_option("#id_provider", provider)
    if path:
        page.fill("#id_path", path)
    if windows_path:
        page.fill("#id_windows_path", windows_path)
    if password:
        page.fill("#id_password", password)
        page.fill("#id_password_again", password)
    for label in certificates:
        page.locator("main").get_by_label(label).check()
    with page.expect_navigation():
        page.locator("main button[name=_save]").click()
    assert page.locator("h1").inner_text() == name, page.locator("main").inner_text()


def set_security_section(page: Page, *, provider: str, store: str) -> None:
    """On an application's Security tab: provider, store (by name) → Save."""
    page.select_option("#id_provider", provider)
    option = page.locator("#id_store option", has_text=store).first
    page.select_option("#id_store", value=option.get_attribute("value"))
    with page.expect_navigation():
        page.locator("main button[name=_save]").click()
