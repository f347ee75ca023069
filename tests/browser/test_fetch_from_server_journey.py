"""Issue 15.3 in Chromium: a probe finds Message Server's chain untrusted by the Nodes' store; the officer
follows "Fetch this server's chain", sees the presented chain, imports its root into that store in the
same step, probes again, and the connection turns green (trusted).

The demo environment; a real TLS server on 127.0.0.1 presenting leaf + intermediate + root stands in for
Message Server's secure port. The pages are checked, and photographed with BROWSER_SCREENSHOTS=1, at 1440
and 390 px.
"""

import pytest

from applications.models import Application, Connection, Host, Port
from security.models import Certificate, ProbeResult, TrustedStore
from security.stores import store_save
from tests.browser.steps import open_application, snap
from tests.certs.make_certs import INTERMEDIATE_CN, ROOT_CN
from tests.certs.tls_server import tls_server
from tests.checks.world import World

pytestmark = pytest.mark.browser

NARROW = {"width": 390, "height": 844}
WIDE = {"width": 1440, "height": 900}


@pytest.fixture
def full_chain(cert_files, tmp_path):
    path = tmp_path / "server-full-chain.pem"
    path.write_bytes(cert_files["server-chain.pem"].read_bytes() + cert_files["ca.pem"].read_bytes())
    return path


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def photograph(page, name: str) -> None:
    """The page at 1440 and at 390 px: it must not scroll sideways at either."""
    for label, size in (("wide", WIDE), ("narrow", NARROW)):
        page.set_viewport_size(size)
        assert fits(page), f"{name} scrolls sideways at {size['width']} px"
        snap(page, f"fetch-{name}-{label}")
    page.set_viewport_size(WIDE)


def panel_line(page, connection: Connection):
    return page.locator(f'#tls-connections tr[data-connection="{connection.pk}"]')


def test_fetch_the_servers_root_into_the_nodes_store_and_the_probe_turns_green(login, cert_files, full_chain):
    Host.objects.filter(name="genesys-core-01").update(address="127.0.0.1")
    Connection.objects.filter(client__name="Cobrowse_Node_2").delete()  # R2's misplaced one: beside the point
    cluster = Application.objects.get(name="Cobrowse_Cluster")
    connection = Connection.objects.get(client=cluster, port__port_id="secure")
    # The Nodes' store trusts another CA only: the server's chain is untrusted.
    world = World.helpers(cert_files)
    store = world.store("Nodes CA", certs=("other-ca.pem",))
    for node in cluster.nodes.all():
        world.security(node, store=store)
    page = login("security")
    page.set_viewport_size(WIDE)
    with tls_server(full_chain, cert_files["server.key.pem"]) as port:
        Port.objects.filter(pk=connection.port_id).update(number=port)
        open_application(page, "Cobrowse_Node_1")
        with page.expect_navigation():
            panel_line(page, connection).get_by_role("button", name="Probe").click()
        line = panel_line(page, connection)
        assert "untrusted" in line.inner_text()
        snap(page, "fetch-probe-untrusted")

        # The probe's line offers the fetch, pre-filled with the endpoint it reached.
        line.get_by_role("link", name="Fetch this server's chain").click()
        page.wait_for_url("**/security/certificates/fetch/**")
        assert page.locator("#id_host").input_value() == "127.0.0.1"
        assert page.locator("#id_port").input_value() == str(port)
        photograph(page, "form")
        with page.expect_navigation():
            page.locator("main").get_by_role("button", name="Fetch the chain").click()
        assert page.locator("h1").inner_text() == f"What 127.0.0.1:{port} presented"
        rows = page.locator("#presented-chain tbody tr")
        assert [rows.nth(i).get_attribute("data-role") for i in range(rows.count())] == ["leaf", "intermediate", "root"]
        assert page.locator("#no-root").count() == 0
        assert "not offered" in rows.nth(0).inner_text()
        photograph(page, "preview-full-chain")

        # The root only, into the Nodes' store.
        rows.nth(1).get_by_role("checkbox").uncheck()
        rows.nth(2).get_by_role("checkbox").check()
        page.locator("#fetch-stores").get_by_label("Nodes CA", exact=False).check()
        with page.expect_navigation():
            page.locator("main").get_by_role("button", name="Import").click()
        assert page.locator("h1").inner_text() == "Nodes CA"
        message = page.locator(".alert-success").first.inner_text()
        assert f"Imported 1 certificate(s) from 127.0.0.1:{port}" in message
        assert "Added to the store(s) Nodes CA" in message
        assert ROOT_CN in page.locator("main").inner_text()
        assert not Certificate.objects.filter(common_name=INTERMEDIATE_CN).exists()

        # Probe again: the store now holds the root, and the connection turns green.
        open_application(page, "Cobrowse_Node_1")
        line = panel_line(page, connection)
        assert "stale" in line.inner_text()
        with page.expect_navigation():
            line.get_by_role("button", name="Probe again").click()
        line = panel_line(page, connection)
        outcome = line.locator(".probe-outcome")
        assert outcome.inner_text() == "trusted" and "text-bg-success" in outcome.get_attribute("class")
        assert line.get_by_role("link", name="Fetch this server's chain").count() == 0
        snap(page, "fetch-probe-green")
    assert list(ProbeResult.objects.order_by("at", "id").values_list("outcome", flat=True)) == ["untrusted", "ok"]
    assert not page.console_errors


def test_the_pages_say_what_went_wrong_and_when_no_root_was_sent(login, cert_files):
    store = World.helpers(cert_files).store("Nodes CA", certs=("other-ca.pem",))
    page = login("security")
    page.set_viewport_size(WIDE)
    page.goto("/security/certificates/")
    page.locator("main").get_by_role("link", name="Fetch from a server").click()
    page.wait_for_url("**/security/certificates/fetch/")
    page.fill("#id_host", "no-such-host.invalid")
    page.fill("#id_port", "8443")
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name="Fetch the chain").click()
    assert "cannot be resolved" in page.locator("main").inner_text()
    assert page.locator("#id_host").input_value() == "no-such-host.invalid"  # as typed
    photograph(page, "form-error")

    with tls_server(cert_files["server-chain.pem"], cert_files["server.key.pem"]) as port:
        page.fill("#id_host", "127.0.0.1")
        page.fill("#id_port", str(port))
        with page.expect_navigation():
            page.locator("main").get_by_role("button", name="Fetch the chain").click()
    alert = page.locator("#no-root").inner_text()
    assert "The server sent no root; upload the root CA from its issuer." in alert
    assert "You can still import the intermediate below." in alert
    photograph(page, "preview-no-root")

    # Someone empties the store meanwhile: the import is refused, nothing saved, the choices kept.
    store_save(store=TrustedStore.objects.get(pk=store.pk), certificates=[], password=None, actor=None)
    page.locator("#fetch-stores").get_by_label("Nodes CA", exact=False).check()
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name="Import").click()
    banner = page.locator("#stale-edit").inner_text()
    assert "the trusted store Nodes CA" in banner and "Nothing was imported." in banner
    assert page.locator("#fetch-stores").get_by_label("Nodes CA", exact=False).is_checked()
    assert not Certificate.objects.filter(common_name=INTERMEDIATE_CN).exists()
    photograph(page, "preview-conflict")
    assert not page.console_errors
