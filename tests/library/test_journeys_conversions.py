"""J1, J2 and J3 through the pages, with the real openssl and keytool reading what we hand over."""

from pathlib import Path

import pytest
from django.urls import reverse

from security.models import Certificate, Provider, TrustedStore
from tests.certs.make_certs import INTERMEDIATE_CN, ROOT_CN
from tests.conftest import require
from tests.library.conftest import JKS_PASSWORD, KEYTOOL, OPENSSL, certificate, run_tool, text_of

pytestmark = [pytest.mark.django_db, pytest.mark.interop]

J1_PATH = "/opt/genesys/cobrowse/certs/certificateCA.pem"


def new_store(client, *, name, provider, path="", certificates=(), password="", again=None):
    data = {"name": name, "provider": provider, "path": path, "description": "",
            "password": password, "password_again": password if again is None else again,
            "certificates": [c.pk for c in certificates], "_save": ""}
    return client.post(reverse("security:store_new"), data)


def download(client, store: TrustedStore, tmp_path: Path) -> Path:
    response = client.get(reverse("security:store_download", args=[store.pk]))
    assert response.status_code == 200, response
    filename = response["Content-Disposition"].split('filename="', 1)[1].rstrip('"')
    out = tmp_path / filename
    out.write_bytes(response.content)
    return out


def test_j1_a_der_ca_becomes_the_pem_file_openssl_would_write(officer, upload, import_files, cert_files, tmp_path):
    require(Path(OPENSSL).exists(), "openssl")
    preview = upload(officer, "ca.crt")
    html = text_of(preview)
    assert "DER certificate" in html and ">root CA (self-signed)<" in html and "2040-01-01" in html
    import_files(officer, "ca.crt")

    response = new_store(officer, name="Genesys CA", provider=Provider.PEM, path=J1_PATH,
                         certificates=[certificate(ROOT_CN)])
    store = TrustedStore.objects.get(name="Genesys CA")
    assert response.status_code == 302 and response["Location"] == store.get_absolute_url()
    assert J1_PATH in text_of(officer.get(store.get_absolute_url()))
    ours = download(officer, store, tmp_path)

    assert ours.name == "certificateCA.pem"
    theirs = run_tool(OPENSSL, "x509", "-inform", "der", "-in", cert_files["ca.crt"]).stdout
    assert ours.read_bytes() == theirs


def test_j1_a_pem_store_of_two_cas_is_the_root_then_the_intermediate_as_openssl_writes_them(
    officer, import_files, cert_files, tmp_path
):
    require(Path(OPENSSL).exists(), "openssl")
    import_files(officer, "intermediate.crt", "ca.crt")
    new_store(officer, name="Chain", provider=Provider.PEM, path="/opt/cb/chain.pem",
              certificates=Certificate.objects.all())

    ours = download(officer, TrustedStore.objects.get(name="Chain"), tmp_path)

    theirs = b"".join(run_tool(OPENSSL, "x509", "-inform", "der", "-in", cert_files[name]).stdout
                      for name in ("ca.crt", "intermediate.crt"))
    assert ours.read_bytes() == theirs


def test_j2_a_jks_store_opens_in_keytool_with_root_as_a_trusted_certificate_entry(officer, import_files, tmp_path):
    require(Path(KEYTOOL).exists(), "keytool")
    import_files(officer, "ca.p12", password="p12-secret")
    cas = Certificate.objects.filter(is_ca=True)
    response = new_store(officer, name="Genesys CA (JKS)", provider=Provider.JKS, path="/opt/cb/truststore.jks",
                         certificates=cas, password=JKS_PASSWORD)
    assert response.status_code == 302
    store = TrustedStore.objects.get(name="Genesys CA (JKS)")

    ours = download(officer, store, tmp_path)

    assert ours.name == "truststore.jks"
    listing = run_tool(KEYTOOL, "-list", "-keystore", ours, "-storepass", JKS_PASSWORD).stdout.decode()
    entries = {line.split(",")[0]: line for line in listing.splitlines() if "Entry" in line}
    assert "trustedCertEntry" in entries["root"]
    assert "trustedCertEntry" in entries["co-browse-test-intermediate-ca"]
    assert len(entries) == 2
    root = run_tool(KEYTOOL, "-list", "-v", "-keystore", ours, "-storepass", JKS_PASSWORD, "-alias", "root")
    assert f"CN={ROOT_CN}" in root.stdout.decode()


def test_j2_a_keystore_made_by_keytool_imports_its_ca_with_the_password(
    officer, upload, confirm, cert_files, tmp_path
):
    require(Path(KEYTOOL).exists(), "keytool")
    keystore = tmp_path / "k.jks"
    run_tool(KEYTOOL, "-importcert", "-noprompt", "-trustcacerts", "-alias", "root", "-file", cert_files["ca.crt"],
             "-keystore", keystore, "-storepass", "changeit", "-storetype", "JKS")

    response = upload(officer, ("k.jks", keystore.read_bytes()), password="changeit")
    assert "JKS keystore" in text_of(response)
    confirm(officer)

    root = certificate(ROOT_CN)
    assert root.source_kind == "jks" and root.source_filename == "k.jks"
    assert bytes(root.der) == cert_files["ca.crt"].read_bytes()


def test_j3_an_mscapi_store_of_one_ca_hands_over_a_cer_and_the_import_commands(officer, import_files, cert_files,
                                                                              tmp_path):
    require(Path(OPENSSL).exists(), "openssl")
    import_files(officer, "ca.crt")
    new_store(officer, name="Windows CA", provider=Provider.MSCAPI, certificates=[certificate(ROOT_CN)])
    store = TrustedStore.objects.get(name="Windows CA")

    html = text_of(officer.get(store.get_absolute_url()))

    assert "Windows-CA.cer" in html
    assert 'certutil -addstore -f Root &quot;Windows-CA.cer&quot;' in html
    assert ("Import-Certificate -FilePath &#x27;Windows-CA.cer&#x27; "
            "-CertStoreLocation Cert:\\LocalMachine\\Root") in html
    assert "Trusted Root Certification Authorities" in html
    assert "Use the account the Co-browse service runs as." in html
    ours = download(officer, store, tmp_path)
    assert ours.name == "Windows-CA.cer"
    assert ours.read_bytes() == cert_files["ca.crt"].read_bytes()
    text = run_tool(OPENSSL, "x509", "-inform", "der", "-in", ours, "-noout", "-subject").stdout.decode()
    assert ROOT_CN in text


def test_j3_an_mscapi_store_of_several_cas_hands_over_a_p7b(officer, import_files, tmp_path):
    require(Path(OPENSSL).exists(), "openssl")
    import_files(officer, "ca.p7b")
    new_store(officer, name="Windows chain", provider=Provider.MSCAPI, certificates=Certificate.objects.all())
    store = TrustedStore.objects.get(name="Windows chain")

    html = text_of(officer.get(store.get_absolute_url()))

    assert "Windows-chain.p7b" in html
    assert 'certutil -user -addstore -f Root &quot;Windows-chain.p7b&quot;' in html
    ours = download(officer, store, tmp_path)
    assert ours.name == "Windows-chain.p7b"
    listing = run_tool(OPENSSL, "pkcs7", "-inform", "der", "-in", ours, "-print_certs", "-noout").stdout.decode()
    assert ROOT_CN in listing and INTERMEDIATE_CN in listing


def test_j3_an_mscapi_store_has_no_path_and_no_password(officer, import_files):
    import_files(officer, "ca.crt")
    new_store(officer, name="Windows CA", provider=Provider.MSCAPI, path="C:\\certs\\ca.cer",
              certificates=[certificate(ROOT_CN)], password="ignored-pass")

    store = TrustedStore.objects.get(name="Windows CA")
    assert store.path == "" and store.password_encrypted == ""
    html = text_of(officer.get(store.get_absolute_url()))
    assert "Path on Linux/Unix hosts" not in html and "Path on Windows hosts" not in html
    assert "Keystore password" not in html
