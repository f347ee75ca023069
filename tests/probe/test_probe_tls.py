"""The probe against real TLS servers on 127.0.0.1: what the application's own store would say."""

import time

import pytest
from cryptography import x509

from security.crypto import build_pem, read_upload
from security.probe import probe_tls
from tests.certs.tls_server import closed_port, silent_server


def cadata(cert_files, name: str = "ca.pem") -> str:
    parsed = read_upload(cert_files[name].read_bytes())
    from cryptography.hazmat.primitives.serialization import Encoding

    return build_pem([c.public_bytes(Encoding.DER) for c in parsed.certificates]).decode()


def probe(port: int, ca: str | None, *, host: str = "127.0.0.1", timeout: float = 3):
    return probe_tls("127.0.0.1", port, cadata=ca, server_hostname=host, timeout=timeout)


def test_a_server_signed_by_the_stores_ca_is_trusted(serve, cert_files):
    with serve("trusted") as port:
        report = probe(port, cadata(cert_files))

    assert report.outcome == "ok", report.detail
    subjects = [x509.load_der_x509_certificate(d).subject.rfc4514_string() for d in report.chain_der]
    assert "CN=localhost" in subjects[0] and "Intermediate" in subjects[1]
    assert report.chain_pem.count("BEGIN CERTIFICATE") == 2


def test_the_host_name_is_checked_against_the_address_the_console_has(serve, cert_files):
    with serve("trusted") as port:
        assert probe(port, cadata(cert_files), host="localhost").outcome == "ok"


def test_a_server_of_another_ca_is_untrusted_and_its_chain_still_recorded(serve, cert_files):
    with serve("untrusted") as port:
        report = probe(port, cadata(cert_files))

    assert report.outcome == "untrusted"
    assert "does not trust" in report.detail and "Unrelated Test CA" in report.detail
    assert len(report.chain_der) == 1


def test_without_a_store_nothing_is_trusted(serve):
    with serve("trusted") as port:
        report = probe(port, None)

    assert report.outcome == "untrusted" and "empty trust store" in report.detail


def test_an_expired_server_certificate(serve, cert_files):
    with serve("expired") as port:
        report = probe(port, cadata(cert_files))

    assert report.outcome == "expired"
    assert "expired on 2021-06-01" in report.detail


def test_a_certificate_for_another_host_name(serve, cert_files):
    with serve("wronghost") as port:
        report = probe(port, cadata(cert_files))

    assert report.outcome == "hostname_mismatch"
    assert "does not match the host name 127.0.0.1" in report.detail and "wrong.example" in report.detail


def test_a_closed_port_is_refused_at_once():
    report = probe(closed_port(), None)

    assert report.outcome == "refused"
    assert report.duration_ms < 1000


@pytest.mark.parametrize("timeout", [0.5, 1.0])
def test_a_port_that_accepts_but_never_answers_times_out_within_the_bound(cert_files, timeout):
    with silent_server() as port:
        started = time.monotonic()
        report = probe(port, cadata(cert_files), timeout=timeout)
        elapsed = time.monotonic() - started

    assert report.outcome == "timeout"
    assert timeout <= elapsed < timeout + 0.5
    assert f"within {timeout:g} s" in report.detail
