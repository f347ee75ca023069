"""The TLS compliance report in a browser: reached from the dashboard, readable at 1440 px and 390 px, and
printed without the navigation or the buttons (print media)."""

import pytest

from applications.models import Application
from security import sweeps
from tests.browser.steps import snap

pytestmark = [pytest.mark.browser, pytest.mark.tls_policy]


@pytest.fixture
def demo_checked(browser_users):
    """The demo environment (whose MessageServer_Backup lacks its primary's sec-protocol) after one
    validation of everything, the TLS policy on."""
    primary = Application.objects.get(name="MessageServer")
    assert primary.backup_server.name == "MessageServer_Backup"
    sweeps.run_sweep(sweeps.sweep_create(trigger="command", actor="tests").pk)
    return browser_users


def test_from_the_dashboard_to_the_report_on_a_desktop_a_phone_and_paper(page, login, demo_checked):
    login("viewer")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto("/")
    with page.expect_navigation():
        page.locator("#dashboard-compliance").click()
    assert page.locator("h1").inner_text() == "TLS compliance report"
    assert "fail" in page.locator("#compliance-overall").inner_text()
    assert page.locator('#compliance-rules tr[data-rule="backup_pair"]').get_attribute("data-outcome") == "fail"
    assert page.locator('#compliance-applications tr[data-application="MessageServer"]').get_attribute(
        "data-outcome") == "fail"
    assert "Co-browse Admin" in page.locator("#compliance-signature").inner_text()
    assert page.locator("nav.navbar").is_visible() and page.locator("#compliance-csv").is_visible()
    # The Print button opens the print dialog (window.print, counted here instead of a dialog).
    page.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
    page.locator("#compliance-print").click()
    assert page.evaluate("window.printed") >= 1
    snap(page, "compliance-1440")

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    # The page itself never scrolls sideways; the wide matrix scrolls in its own box.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    snap(page, "compliance-390")

    page.set_viewport_size({"width": 1440, "height": 900})
    page.emulate_media(media="print")
    assert not page.locator("nav.navbar").is_visible()
    assert not page.locator("#compliance-csv").is_visible()
    assert page.locator("#compliance-applications").is_visible()
    assert page.locator("main .print-only").is_visible()
    snap(page, "compliance-print")
    page.emulate_media(media="screen")

    # The failing rule's findings are the findings page's.
    with page.expect_navigation():
        page.locator('#compliance-rules tr[data-rule="backup_pair"] a').click()
    assert "policy.backup_mismatch" in page.url
    assert "MessageServer_Backup" in page.locator("#findings-table").inner_text()
    assert not page.console_errors
