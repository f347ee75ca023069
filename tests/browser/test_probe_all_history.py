"""Issue 15 in the browser: a Security officer presses "Probe all" on the review, every connection
through a secure port is probed (one handshake per server), and "history" opens the connection's
probe history with the chain the server presented. Demo environment; a real TLS server on 127.0.0.1
stands in for Message Server's secure port."""

import pytest

from applications.models import Application, Connection, Host, Port
from security.models import ProbeResult
from tests.browser.steps import snap
from tests.certs.tls_server import tls_server
from tests.checks.world import World

pytestmark = pytest.mark.browser


def test_probe_all_then_the_history_of_a_connection(login, cert_files, settings):
    settings.TLS_PROBE_TIMEOUT_SECONDS = 1  # the demo's other servers are not on this machine
    Host.objects.filter(name="genesys-core-01").update(address="127.0.0.1")
    cluster = Application.objects.get(name="Cobrowse_Cluster")
    connection = Connection.objects.get(client=cluster, port__port_id="secure")
    world = World.helpers(cert_files)
    store = world.store("Genesys CA")
    for node in cluster.nodes.all():
        world.security(node, store=store)
    page = login("security")
    with tls_server(cert_files["server-chain.pem"], cert_files["server.key.pem"]) as port:
        Port.objects.filter(pk=connection.port_id).update(number=port)
        page.locator("nav").get_by_role("link", name="Connection review", exact=True).click()
        page.wait_for_url("**/security/review/")
        with page.expect_navigation():
            page.locator("#probe-all").click()
        assert "through a secure port requested" in page.locator(".alert-success").inner_text()
    row = page.locator(f'#review-table tr[data-connection="{connection.pk}"]')
    assert "trusted" in row.inner_text()
    with page.expect_navigation():
        row.get_by_role("link", name="history").click()
    snap(page, "probe-history")
    assert page.locator("h1").inner_text() == "Probe history: Cobrowse_Cluster → MessageServer:secure"
    first = page.locator("#probe-history tbody tr").first
    assert first.get_attribute("data-outcome") == "ok" and first.get_attribute("data-stale") == "no"
    assert "PEM with the store Genesys CA" in first.inner_text()
    first.locator("summary").first.click()
    assert "Co-browse Test Intermediate CA" in first.inner_text() and "SHA-256" in first.inner_text()
    probed = set(ProbeResult.objects.values_list("connection_id", flat=True))
    assert connection.pk in probed and len(probed) == Connection.objects.filter(port__secured=True).count()
    assert not page.console_errors
