"""Issue 10.2 and 10.5 as they were seen in the browser: the review and the readiness panels agree on
every connection, and a probe made before stores were assigned goes stale instead of deciding.

The demo environment, validated through the "Validate everything now" button; a real TLS server on
127.0.0.1 presenting the generated server certificate stands in for Message Server's secure port.
"""

import pytest

from applications.models import Application, Connection, Host, Port
from security.models import ProbeResult
from tests.browser.steps import open_application, snap
from tests.certs.tls_server import tls_server
from tests.checks.world import World

pytestmark = pytest.mark.browser


def validate_everything(page) -> None:
    page.locator("nav").get_by_role("link", name="Connection review", exact=True).click()
    page.wait_for_url("**/security/review/")
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name="Validate everything now").click()
    page.locator("nav").get_by_role("link", name="Connection review", exact=True).click()
    page.wait_for_url("**/security/review/")


def review_row(page, connection: Connection):
    return page.locator(f'#review-table tr[data-connection="{connection.pk}"]')


def panel_line(page, connection: Connection):
    return page.locator(f'#tls-connections tr[data-connection="{connection.pk}"]')


def verdict(row) -> tuple[str, str]:
    return row.get_attribute("data-verdict"), row.get_attribute("data-failing")


def test_the_review_and_every_readiness_panel_give_the_clusters_connection_one_verdict(login):
    page = login("security")
    validate_everything(page)
    connection = Connection.objects.get(client__name="Cobrowse_Cluster", port__port_id="secure")
    row = review_row(page, connection)
    snap(page, "one-verdict-review")

    # Seen: "Findings: none" on this row while the Nodes' pages said "They will fail".
    seen = verdict(row)
    assert seen == ("not_ready", "Cobrowse_Node_1|Cobrowse_Node_2|Cobrowse_Node_3")
    assert "on Cobrowse_Node_1, Cobrowse_Node_2, Cobrowse_Node_3" in row.inner_text()
    findings = row.locator("td").nth(8)  # after the Effective TLS and probe columns
    # The code is no main text: it is the tooltip of its message.
    assert findings.locator('[title="connection.tls_disabled"]').count() == 1
    assert "(and 2 more like it)" in findings.inner_text() and "connection.tls_disabled" not in findings.inner_text()
    # Worst first: the first row of the review is one that will not work.
    assert page.locator("#review-table tbody tr").first.get_attribute("data-verdict") == "not_ready"

    open_application(page, "Cobrowse_Cluster")
    assert page.locator("#tls-verdict").inner_text() == "not ready"
    assert verdict(panel_line(page, connection)) == seen
    for node in ("Cobrowse_Node_1", "Cobrowse_Node_2", "Cobrowse_Node_3"):
        open_application(page, node)
        assert page.locator("#tls-verdict").inner_text() == "not ready"
        assert verdict(panel_line(page, connection)) == ("not_ready", node)
        assert "runs this connection with TLS disabled" in page.locator("#tls-reasons").inner_text()
    assert not page.console_errors


def test_a_probe_made_before_the_stores_were_assigned_goes_stale_and_is_probed_again(login, cert_files):
    Host.objects.filter(name="genesys-core-01").update(address="127.0.0.1")
    Connection.objects.filter(client__name="Cobrowse_Node_2").delete()  # R2's misplaced one: beside the point
    cluster = Application.objects.get(name="Cobrowse_Cluster")
    connection = Connection.objects.get(client=cluster, port__port_id="secure")
    page = login("security")
    with tls_server(cert_files["server-chain.pem"], cert_files["server.key.pem"]) as port:
        Port.objects.filter(pk=connection.port_id).update(number=port)
        validate_everything(page)
        with page.expect_navigation():
            review_row(page, connection).get_by_role("button", name="Probe").click()
        assert f"Probe of MessageServer:secure (127.0.0.1:{port})" in page.locator(".alert-success").inner_text()
        cell = review_row(page, connection).locator("td").nth(7).inner_text()  # the probe column
        assert f"reached 127.0.0.1:secure ({port}), TLS disabled" in cell

        # The stores are assigned (the Genesys CA that signed the server's certificate) and checked.
        world = World.helpers(cert_files)
        store = world.store("Genesys CA")
        for node in cluster.nodes.all():
            world.security(node, store=store)
        validate_everything(page)
        row = review_row(page, connection)
        snap(page, "stale-probe-review")
        assert verdict(row)[0] == "ready"
        assert "stale" in row.inner_text()
        assert "No longer counts: it used TLS disabled; the client now uses PEM with the store Genesys CA" in (
            row.inner_text())

        open_application(page, "Cobrowse_Node_1")
        assert page.locator("#tls-verdict").inner_text() == "ready"
        line = panel_line(page, connection)
        assert "stale" in line.inner_text()
        with page.expect_navigation():
            line.get_by_role("button", name="Probe again").click()
        snap(page, "stale-probe-probed-again")
        line = panel_line(page, connection)
        assert "trusted" in line.inner_text() and "stale" not in line.inner_text()
        assert f"reached 127.0.0.1:secure ({port}), PEM with the store Genesys CA" in line.inner_text()
        assert page.locator("#tls-verdict").inner_text() == "ready"
    assert list(ProbeResult.objects.values_list("provider", "outcome")) == [("PEM", "ok"), ("", "untrusted")]
    assert not page.console_errors
