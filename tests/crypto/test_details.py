"""certificate_details gives the fields the console shows and stores."""

from __future__ import annotations

import datetime as dt

import pytest

from security.crypto import CertificateError, certificate_details, load_der_certificate, read_upload
from security.crypto.parse import self_signature_verifies
from tests.certs.make_certs import REFERENCE_NOW, ROOT_CN


def details_of(cert_bytes, name: str):
    return certificate_details(read_upload(cert_bytes(name)).certificates[0])


def test_it_describes_the_test_root_ca(cert_bytes):
    details = details_of(cert_bytes, "ca.crt")

    assert details.common_name == ROOT_CN
    assert details.subject == f"CN={ROOT_CN},O=Co-browse Admin Tests"
    assert details.issuer == details.subject
    assert details.serial_hex == "1001"
    assert details.not_before == dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    assert details.not_after == dt.datetime(2040, 1, 1, tzinfo=dt.UTC)
    assert details.not_after.utcoffset() == dt.timedelta(0)
    assert details.is_ca is True
    assert details.key_type == "RSA"
    assert details.key_size == 2048
    assert details.signature_hash == "sha256"
    assert details.self_signed is True
    assert details.der == cert_bytes("ca.crt")


def test_it_gives_a_lower_case_sha256_fingerprint_without_colons(cert_bytes):
    fingerprint = details_of(cert_bytes, "ca.crt").fingerprint_sha256

    assert len(fingerprint) == 64
    assert fingerprint == fingerprint.lower()
    assert ":" not in fingerprint
    int(fingerprint, 16)


def test_it_sees_an_intermediate_as_ca_but_not_self_signed(cert_bytes):
    details = details_of(cert_bytes, "intermediate.pem")

    assert details.is_ca is True
    assert details.self_signed is False


def test_it_sees_a_leaf_is_not_a_ca(cert_bytes):
    details = details_of(cert_bytes, "leaf-nonca.pem")

    assert details.is_ca is False
    assert details.self_signed is False


def test_it_reports_sha1_signatures(cert_bytes):
    details = details_of(cert_bytes, "sha1-ca.pem")

    assert details.signature_hash == "sha1"
    assert details.self_signed is True


def test_it_reports_weak_rsa_key_size(cert_bytes):
    assert details_of(cert_bytes, "rsa1024-ca.pem").key_size == 1024


@pytest.mark.parametrize(
    ("name", "key_type", "key_size", "signature_hash"),
    [
        ("ec-ca.pem", "EC", 256, "sha256"),
        ("ed25519-ca.pem", "Ed25519", None, None),
    ],
)
def test_it_reports_non_rsa_keys(cert_bytes, name, key_type, key_size, signature_hash):
    details = details_of(cert_bytes, name)

    assert (details.key_type, details.key_size, details.signature_hash) == (
        key_type,
        key_size,
        signature_hash,
    )
    assert details.self_signed is True


def test_a_same_name_certificate_with_a_foreign_signature_does_not_verify_as_self_signed(cert_bytes):
    from cryptography.hazmat.primitives.serialization import Encoding

    # Same subject and issuer as the root, but the body of one CA and the signature of another.
    root = read_upload(cert_bytes("ca.crt")).certificates[0]
    other = read_upload(cert_bytes("other-ca.crt")).certificates[0]
    der = root.public_bytes(Encoding.DER)
    forged = load_der_certificate(der.replace(root.signature, other.signature))

    # The details call it self-issued (same names, no key identifiers to disagree) without a
    # signature operation; the full check tells the forgery from the genuine root.
    assert self_signature_verifies(root) is True
    assert self_signature_verifies(forged) is False


@pytest.mark.parametrize(
    ("name", "valid_at_reference_now"),
    [
        ("ca.pem", True),
        ("expired-ca.pem", False),
        ("notyet-ca.pem", False),
        ("expired-server.pem", False),
        ("server.pem", True),
    ],
)
def test_fixture_validity_is_fixed_relative_to_the_reference_now(cert_bytes, name, valid_at_reference_now):
    details = details_of(cert_bytes, name)

    assert (details.not_before <= REFERENCE_NOW < details.not_after) is valid_at_reference_now


def test_load_der_certificate_rejects_non_certificates():
    with pytest.raises(CertificateError, match="not a valid DER-encoded X.509 certificate"):
        load_der_certificate(b"\x30\x03\x02\x01\x01")
