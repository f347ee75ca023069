"""An Operator edits an option, sees restart required with the change, then marks the restart."""

import pytest

from applications.models import Application, AuditEvent

pytestmark = pytest.mark.browser


def test_an_operator_edits_an_option_sees_restart_required_and_marks_restarted(login):
    page = login("operator")
    node = Application.objects.get(name="Cobrowse_Node_2")
    page.goto(f"/applications/{node.pk}/options/edit/")
    # A new option in a new row: unknown options take effect after restart.
    page.fill("input[placeholder='new section'] >> nth=0", "session")
    page.fill("input[placeholder='new option'] >> nth=0", "inactivityTimeout")
    row = page.locator("tr", has=page.locator("input[placeholder='new section'] >> nth=0")).first
    row.locator("input[name$='-value']").fill("600")
    page.click("main button[name=_save]")
    page.wait_for_url(f"**/applications/{node.pk}/options/")
    assert "1 option(s) changed" in page.locator(".alert").first.inner_text()

    page.goto(f"/applications/{node.pk}/")
    header = page.locator("main").inner_text()
    assert "restart required" in header
    pending = page.locator("#pending-changes").inner_text()
    assert "[session] inactivityTimeout" in pending and "600" in pending and "operator" in pending

    page.goto("/applications/?restart=on")
    assert "Cobrowse_Node_2" in page.locator("table").inner_text()

    page.goto(f"/applications/{node.pk}/")
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("main button:has-text('Mark as restarted')")
    page.wait_for_load_state()
    assert "marked as restarted" in page.locator(".alert").first.inner_text()
    assert page.locator("#pending-changes").count() == 0
    assert "restart required" not in page.locator("main h1 ~ *").first.inner_text()
    assert AuditEvent.objects.filter(application=node, action="restart").exists()
    assert not page.console_errors
