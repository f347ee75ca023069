"""read_upload recognises every format an operator brings, by content."""

from __future__ import annotations

import pytest

from security.crypto import certificate_details, read_upload
from tests.certs.make_certs import INTERMEDIATE_CN, P12_PASSWORD, ROOT_CN


def common_names(parsed) -> list[str]:
    return [certificate_details(cert).common_name for cert in parsed.certificates]


def test_it_reads_a_der_certificate(cert_bytes):
    parsed = read_upload(cert_bytes("ca.crt"), filename="certificateCA.crt")

    assert parsed.kind == "der"
    assert common_names(parsed) == [ROOT_CN]
    assert parsed.private_key_found is False
    assert parsed.kind_label == "DER certificate"


def test_it_reads_a_pem_certificate(cert_bytes):
    parsed = read_upload(cert_bytes("ca.pem"))

    assert parsed.kind == "pem"
    assert common_names(parsed) == [ROOT_CN]


def test_it_reads_a_pem_bundle_in_file_order(cert_bytes):
    parsed = read_upload(cert_bytes("bundle.pem"))

    assert parsed.kind == "pem"
    assert common_names(parsed) == [ROOT_CN, INTERMEDIATE_CN]


def test_it_reads_a_der_pkcs7_bundle(cert_bytes):
    parsed = read_upload(cert_bytes("ca.p7b"), filename="chain.p7b")

    assert parsed.kind == "pkcs7"
    assert sorted(common_names(parsed)) == sorted([ROOT_CN, INTERMEDIATE_CN])


def test_it_reads_a_pem_pkcs7_bundle(cert_bytes):
    parsed = read_upload(cert_bytes("ca-p7b.pem"))

    assert parsed.kind == "pkcs7"
    assert sorted(common_names(parsed)) == sorted([ROOT_CN, INTERMEDIATE_CN])


def test_it_reads_a_pkcs12_file_with_its_password_and_drops_the_key(cert_bytes):
    parsed = read_upload(cert_bytes("ca.p12"), password=P12_PASSWORD, filename="ca.pfx")

    assert parsed.kind == "pkcs12"
    assert common_names(parsed) == ["localhost", INTERMEDIATE_CN, ROOT_CN]
    assert parsed.private_key_found is True
    assert not hasattr(parsed, "private_key")


def test_it_reads_a_pkcs12_file_without_password(cert_bytes):
    parsed = read_upload(cert_bytes("ca-nopass.p12"))

    assert parsed.kind == "pkcs12"
    assert common_names(parsed) == [ROOT_CN]
    assert parsed.private_key_found is False


def test_it_accepts_a_needless_password_on_a_pkcs12_file_without_one(cert_bytes):
    parsed = read_upload(cert_bytes("ca-nopass.p12"), password="whatever")

    assert common_names(parsed) == [ROOT_CN]


def test_it_flags_a_private_key_next_to_the_certificate_in_pem(cert_bytes):
    parsed = read_upload(cert_bytes("server-with-key.pem"))

    assert parsed.kind == "pem"
    assert common_names(parsed) == ["localhost"]
    assert parsed.private_key_found is True


@pytest.mark.parametrize("key_file", ["encrypted-key.pem", "encrypted-rsa-key.pem"])
def test_it_flags_an_encrypted_key_next_to_a_certificate_without_decrypting_it(cert_bytes, key_file):
    parsed = read_upload(cert_bytes("ca.pem") + cert_bytes(key_file))

    assert common_names(parsed) == [ROOT_CN]
    assert parsed.private_key_found is True


def test_it_detects_by_content_not_by_file_name(cert_bytes):
    parsed = read_upload(cert_bytes("ca.pem"), filename="certificateCA.der")

    assert parsed.kind == "pem"


def test_it_drops_duplicate_certificates_keeping_the_first(cert_bytes):
    parsed = read_upload(cert_bytes("bundle.pem") + cert_bytes("ca.pem"))

    assert common_names(parsed) == [ROOT_CN, INTERMEDIATE_CN]


def test_it_tolerates_crlf_line_endings_and_a_byte_order_mark(cert_bytes):
    data = b"\xef\xbb\xbf" + cert_bytes("bundle.pem").replace(b"\n", b"\r\n")

    assert common_names(read_upload(data)) == [ROOT_CN, INTERMEDIATE_CN]


def test_it_tolerates_comment_lines_as_in_certifi_bundles(cert_bytes):
    data = b"# Issuer: CN=Co-browse Test Root CA\n# Label: test\n" + cert_bytes("ca.pem")

    assert common_names(read_upload(data)) == [ROOT_CN]


def test_it_tolerates_openssl_bag_attributes_and_subject_lines(cert_bytes):
    data = (
        b"Bag Attributes\n"
        b"    friendlyName: server\n"
        b"    localKeyID: F6 23 57 26 77 43 2F 72 66 25 F6 7A D5 A7 99 55 3D 04 EC 0E \n"
        b"subject=O = Co-browse Admin Tests, CN = Co-browse Test Root CA\n"
        b"issuer=O = Co-browse Admin Tests, CN = Co-browse Test Root CA\n"
        + cert_bytes("ca.pem")
        + b"Bag Attributes: <No Attributes>\n"
        + b"subject=O = Co-browse Admin Tests, CN = Co-browse Test Intermediate CA\n"
        + cert_bytes("intermediate.pem")
    )

    assert common_names(read_upload(data)) == [ROOT_CN, INTERMEDIATE_CN]
