"""Issue 12 in the browser: a Security officer changes the security section of a Node with a note,
compares, reverts to the version the server runs with, and the pending restart list and the TLS
verdict follow; a Viewer sees the history and no revert."""

import pytest

from applications.models import Application
from applications.restart import mark_restarted
from security.models import Provider, TrustedStore
from security.stores import store_save
from tests.browser.steps import open_application, set_security_section, snap

pytestmark = pytest.mark.browser

NODE = "Cobrowse_Node_1"
PEM_PATH = "/opt/genesys/cobrowse/certs/history-ca.pem"


def pending_options(page) -> set[str]:
    rows = page.locator("#pending-changes tbody tr").all_inner_texts()
    return {row.split("\t")[0].strip() for row in rows}


def test_change_with_a_note_compare_revert_and_the_restart_list_and_verdict_follow(login, client):
    node = Application.objects.get(name=NODE)
    store_save(store=TrustedStore(name="History CA (PEM)", provider=Provider.PEM, path=PEM_PATH),
               certificates=[], password=None, actor="tests")
    mark_restarted(application=node, actor="tests")  # it runs with what it has now
    running = node.config_versions.order_by("-number").first().number

    page = login("security")
    open_application(page, NODE, "Security")
    before_section = page.locator("main").inner_text()
    page.fill("#id_note", "TLS to Chat Server, ticket 4711")
    set_security_section(page, provider="PEM", store="History CA (PEM)")
    open_application(page, NODE)
    assert {"[security] provider", "[security] trusted-ca"} <= pending_options(page)

    # The History tab: the new version with who, why and what.
    page.locator("main .nav-tabs").get_by_role("link", name="History", exact=True).click()
    newest = page.locator("#versions tbody tr").first
    assert "TLS to Chat Server, ticket 4711" in newest.inner_text()
    assert "security" in newest.inner_text() and "[security] provider" in newest.inner_text()
    snap(page, "history-tab")

    # Compare: only the differences, grouped by section.
    newest.get_by_role("link", name="changes").click()
    page.wait_for_url("**/history/compare/**")
    assert page.locator("h2", has_text="[security]").count() == 1
    assert page.locator('tr[data-key="[security] provider"] td').nth(2).inner_text() == "PEM"
    assert page.locator('tr[data-key="General name"]').count() == 0  # unchanged rows are not shown
    page.locator("#compare-toggle").click()
    assert page.locator('tr[data-key="General name"]').count() == 1
    snap(page, "history-compare")

    # Revert to the version the server runs with: the preview says restart and TLS first.
    page.goto(f"/applications/{node.pk}/history/")
    page.locator(f'#versions tr[data-version="{running}"]').get_by_role("link", name="revert…").click()
    page.wait_for_url("**/revert/")
    assert "[security] provider" in page.locator("#revert-restart").locator("..").inner_text()
    predicted = page.locator("#revert-verdict .verdict-after").inner_text()
    snap(page, "history-revert-preview")
    page.fill("#id_note", "the Chat Server does not speak TLS yet")
    with page.expect_navigation():
        page.locator("#revert-form button[type=submit]").click()
    assert f"Reverted {NODE} to version {running}" in page.locator(".alert-success").inner_text()
    assert (f"revert to {running}: the Chat Server does not speak TLS yet"
            in page.locator("#versions tbody tr").first.inner_text())

    # Back to what the server runs with: nothing waits for a restart, the verdict is the predicted one.
    open_application(page, NODE)
    assert not {o for o in pending_options(page) if o.startswith("[security]")}
    assert page.locator("#tls-verdict").inner_text() == predicted
    open_application(page, NODE, "Security")
    assert page.locator("main").inner_text() == before_section


def test_a_viewer_sees_the_history_but_no_revert(login):
    node = Application.objects.get(name=NODE)
    page = login("viewer")
    open_application(page, NODE, "History")
    assert page.locator("#versions tbody tr").count() >= 1
    assert page.get_by_role("link", name="revert…").count() == 0
    response = page.goto(f"/applications/{node.pk}/history/1/revert/")
    assert response.status == 403
