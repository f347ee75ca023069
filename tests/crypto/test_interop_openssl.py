"""Our files and OpenSSL's agree: the conversions of the source document, done both ways."""

from __future__ import annotations

from pathlib import Path

import pytest

from security.crypto import build_der, build_p7b, build_pem, certificate_details, read_upload
from tests.certs.make_certs import P12_PASSWORD
from tests.crypto.tools import fingerprints, needs_openssl, openssl, openssl_fingerprint

pytestmark = [pytest.mark.interop, needs_openssl]


def test_our_pem_from_der_is_what_openssl_x509_writes(cert_files, cert_bytes):
    # The document's `openssl x509 -inform der -in certificateCA.crt -out certificateCA.pem`.
    theirs = openssl("x509", "-inform", "der", "-in", cert_files["ca.crt"]).stdout
    parsed = read_upload(cert_bytes("ca.crt"))

    ours = build_pem([certificate_details(parsed.certificates[0]).der])

    assert ours == theirs


def test_our_pem_from_pkcs12_holds_the_certificates_openssl_pkcs12_nokeys_writes(
    cert_files, cert_bytes, tmp_path: Path
):
    # The document's `openssl pkcs12 -in certificateCA.pfx -out certificateCA.pem` with -nokeys.
    theirs = openssl("pkcs12", "-in", cert_files["ca.p12"], "-nokeys", "-passin", f"pass:{P12_PASSWORD}").stdout
    assert theirs.startswith(b"Bag Attributes")  # the annotation lines our reader must accept

    from_openssl = read_upload(theirs)
    ours = read_upload(cert_bytes("ca.p12"), password=P12_PASSWORD)
    rebuilt = read_upload(build_pem([certificate_details(c).der for c in ours.certificates]))

    assert from_openssl.kind == "pem"
    assert from_openssl.private_key_found is False
    assert fingerprints(rebuilt.certificates) == fingerprints(from_openssl.certificates)
    assert len(rebuilt.certificates) == 3


def test_we_read_openssl_pkcs12_nodes_output_and_flag_its_key(cert_files):
    theirs = openssl("pkcs12", "-in", cert_files["ca.p12"], "-nodes", "-passin", f"pass:{P12_PASSWORD}").stdout
    assert b"Key Attributes" in theirs

    parsed = read_upload(theirs)

    assert parsed.private_key_found is True
    assert len(parsed.certificates) == 3


def test_we_read_a_legacy_rc2_pkcs12_made_by_openssl(cert_files, tmp_path: Path):
    # What OpenSSL 1.x wrote by default, and what many Windows exports still are.
    out = tmp_path / "legacy.p12"
    result = openssl(
        "pkcs12",
        "-export",
        "-legacy",
        "-in",
        cert_files["server-chain.pem"],
        "-inkey",
        cert_files["server.key.pem"],
        "-out",
        out,
        "-passout",
        "pass:legacy-pw",
        check=False,
    )
    if result.returncode != 0:
        pytest.skip("this OpenSSL has no legacy provider")

    parsed = read_upload(out.read_bytes(), password="legacy-pw")

    assert parsed.kind == "pkcs12"
    assert len(parsed.certificates) == 2
    assert parsed.private_key_found is True


def test_we_read_a_pkcs12_openssl_wrote_with_an_empty_password(cert_files, tmp_path: Path):
    out = tmp_path / "empty-pw.p12"
    openssl("pkcs12", "-export", "-nokeys", "-in", cert_files["ca.pem"], "-out", out, "-passout", "pass:")

    assert len(read_upload(out.read_bytes()).certificates) == 1


def test_we_read_an_openssl_trusted_certificate(cert_files):
    theirs = openssl("x509", "-in", cert_files["ca.pem"], "-trustout", "-addtrust", "serverAuth").stdout
    assert b"BEGIN TRUSTED CERTIFICATE" in theirs

    parsed = read_upload(theirs)

    assert fingerprints(parsed.certificates) == {openssl_fingerprint(cert_files["ca.pem"])}


def test_we_read_a_p7b_made_by_openssl_crl2pkcs7(cert_files):
    theirs = openssl("crl2pkcs7", "-nocrl", "-certfile", cert_files["bundle.pem"], "-outform", "DER").stdout

    parsed = read_upload(theirs)

    assert parsed.kind == "pkcs7"
    assert len(parsed.certificates) == 2


@pytest.mark.parametrize(
    "name", ["ca.pem", "intermediate.pem", "sha1-ca.pem", "rsa1024-ca.pem", "ec-ca.pem", "ed25519-ca.pem"]
)
def test_our_fingerprints_match_openssl(cert_files, cert_bytes, name):
    details = certificate_details(read_upload(cert_bytes(name)).certificates[0])

    assert details.fingerprint_sha256 == openssl_fingerprint(cert_files[name])


def test_openssl_agrees_the_sha1_fixture_is_signed_with_sha1(cert_files):
    text = openssl("x509", "-in", cert_files["sha1-ca.pem"], "-noout", "-text").stdout

    assert b"Signature Algorithm: sha1WithRSAEncryption" in text


def test_openssl_reads_our_p7b(cert_files, cert_bytes, tmp_path: Path):
    store = tmp_path / "store.p7b"
    store.write_bytes(build_p7b([cert_bytes("ca.crt"), cert_bytes("intermediate.crt")]))

    printed = openssl("pkcs7", "-inform", "DER", "-in", store, "-print_certs").stdout

    assert fingerprints(read_upload(printed).certificates) == {
        openssl_fingerprint(cert_files["ca.pem"]),
        openssl_fingerprint(cert_files["intermediate.pem"]),
    }


def test_openssl_reads_our_der_cer(cert_files, cert_bytes, tmp_path: Path):
    cer = tmp_path / "certificateCA.cer"
    cer.write_bytes(build_der(cert_bytes("ca.crt")))

    assert openssl_fingerprint(cer, inform="DER") == openssl_fingerprint(cert_files["ca.pem"])


def test_openssl_verifies_the_server_chain_against_our_pem_store(cert_files, cert_bytes, tmp_path):
    store = tmp_path / "certificateCA.pem"
    store.write_bytes(build_pem([cert_bytes("ca.crt")]))

    result = openssl(
        "verify",
        "-CAfile",
        store,
        "-untrusted",
        cert_files["intermediate.pem"],
        cert_files["server.pem"],
    )

    assert result.stdout.strip().endswith(b": OK")
