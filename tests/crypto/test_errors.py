"""Anything that is not a usable certificate becomes one clear CertificateError."""

from __future__ import annotations

import pytest

from security.crypto import CertificateError, PasswordRequired, WrongPassword, build_jks, read_upload
from tests.certs.make_certs import P12_PASSWORD


def test_it_rejects_an_empty_file(cert_bytes):
    with pytest.raises(CertificateError, match="^the file is empty$"):
        read_upload(cert_bytes("empty.crt"), filename="empty.crt")


def test_it_rejects_a_whitespace_only_file():
    with pytest.raises(CertificateError, match="empty"):
        read_upload(b" \n\r\n\t")


def test_it_rejects_random_bytes_and_says_what_it_expected(cert_bytes):
    with pytest.raises(CertificateError) as caught:
        read_upload(cert_bytes("random.bin"), filename="random.bin")

    message = str(caught.value)
    assert "random.bin" in message
    assert "expected a PEM certificate, DER certificate, PKCS#7 bundle, PKCS#12 file or JKS keystore" in message


def test_it_rejects_truncated_der(cert_bytes):
    with pytest.raises(CertificateError, match="truncated"):
        read_upload(cert_bytes("truncated.der"), filename="truncated.der")


def test_it_rejects_der_with_trailing_bytes(cert_bytes):
    with pytest.raises(CertificateError, match="extra bytes after the DER data"):
        read_upload(cert_bytes("ca.crt") + b"\x00\x00")


def test_it_rejects_a_damaged_der_certificate(cert_bytes):
    data = bytearray(cert_bytes("ca.crt"))
    data[20] ^= 0xFF  # inside the TBS header: lengths stay, the structure breaks

    with pytest.raises(CertificateError):
        read_upload(bytes(data))


def test_it_rejects_pem_with_garbage_between_blocks_and_names_the_line(cert_bytes):
    with pytest.raises(CertificateError, match=r"unexpected text at line 22"):
        read_upload(cert_bytes("garbage-between.pem"))


def test_it_rejects_pem_with_text_before_the_first_block(cert_bytes):
    with pytest.raises(CertificateError, match="unexpected text at line 1"):
        read_upload(b"Certificate:\n" + cert_bytes("ca.pem"))


def test_it_rejects_a_truncated_pem_block(cert_bytes):
    data = cert_bytes("bundle.pem")
    cut = data[: data.rindex(b"-----END")]

    with pytest.raises(CertificateError, match="truncated.*no END line"):
        read_upload(cut)


def test_it_rejects_a_pem_block_with_broken_base64(cert_bytes):
    lines = cert_bytes("ca.pem").split(b"\n")
    lines[3] = b"!!!!" + lines[3][4:]

    with pytest.raises(CertificateError, match="not valid base64"):
        read_upload(b"\n".join(lines))


def test_it_rejects_a_pem_block_with_a_missing_line(cert_bytes):
    lines = cert_bytes("ca.pem").split(b"\n")
    del lines[5]

    with pytest.raises(CertificateError):
        read_upload(b"\n".join(lines))


def test_it_rejects_mismatched_begin_and_end_lines(cert_bytes):
    data = cert_bytes("ca.pem").replace(b"-----END CERTIFICATE-----", b"-----END PKCS7-----")

    with pytest.raises(CertificateError, match="does not match"):
        read_upload(data)


@pytest.mark.parametrize("name", ["encrypted-key.pem", "encrypted-rsa-key.pem", "server.key.pem"])
def test_it_rejects_a_private_key_without_certificate(cert_bytes, name):
    with pytest.raises(CertificateError, match="^the file holds only a private key, no certificate$"):
        read_upload(cert_bytes(name), password="key-secret")


def test_it_explains_a_certificate_request_is_not_a_certificate():
    data = b"-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n"

    with pytest.raises(CertificateError, match="certificate signing request"):
        read_upload(data)


def test_it_asks_for_the_password_of_a_protected_pkcs12_file(cert_bytes):
    with pytest.raises(PasswordRequired, match="protected by a password: give the password"):
        read_upload(cert_bytes("ca.p12"), filename="ca.p12")


def test_it_treats_an_empty_password_as_none_given(cert_bytes):
    with pytest.raises(PasswordRequired):
        read_upload(cert_bytes("ca.p12"), password="")


def test_it_says_when_the_pkcs12_password_is_wrong_without_repeating_it(cert_bytes):
    with pytest.raises(WrongPassword, match="^the password does not open this PKCS#12 file$") as caught:
        read_upload(cert_bytes("ca.p12"), password="hunter2-wrong")

    assert "hunter2" not in str(caught.value)
    assert "hunter2" not in repr(caught.value)


def test_it_rejects_a_truncated_pkcs12_file(cert_bytes):
    data = cert_bytes("ca.p12")

    with pytest.raises(CertificateError) as caught:
        read_upload(data[: len(data) // 2], password=P12_PASSWORD)

    assert not isinstance(caught.value, WrongPassword)


def test_it_asks_for_the_password_of_a_jks_keystore(cert_bytes):
    store = build_jks([cert_bytes("ca.crt")], "store-secret")

    with pytest.raises(PasswordRequired, match="JKS keystore"):
        read_upload(store)


def test_it_says_when_the_jks_password_is_wrong_without_repeating_it(cert_bytes):
    store = build_jks([cert_bytes("ca.crt")], "store-secret")

    with pytest.raises(WrongPassword, match="^the password does not open this JKS keystore$") as caught:
        read_upload(store, password="hunter2-wrong")

    assert "hunter2" not in str(caught.value)


def test_it_rejects_a_truncated_jks_keystore(cert_bytes):
    store = build_jks([cert_bytes("ca.crt"), cert_bytes("intermediate.crt")], "store-secret")

    with pytest.raises(CertificateError, match="damaged or truncated"):
        read_upload(store[:600], password="store-secret")


def test_errors_are_value_errors_on_one_line(cert_bytes):
    error = CertificateError("first line\nsecond   line")

    assert isinstance(error, ValueError)
    assert str(error) == "first line second line"
    assert issubclass(PasswordRequired, CertificateError)
    assert issubclass(WrongPassword, CertificateError)
