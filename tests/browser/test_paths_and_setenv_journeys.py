"""Issue 10.4 and 10.6 where they were seen, in the browser.

- Apply to all Nodes on a mixed Cluster (Cobrowse_Node_3 runs on Windows) gives each Node the
  store's path for its host, a store without a Windows path is refused naming the Windows Node, and
  the Windows Node's setenv.bat carries its Windows path.
- The setenv page takes the release's own setenv.sh, shows the changes, and the download is that
  file with only the connection and TLS lines set.
"""

import pytest

from applications.models import Application
from applications.options import option_value
from security.models import Provider, TrustedStore
from security.section import security_section_set
from security.stores import store_save
from tests.browser.steps import create_store, open_application, snap

pytestmark = pytest.mark.browser

LINUX_PEM = "/opt/genesys/cobrowse/certs/certificateCA.pem"
WINDOWS_PEM = "C:\\GCTI\\cobrowse\\certs\\certificateCA.pem"
P = "com.genesyslab.platform.commons.connection.tls."


def apply_to_all_nodes(page, store: str) -> None:
    page.on("dialog", lambda dialog: dialog.accept())
    page.locator("main").get_by_role("link", name="Apply to all Nodes").first.click()
    page.wait_for_url("**/security/cluster/")
    page.select_option("#id_provider", "PEM")
    option = page.locator("#id_store option", has_text=store).first
    page.select_option("#id_store", value=option.get_attribute("value"))
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name="Apply to all Nodes").click()


def test_apply_to_all_nodes_on_a_mixed_cluster_gives_the_windows_node_its_windows_path(login, tmp_path):
    page = login("security")
    create_store(page, name="Genesys CA (PEM)", provider="PEM", path=LINUX_PEM, windows_path=WINDOWS_PEM)
    create_store(page, name="Linux only (PEM)", provider="PEM", path="/opt/genesys/linux-only.pem")
    snap(page, "paths-store-detail")

    open_application(page, "Cobrowse_Cluster", tab="Security")
    apply_to_all_nodes(page, "Linux only (PEM)")
    error = page.locator("#cluster-apply-form .invalid-feedback, #cluster-apply-form .alert-danger").first.inner_text()
    assert "Nothing was applied. Cobrowse_Node_3: The store Linux only (PEM) has no path for Windows hosts" in error
    snap(page, "paths-cluster-apply-refused")

    page.locator("main").get_by_role("link", name="Cancel").click()
    page.wait_for_url("**/security/")
    apply_to_all_nodes(page, "Genesys CA (PEM)")
    applied = page.locator(".alert-success").inner_text()
    assert "Applied the security section to the 3 Node(s) of Cobrowse_Cluster" in applied
    table = page.locator("#node-sections").inner_text()
    assert LINUX_PEM in table and WINDOWS_PEM in table
    assert "All Nodes have the same security section" in page.locator("main").inner_text()
    snap(page, "paths-cluster-applied")
    nodes = {name: Application.objects.get(name=name) for name in ("Cobrowse_Node_1", "Cobrowse_Node_2",
                                                                    "Cobrowse_Node_3")}
    assert option_value(nodes["Cobrowse_Node_1"], "security", "trusted-ca") == LINUX_PEM
    assert option_value(nodes["Cobrowse_Node_3"], "security", "trusted-ca") == WINDOWS_PEM

    open_application(page, "Cobrowse_Node_3", tab="Security")
    with page.expect_navigation():
        page.locator("main").get_by_role("link", name="Generate the setenv lines").click()
    assert page.locator("#setenv-sh").count() == 0
    bat = page.locator("#setenv-bat").inner_text()
    assert f"trusted-ca={WINDOWS_PEM}" in bat and "/opt/genesys" not in bat
    with page.expect_download() as download_info:
        page.locator("main").get_by_role("link", name="Download the template").click()
    path = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(path)
    assert path.name == "cobrowse_node_3-setenv.bat"
    assert f"trusted-ca={WINDOWS_PEM}".encode() in path.read_bytes()
    assert not page.console_errors


def test_a_windows_path_typed_for_a_linux_node_is_refused_with_the_path_as_typed(login):
    page = login("security")
    open_application(page, "Cobrowse_Node_1", tab="Security")
    page.select_option("#id_provider", "PEM")
    page.fill("#id_typed_path", "C:\\certs\\ca.pem")
    with page.expect_navigation():
        page.locator("main button[name=_save]").click()
    error = page.locator("#security-section-form .invalid-feedback").first.inner_text()
    assert error.startswith('"C:\\certs\\ca.pem" is a Windows path, but cb-linux-01 runs Linux/Unix')
    assert "\\\\" not in error
    assert option_value(Application.objects.get(name="Cobrowse_Node_1"), "security", "trusted-ca") is None


RELEASE_SH = (b"#!/bin/sh\n# Genesys Co-browse Server environment\nexport JETTY_HOME=/opt/genesys/jetty\n"
              b"export CONFIG_SERVER_HOST=localhost\nexport CONFIG_SERVER_PORT=2020\n"
              + f'JAVA_OPTS="$JAVA_OPTS -Xmx2g -D{P}enabled=false"\nexport JAVA_OPTS\n'.encode())


def test_the_release_setenv_is_uploaded_its_changes_shown_and_the_patched_file_downloaded(login, tmp_path):
    node = Application.objects.get(name="Cobrowse_Node_1")
    store = store_save(store=TrustedStore(name="Genesys CA (JKS)", provider=Provider.JKS, path="/opt/cb/trust.jks",
                                          windows_path="C:\\GCTI\\trust.jks"),
                       certificates=[], password="keystore-pass-1", actor="tests")
    security_section_set(application=node, provider="JKS", store=store, actor="tests")
    release = tmp_path / "setenv.sh"
    release.write_bytes(RELEASE_SH)

    page = login("viewer")
    open_application(page, "Cobrowse_Node_1", tab="Security")
    with page.expect_navigation():
        page.locator("main").get_by_role("link", name="Generate the setenv lines").click()
    page.set_input_files("#id_file", str(release))
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name="Show the changes").click()
    snap(page, "setenv-diff")
    diff = page.locator("#setenv-diff").inner_text()
    assert "-export CONFIG_SERVER_HOST=localhost" in diff and "+export CONFIG_SERVER_HOST=10.0.0.5" in diff
    assert "-export CONFIG_SERVER_PORT=2020" in diff and "+export CONFIG_SERVER_PORT=2021" in diff
    assert f"+JAVA_OPTS=\"$JAVA_OPTS -Xmx2g -D{P}enabled=true\"" in diff
    assert "+export CONFIG_SERVER_APP=Cobrowse_Node_1" in diff
    assert " export JETTY_HOME=/opt/genesys/jetty" in diff
    appended = page.locator("#setenv-appended").inner_text()
    assert "CONFIG_SERVER_APP" in appended and f"-D{P}trusted-ca" in appended

    with page.expect_download() as download_info:
        page.locator("#setenv-download-patched").click()
    download = download_info.value
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    patched = path.read_bytes()
    assert download.suggested_filename == "cobrowse_node_1-setenv.sh"
    assert patched.startswith(RELEASE_SH.replace(b"localhost", b"10.0.0.5").replace(b"=2020", b"=2021")
                              .replace(b"enabled=false", b"enabled=true"))
    assert f"-D{P}trusted-ca=/opt/cb/trust.jks".encode() in patched
    assert b"keystore-pass-1" not in patched
    assert not page.console_errors
