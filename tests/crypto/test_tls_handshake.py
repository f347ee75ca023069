"""A PEM store we build is what a TLS client needs to trust a server signed by the CA."""

from __future__ import annotations

import socket
import ssl
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from security.crypto import build_pem, read_upload
from tests.certs.make_certs import P12_PASSWORD
from tests.certs.tls_server import tls_server


def handshake(port: int, cafile: Path, server_hostname: str = "localhost") -> bytes:
    context = ssl.create_default_context(cafile=str(cafile))
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname=server_hostname) as tls:
            return tls.recv(16)


def store_from(tmp_path: Path, upload: bytes, *, password: str | None = None) -> Path:
    parsed = read_upload(upload, password=password)
    path = tmp_path / "trusted-ca.pem"
    path.write_bytes(build_pem([cert.public_bytes(Encoding.DER) for cert in parsed.certificates]))
    return path


def test_a_client_trusting_our_store_completes_the_handshake(cert_files, cert_bytes, tmp_path):
    store = store_from(tmp_path, cert_bytes("ca.crt"))

    with tls_server(cert_files["server-chain.pem"], cert_files["server.key.pem"]) as port:
        assert handshake(port, store) == b"hello\n"


def test_a_store_built_from_the_pkcs12_upload_works_too(cert_files, cert_bytes, tmp_path):
    store = store_from(tmp_path, cert_bytes("ca.p12"), password=P12_PASSWORD)

    with tls_server(cert_files["server-chain.pem"], cert_files["server.key.pem"]) as port:
        assert handshake(port, store) == b"hello\n"


def test_a_client_trusting_another_ca_refuses_the_server(cert_files, cert_bytes, tmp_path):
    store = store_from(tmp_path, cert_bytes("other-ca.crt"))

    with tls_server(cert_files["server-chain.pem"], cert_files["server.key.pem"]) as port:
        with pytest.raises(ssl.SSLCertVerificationError):
            handshake(port, store)


def test_the_other_ca_store_trusts_the_server_it_signed(cert_files, cert_bytes, tmp_path):
    store = store_from(tmp_path, cert_bytes("other-ca.crt"))

    with tls_server(cert_files["server-other.pem"], cert_files["server-other.key.pem"]) as port:
        assert handshake(port, store) == b"hello\n"


def test_an_expired_server_certificate_is_refused(cert_files, cert_bytes, tmp_path):
    store = store_from(tmp_path, cert_bytes("ca.crt"))

    with tls_server(cert_files["expired-server.pem"], cert_files["expired-server.key.pem"]) as port:
        with pytest.raises(ssl.SSLCertVerificationError, match="expired"):
            handshake(port, store)


def test_a_server_certificate_for_another_host_is_refused(cert_files, cert_bytes, tmp_path):
    store = store_from(tmp_path, cert_bytes("ca.crt"))

    with tls_server(cert_files["wronghost-server.pem"], cert_files["wronghost-server.key.pem"]) as port:
        with pytest.raises(ssl.SSLCertVerificationError, match="[Hh]ostname mismatch"):
            handshake(port, store)
