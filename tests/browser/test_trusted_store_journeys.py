"""A Security officer follows J1, J2 and J3 in the browser: certificates in, stores built and
downloaded, the security section of a Node set, the restart flagged (WALKTHROUGH.md)."""

import shutil
import subprocess

import pytest

from applications.models import Application
from security.models import Certificate, TrustedStore
from tests.browser.steps import (
    confirm_import,
    create_store,
    open_application,
    set_security_section,
    snap,
    upload_certificates,
)
from tests.certs.make_certs import INTERMEDIATE_CN, P12_PASSWORD, ROOT_CN
from tests.conftest import require

pytestmark = pytest.mark.browser

JKS_PASSWORD = "Jks-Store-Pw-7319"
JKS_PATH = "/opt/genesys/cobrowse/certs/truststore.jks"
PEM_PATH = "/opt/genesys/cobrowse/certs/certificateCA.pem"


def security_options_pending(page) -> set[str]:
    rows = page.locator("#pending-changes tbody tr").all_inner_texts()
    return {row.split("\t")[0].strip() for row in rows}


def test_j1_j2_a_security_officer_builds_a_jks_store_from_der_and_pkcs12_and_sets_it_on_a_node(
        login, cert_files, tmp_path):
    require(shutil.which("keytool") is not None, "keytool (Java)")
    page = login("security")
    seen = []  # the HTML of every page on the way: the keystore password must be in none

    # J1.1: the DER CA as the Genesys CA hands it out.
    preview = upload_certificates(page, [cert_files["ca.crt"]])
    seen.append(page.content())
    snap(page, "j1-preview-der")
    assert "ca.crt · DER certificate" in preview
    assert ROOT_CN in preview and "new" in preview
    assert "A private key was found" not in preview
    message = confirm_import(page)
    seen.append(page.content())
    assert "Imported 1 certificate(s)" in message
    assert page.locator("h1").inner_text().startswith(ROOT_CN)

    # J2.1: a PKCS#12 with its password; the key is discarded, the root is recognised.
    preview = upload_certificates(page, [cert_files["ca.p12"]], password=P12_PASSWORD)
    seen.append(page.content())
    snap(page, "j2-preview-p12")
    assert "ca.p12 · PKCS#12 file" in preview
    assert "A private key was found and discarded: it is not stored anywhere." in preview
    root_row = page.locator("main tr[data-role=root]", has_text=ROOT_CN)  # the intermediate names it as issuer
    assert "already in the library" in root_row.inner_text()
    assert "new" in page.locator("main tr[data-role=intermediate]", has_text=INTERMEDIATE_CN).inner_text()
    message = confirm_import(page)
    seen.append(page.content())
    assert "1 were already in the library" in message
    assert Certificate.objects.filter(common_name=INTERMEDIATE_CN).exists()

    # J2.2: the JKS store with the CA under alias root.
    create_store(page, name="Genesys CA (JKS)", provider="JKS", path=JKS_PATH, password=JKS_PASSWORD,
                 certificates=(ROOT_CN,))
    seen.append(page.content())
    snap(page, "j2-store-jks")
    assert "Saved the trusted store Genesys CA (JKS)." in page.locator(".alert-success").inner_text()
    entry = page.locator("main table", has_text="Alias").locator("tbody tr").first.inner_text()
    assert entry.startswith("root") and ROOT_CN in entry
    assert "set (never shown)" in page.locator("main").inner_text()
    with page.expect_download() as download_info:
        page.locator("main").get_by_role("link", name="Download the JKS keystore").click()
    download = download_info.value
    assert download.suggested_filename == "truststore.jks"
    keystore = tmp_path / download.suggested_filename
    download.save_as(keystore)
    listing = subprocess.run(
        ["keytool", "-list", "-keystore", str(keystore), "-storepass", JKS_PASSWORD],
        capture_output=True, text=True, timeout=60,
    )
    assert listing.returncode == 0, listing.stdout + listing.stderr
    assert "Your keystore contains 1 entry" in listing.stdout
    assert any(line.startswith("root,") and "trustedCertEntry" in line for line in listing.stdout.splitlines())

    # J2.3: the Node's security section, provider JKS and the store.
    open_application(page, "Cobrowse_Node_1", tab="Security")
    seen.append(page.content())
    snap(page, "j2-node-security-form")
    assert "Cobrowse_Node_1" in page.locator("h1").inner_text()
    assert "8.5.003" in page.locator("main").inner_text()
    set_security_section(page, provider="JKS", store="Genesys CA (JKS)")
    seen.append(page.content())
    snap(page, "j2-node-restart-required")
    node = Application.objects.get(name="Cobrowse_Node_1")
    assert page.url.endswith(f"/applications/{node.pk}/")
    assert "3 option(s) changed" in page.locator(".alert-success").inner_text()
    assert "restart required" in page.locator("main").inner_text()
    assert security_options_pending(page) == {
        "[security] provider", "[security] trusted-ca", "[security] truststore-password",
    }
    pending = page.locator("#pending-changes").inner_text()
    assert JKS_PATH in pending and "JKS" in pending

    page.locator("main .nav-tabs").get_by_role("link", name="Security", exact=True).click()
    page.wait_for_load_state()
    seen.append(page.content())
    current = page.locator("#current-values").inner_text()
    assert JKS_PATH in current and "secret, never shown" in current
    assert "Genesys CA (JKS)" in current

    page.locator("main .nav-tabs").get_by_role("link", name="Options", exact=True).click()
    page.wait_for_load_state()
    seen.append(page.content())

    assert len(seen) == 9
    for html in seen:
        assert JKS_PASSWORD not in html
    assert TrustedStore.objects.get(name="Genesys CA (JKS)").has_password
    assert not page.console_errors


def test_j1_a_pem_store_on_a_linux_node_then_the_restart_is_marked(login, cert_files, tmp_path):
    page = login("security")
    upload_certificates(page, [cert_files["ca.crt"]])
    confirm_import(page)
    create_store(page, name="Genesys CA (PEM)", provider="PEM", path=PEM_PATH, certificates=(ROOT_CN,))
    with page.expect_download() as download_info:
        page.locator("main").get_by_role("link", name="Download the PEM file").click()
    pem = tmp_path / "certificateCA.pem"
    download_info.value.save_as(pem)
    assert download_info.value.suggested_filename == "certificateCA.pem"
    assert pem.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    assert PEM_PATH in page.locator("main").inner_text()

    open_application(page, "Cobrowse_Node_2", tab="Security")
    set_security_section(page, provider="PEM", store="Genesys CA (PEM)")
    assert "2 option(s) changed" in page.locator(".alert-success").inner_text()
    assert security_options_pending(page) == {"[security] provider", "[security] trusted-ca"}
    assert PEM_PATH in page.locator("#pending-changes").inner_text()

    page.on("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name="Mark as restarted").click()
    assert "marked as restarted" in page.locator(".alert").first.inner_text()
    assert page.locator("#pending-changes").count() == 0
    assert "restart required" not in page.locator("main .d-flex").first.inner_text()
    page.locator("main .nav-tabs").get_by_role("link", name="Security", exact=True).click()
    page.wait_for_load_state()
    assert page.locator("#security-pending").count() == 0
    assert PEM_PATH in page.locator("#current-values").inner_text()
    assert not page.console_errors


def test_j3_mscapi_on_the_windows_node_with_the_import_commands_and_refused_on_linux(login, cert_files):
    page = login("security")
    upload_certificates(page, [cert_files["ca.crt"]])
    confirm_import(page)
    create_store(page, name="Genesys CA (Windows)", provider="MSCAPI", certificates=(ROOT_CN,))
    snap(page, "j3-store-mscapi")
    instructions = page.locator("#mscapi-instructions").inner_text()
    assert "certutil -addstore -f Root" in instructions
    assert "Import-Certificate -FilePath" in instructions and "Cert:\\LocalMachine\\Root" in instructions
    assert "Use the account the Co-browse service runs as." in instructions
    assert "Trusted Root Certification Authorities" in instructions
    assert "Path on Linux/Unix hosts" not in page.locator("main").inner_text()
    with page.expect_download() as download_info:
        page.locator("main a.btn", has_text="Download").click()
    assert download_info.value.suggested_filename.endswith(".cer")

    open_application(page, "Cobrowse_Node_3", tab="Security")
    assert "Windows" in page.locator("main").inner_text()
    set_security_section(page, provider="MSCAPI", store="Genesys CA (Windows)")
    assert "1 option(s) changed" in page.locator(".alert-success").inner_text()
    assert security_options_pending(page) == {"[security] provider"}

    open_application(page, "Cobrowse_Node_1", tab="Security")
    set_security_section(page, provider="MSCAPI", store="Genesys CA (Windows)")
    assert "/security/" in page.url  # the form again, with the reason
    snap(page, "j3-mscapi-refused-on-linux")
    refusal = page.locator("#security-section-form .invalid-feedback").first.inner_text()
    assert "MSCAPI is the Windows certificate store, but Cobrowse_Node_1 runs on cb-linux-01 (Linux)" in refusal
    assert page.locator(".alert-success").count() == 0
    node = Application.objects.get(name="Cobrowse_Node_1")
    assert not node.options.filter(section="security").exists()
    assert not page.console_errors
