"""Write the real certificate files the tests use.

    python tests/certs/make_certs.py OUT_DIR

or ``generate(out_dir)`` from Python (the ``cert_files`` fixture does that once per test session).
The files are not committed: keys are generated afresh each time, but every date is fixed, so
time-dependent checks are written against ``REFERENCE_NOW`` (freeze the clock there) and give the
same answer on any run. The dates are also chosen so that the real clock agrees with the frozen
one until 2030 (TLS handshakes in OpenSSL use the real clock).

SHA-1: cryptography refuses to sign certificates with SHA-1. ``sha1-ca.pem`` is therefore built
as a SHA-256 certificate and re-signed here: the signature algorithm identifier is swapped for
sha1WithRSAEncryption (same length, so no ASN.1 length changes) and the TBS part is signed with
``key.sign(..., PKCS1v15(), SHA1())``, which cryptography still allows. This keeps the fixed
dates that ``openssl req -x509`` (OpenSSL 3.0: only ``-days``) cannot give, and needs no CLI.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

REFERENCE_NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
"""The "now" the tests freeze the clock at: every fixture's validity is fixed relative to it."""

P12_PASSWORD = "p12-secret"
KEY_PASSWORD = "key-secret"
ORGANIZATION = "Co-browse Admin Tests"

ROOT_CN = "Co-browse Test Root CA"
INTERMEDIATE_CN = "Co-browse Test Intermediate CA"
OTHER_CN = "Unrelated Test CA"

_SHA256_WITH_RSA = bytes.fromhex("06092a864886f70d01010b")
_SHA1_WITH_RSA = bytes.fromhex("06092a864886f70d010105")

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


def _utc(year: int, month: int = 1, day: int = 1) -> dt.datetime:
    return dt.datetime(year, month, day, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Issued:
    cert: x509.Certificate
    key: PrivateKey

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _issue(
    common_name: str,
    key: PrivateKey,
    *,
    serial: int,
    not_before: dt.datetime,
    not_after: dt.datetime,
    issuer: Issued | None = None,
    ca: bool = True,
    path_length: int | None = None,
    dns: Sequence[str] = (),
    ips: Sequence[str] = (),
) -> Issued:
    """A certificate with the extensions strict verifiers (Python 3.13's VERIFY_X509_STRICT,
    Java) expect, so that failures in tests come from the property under test only."""
    signer_key = issuer.key if issuer else key
    issuer_name = issuer.cert.subject if issuer else _name(common_name)
    public_key = key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(issuer_name)
        .public_key(public_key)
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_key.public_key()),
            critical=False,
        )
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    else:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        ).add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False,
        )
    names: list[x509.GeneralName] = [x509.DNSName(name) for name in dns]
    names += [x509.IPAddress(IPv4Address(ip)) for ip in ips]
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    algorithm = None if isinstance(signer_key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return Issued(cert=builder.sign(signer_key, algorithm), key=key)


def _resign_with_sha1(issued: Issued) -> Issued:
    """Re-sign a self-signed RSA/SHA-256 certificate with SHA-1 (see the module docstring)."""
    assert isinstance(issued.key, rsa.RSAPrivateKey)
    der = issued.der
    tbs = issued.cert.tbs_certificate_bytes
    assert tbs.count(_SHA256_WITH_RSA) == 1, "expected one signature algorithm in the TBS"
    new_tbs = tbs.replace(_SHA256_WITH_RSA, _SHA1_WITH_RSA)
    signature = issued.key.sign(new_tbs, padding.PKCS1v15(), hashes.SHA1())
    start = der.index(tbs)
    tail = der[start + len(tbs) :]
    # The outer AlgorithmIdentifier and BIT STRING follow the TBS; both keep their lengths.
    tail = tail.replace(_SHA256_WITH_RSA, _SHA1_WITH_RSA, 1).replace(issued.cert.signature, signature)
    cert = x509.load_der_x509_certificate(der[:start] + new_tbs + tail)
    assert cert.signature_hash_algorithm is not None
    assert cert.signature_hash_algorithm.name == "sha1"
    # verify_directly_issued_by() refuses SHA-1 too; the raw key operation does not.
    issued.key.public_key().verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), hashes.SHA1())
    return Issued(cert=cert, key=issued.key)


def _rsa(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def build_all() -> dict[str, bytes]:
    """Every fixture file, name → content."""
    # Keys are the slow part; one per role is enough (leaves share one, spare CAs share one).
    root_key, intermediate_key, other_key, spare_ca_key, leaf_key = (_rsa() for _ in range(5))

    root = _issue(ROOT_CN, root_key, serial=0x1001, not_before=_utc(2020), not_after=_utc(2040))
    intermediate = _issue(
        INTERMEDIATE_CN,
        intermediate_key,
        serial=0x1002,
        not_before=_utc(2020),
        not_after=_utc(2039),
        issuer=root,
        path_length=0,
    )
    server = _issue(
        "localhost",
        leaf_key,
        serial=0x1003,
        not_before=_utc(2024),
        not_after=_utc(2036),
        issuer=intermediate,
        ca=False,
        dns=["localhost"],
        ips=["127.0.0.1"],
    )
    other = _issue(OTHER_CN, other_key, serial=0x2001, not_before=_utc(2020), not_after=_utc(2040))
    server_other = _issue(
        "localhost",
        leaf_key,
        serial=0x2002,
        not_before=_utc(2024),
        not_after=_utc(2036),
        issuer=other,
        ca=False,
        dns=["localhost"],
        ips=["127.0.0.1"],
    )
    expired_ca = _issue(
        "Co-browse Expired CA",
        spare_ca_key,
        serial=0x3001,
        not_before=_utc(2019),
        not_after=_utc(2021),
    )
    notyet_ca = _issue(
        "Co-browse Not Yet Valid CA",
        spare_ca_key,
        serial=0x3002,
        not_before=_utc(2030),
        not_after=_utc(2040),
    )
    sha1_ca = _resign_with_sha1(
        _issue(
            "Co-browse SHA-1 CA",
            spare_ca_key,
            serial=0x3003,
            not_before=_utc(2020),
            not_after=_utc(2040),
        )
    )
    rsa1024_ca = _issue("Co-browse RSA-1024 CA", _rsa(1024), serial=0x3004, not_before=_utc(2020), not_after=_utc(2040))
    ec_ca = _issue(
        "Co-browse EC CA",
        ec.generate_private_key(ec.SECP256R1()),
        serial=0x3005,
        not_before=_utc(2020),
        not_after=_utc(2040),
    )
    ed25519_ca = _issue(
        "Co-browse Ed25519 CA",
        ed25519.Ed25519PrivateKey.generate(),
        serial=0x3006,
        not_before=_utc(2020),
        not_after=_utc(2040),
    )
    leaf_nonca = _issue(
        "Co-browse Test Leaf",
        leaf_key,
        serial=0x1004,
        not_before=_utc(2024),
        not_after=_utc(2036),
        issuer=root,
        ca=False,
        dns=["leaf.example"],
    )
    # Signed by the root directly, so that the root alone verifies them (no chain file needed).
    expired_server = _issue(
        "localhost",
        leaf_key,
        serial=0x1005,
        not_before=_utc(2020, 6),
        not_after=_utc(2021, 6),
        issuer=root,
        ca=False,
        dns=["localhost"],
        ips=["127.0.0.1"],
    )
    wronghost_server = _issue(
        "wrong.example",
        leaf_key,
        serial=0x1006,
        not_before=_utc(2024),
        not_after=_utc(2036),
        issuer=root,
        ca=False,
        dns=["wrong.example"],
    )

    leaf_key_pem = server.key_pem
    ca_p12 = pkcs12.serialize_key_and_certificates(
        b"server",
        leaf_key,
        server.cert,
        [intermediate.cert, root.cert],
        serialization.BestAvailableEncryption(P12_PASSWORD.encode()),
    )
    ca_nopass_p12 = pkcs12.serialize_key_and_certificates(None, None, None, [root.cert], serialization.NoEncryption())
    ca_der = root.der
    return {
        "ca.crt": ca_der,
        "ca.pem": root.pem,
        "intermediate.crt": intermediate.der,
        "intermediate.pem": intermediate.pem,
        "server.pem": server.pem,
        "server.key.pem": leaf_key_pem,
        "server-chain.pem": server.pem + intermediate.pem,
        "server-with-key.pem": server.pem + leaf_key_pem,
        "other-ca.crt": other.der,
        "other-ca.pem": other.pem,
        "server-other.pem": server_other.pem,
        "server-other.key.pem": leaf_key_pem,
        "expired-ca.pem": expired_ca.pem,
        "notyet-ca.pem": notyet_ca.pem,
        "leaf-nonca.pem": leaf_nonca.pem,
        "sha1-ca.pem": sha1_ca.pem,
        "rsa1024-ca.pem": rsa1024_ca.pem,
        "ec-ca.pem": ec_ca.pem,
        "ed25519-ca.pem": ed25519_ca.pem,
        "expired-server.pem": expired_server.pem,
        "expired-server.key.pem": leaf_key_pem,
        "wronghost-server.pem": wronghost_server.pem,
        "wronghost-server.key.pem": leaf_key_pem,
        "bundle.pem": root.pem + intermediate.pem,
        "ca.p12": ca_p12,
        "ca-nopass.p12": ca_nopass_p12,
        "ca.p7b": pkcs7.serialize_certificates([root.cert, intermediate.cert], serialization.Encoding.DER),
        "ca-p7b.pem": pkcs7.serialize_certificates([root.cert, intermediate.cert], serialization.Encoding.PEM),
        "encrypted-key.pem": leaf_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(KEY_PASSWORD.encode()),
        ),
        # The older OpenSSL form: "RSA PRIVATE KEY" with Proc-Type/DEK-Info headers.
        "encrypted-rsa-key.pem": leaf_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.BestAvailableEncryption(KEY_PASSWORD.encode()),
        ),
        "garbage-between.pem": root.pem + b"This line is not part of any certificate.\n" + intermediate.pem,
        "truncated.der": ca_der[: len(ca_der) // 2],
        "random.bin": random.Random(20260601).randbytes(4096),
        "empty.crt": b"",
    }


def generate(out_dir: Path) -> dict[str, Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for name, content in build_all().items():
        path = out_dir / name
        path.write_bytes(content)
        paths[name] = path
    return paths


def main(argv: Sequence[str]) -> int:
    if len(argv) != 1:
        print("usage: python tests/certs/make_certs.py OUT_DIR", file=sys.stderr)
        return 2
    for name, path in generate(Path(argv[0])).items():
        print(f"{name:28} {path.stat().st_size:6} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
