"""Our keystores and Java's keytool agree (the document's `keytool -import ... -alias root`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from security.crypto import WrongPassword, build_jks, read_upload
from tests.certs.make_certs import ROOT_CN
from tests.crypto.tools import fingerprints, keytool, needs_keytool, openssl_fingerprint

pytestmark = [pytest.mark.interop, needs_keytool]

STOREPASS = "changeit-123"


def test_keytool_lists_our_jks_with_root_as_a_trusted_certificate_entry(cert_bytes, tmp_path: Path):
    store = tmp_path / "ours.jks"
    store.write_bytes(build_jks([cert_bytes("ca.crt"), cert_bytes("intermediate.crt")], STOREPASS))

    listing = keytool("-list", "-keystore", store, "-storepass", STOREPASS).stdout.decode()

    assert "Keystore type: JKS" in listing
    assert "Your keystore contains 2 entries" in listing
    entries = {line.split(",")[0]: line for line in listing.splitlines() if "Entry" in line}
    assert "trustedCertEntry" in entries["root"]
    assert "trustedCertEntry" in entries["co-browse-test-intermediate-ca"]


def test_keytool_shows_the_fingerprint_of_our_root_entry(cert_files, cert_bytes, tmp_path: Path):
    store = tmp_path / "ours.jks"
    store.write_bytes(build_jks([cert_bytes("ca.crt")], STOREPASS))

    listing = keytool("-list", "-keystore", store, "-storepass", STOREPASS, "-alias", "root").stdout.decode()

    fingerprint = listing.split("(SHA-256):", 1)[1].strip().replace(":", "").lower()
    assert fingerprint == openssl_fingerprint(cert_files["ca.pem"])


def test_keytool_rejects_our_jks_with_another_password(cert_bytes, tmp_path: Path):
    store = tmp_path / "ours.jks"
    store.write_bytes(build_jks([cert_bytes("ca.crt")], STOREPASS))

    result = keytool("-list", "-keystore", store, "-storepass", "not-the-one", check=False)

    assert result.returncode != 0


def test_we_read_a_jks_that_keytool_imported_the_ca_into(cert_files, tmp_path: Path):
    store = tmp_path / "k.jks"
    keytool(
        "-importcert",
        "-noprompt",
        "-trustcacerts",
        "-alias",
        "root",
        "-file",
        cert_files["ca.crt"],
        "-keystore",
        store,
        "-storepass",
        STOREPASS,
        "-storetype",
        "JKS",
    )

    parsed = read_upload(store.read_bytes(), password=STOREPASS, filename="k.jks")

    assert parsed.kind == "jks"
    assert parsed.aliases == ("root",)
    assert parsed.private_key_found is False
    assert parsed.certificates[0].subject.rfc4514_string().startswith(f"CN={ROOT_CN}")
    with pytest.raises(WrongPassword):
        read_upload(store.read_bytes(), password="wrong-password")


def test_we_read_a_keytool_keystore_of_the_default_pkcs12_type(cert_files, tmp_path: Path):
    # keytool writes PKCS12 by default since Java 9; operators will upload those as ".jks" too.
    store = tmp_path / "default-type.jks"
    keytool(
        "-importcert",
        "-noprompt",
        "-trustcacerts",
        "-alias",
        "root",
        "-file",
        cert_files["ca.crt"],
        "-keystore",
        store,
        "-storepass",
        STOREPASS,
    )

    # Detected by content as PKCS#12 (cryptography reads it; pyjks would not), whatever the name.
    parsed = read_upload(store.read_bytes(), password=STOREPASS, filename="default-type.jks")

    assert parsed.kind == "pkcs12"
    assert fingerprints(parsed.certificates) == {openssl_fingerprint(cert_files["ca.pem"])}


def test_we_read_a_keytool_key_entry_chain_and_flag_the_key(tmp_path: Path):
    store = tmp_path / "server.jks"
    keytool(
        "-genkeypair",
        "-noprompt",
        "-keystore",
        store,
        "-storetype",
        "JKS",
        "-storepass",
        STOREPASS,
        "-keypass",
        STOREPASS,
        "-alias",
        "server",
        "-keyalg",
        "RSA",
        "-keysize",
        "2048",
        "-dname",
        "CN=keytool server",
        "-validity",
        "30",
    )

    parsed = read_upload(store.read_bytes(), password=STOREPASS)

    assert parsed.private_key_found is True
    assert parsed.aliases == ("server",)
    assert parsed.certificates[0].subject.rfc4514_string() == "CN=keytool server"


def test_we_read_a_jceks_keystore_made_by_keytool(cert_files, tmp_path: Path):
    store = tmp_path / "k.jceks"
    keytool(
        "-importcert",
        "-noprompt",
        "-alias",
        "root",
        "-file",
        cert_files["ca.crt"],
        "-keystore",
        store,
        "-storepass",
        STOREPASS,
        "-storetype",
        "JCEKS",
    )

    parsed = read_upload(store.read_bytes(), password=STOREPASS)

    assert parsed.kind == "jks"
    assert fingerprints(parsed.certificates) == {openssl_fingerprint(cert_files["ca.pem"])}
