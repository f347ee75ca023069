"""Impact preview in the browser (issue 15.4): a Security officer unticks the root CA a probed server's
chain needs; the store form comes back with the connection that would lose trust, nothing saved, and
saves on "Confirm and save". The certificate's delete page shows the same for each store holding it."""

import pytest

from applications.models import AppType, Connection, Host, OperatingSystem, Port
from security.models import ProbeResult, TrustedStore
from security.probe import probe_connection
from tests.browser.steps import snap
from tests.certs.make_certs import OTHER_CN, ROOT_CN
from tests.certs.tls_server import tls_server
from tests.checks.world import World

pytestmark = pytest.mark.browser


@pytest.fixture
def probed_store(browser_users, cert_files):
    """A Node run with the store "Impact CAs" (the test root and an unrelated CA), its connection to a real
    TLS server on 127.0.0.1 (server + intermediate under the root) probed for real."""
    w = World.helpers(cert_files)
    host = Host.objects.create(name="impact-core-01", address="127.0.0.1", os_type=OperatingSystem.LINUX)
    server = w.app("Impact_MessageServer", AppType.MESSAGE_SERVER, "8.5.100.03", host=host)
    node_host = Host.objects.create(name="impact-cb-01", address="10.9.0.1", os_type=OperatingSystem.LINUX)
    node = w.app("Impact_Node", AppType.COBROWSE_NODE, "8.5.003.04", host=node_host)
    store = w.store("Impact CAs", certs=("ca.pem", "other-ca.pem"))
    w.security(node, store=store)
    with tls_server(cert_files["server-chain.pem"], cert_files["server.key.pem"]) as port:
        secure = Port.objects.create(application=server, port_id="secure", number=port, secured=True)
        connection = Connection.objects.create(client=node, port=secure)
        probe_connection(connection_id=connection.pk)
    assert ProbeResult.objects.get(connection=connection).outcome == "ok"
    return store, connection, w


def test_unticking_the_root_shows_the_lost_connection_before_saving(login, probed_store):
    store, connection, w = probed_store
    page = login("security")
    page.goto(f"/security/stores/{store.pk}/")
    page.locator("main").get_by_role("link", name="Edit").first.click()
    page.wait_for_url("**/edit/")
    page.locator("main").get_by_label(ROOT_CN).uncheck()
    page.fill("#id_description", "Root rotated out")
    with page.expect_navigation():
        page.locator("main button[name=_save]").click()

    lost = page.locator("#impact-lost")
    assert lost.is_visible(), page.locator("main").inner_text()
    text = " ".join(lost.inner_text().split())
    assert "1 connection would lose its trust path" in text
    assert "Impact_Node → Impact_MessageServer:secure" in text
    assert lost.get_by_role("link", name="Impact_Node", exact=True).get_attribute("href") == \
        f"/applications/{connection.client_id}/"
    assert page.locator("#impact-restart").inner_text().count("Impact_Node") == 1
    assert page.input_value("#id_description") == "Root rotated out"  # what was typed stays
    assert not page.locator("main").get_by_label(ROOT_CN).is_checked()
    assert list(TrustedStore.objects.get(pk=store.pk).certificates.values_list("common_name", flat=True)) == \
        [ROOT_CN, OTHER_CN]
    page.set_viewport_size({"width": 1440, "height": 900})
    snap(page, "impact-store-confirm-1440")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    snap(page, "impact-store-confirm-390")
    page.set_viewport_size({"width": 1440, "height": 900})

    with page.expect_navigation():
        page.locator("main button[name=_save]").click()
    assert "Saved the trusted store Impact CAs." in page.locator(".alert-success").inner_text()
    saved = TrustedStore.objects.get(pk=store.pk)
    assert list(saved.certificates.values_list("common_name", flat=True)) == [OTHER_CN]
    assert saved.description == "Root rotated out"
    assert not page.console_errors


def test_the_certificate_delete_page_shows_what_removing_it_would_cost(login, probed_store):
    store, connection, w = probed_store
    page = login("security")
    root = w.cert("ca.pem")
    page.goto(f"/security/certificates/{root.pk}/delete/")
    assert page.locator("#delete-blocked").is_visible()
    impact = page.locator("#store-impact")
    assert "Impact CAs" in impact.inner_text() and page.locator("#impact-lost").is_visible()
    page.set_viewport_size({"width": 1440, "height": 900})
    snap(page, "impact-certificate-delete-1440")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    snap(page, "impact-certificate-delete-390")


def test_switching_the_node_to_another_store_shows_the_loss_first(login, probed_store):
    store, connection, w = probed_store
    other = w.store("Impact others", certs=("other-ca.pem",))
    page = login("security")
    page.goto(f"/security/applications/{connection.client_id}/security/")
    option = page.locator("#id_store option", has_text="Impact others").first
    page.select_option("#id_store", value=option.get_attribute("value"))
    with page.expect_navigation():
        page.locator("main button[name=_save]").click()
    lost = page.locator("#impact-lost")
    assert lost.is_visible(), page.locator("main").inner_text()
    assert "Impact_Node → Impact_MessageServer:secure" in lost.inner_text()
    assert page.locator("#id_store").input_value() == str(other.pk)  # the choice stays
    page.set_viewport_size({"width": 1440, "height": 900})
    snap(page, "impact-section-confirm-1440")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    snap(page, "impact-section-confirm-390")
    with page.expect_navigation():
        page.locator("main button[name=_save]").click()
    assert page.locator(".alert-success").first.is_visible()
    from security.section import section_state

    assert section_state(connection.client).store.pk == other.pk
    assert not page.console_errors
