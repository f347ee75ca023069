"""Certificate chains built for the trust tests: each a way a chain can be right or wrong for Java.

Dates are relative to the real clock (the JDK checks against it); keys are small and shared where
it does not matter, so building the whole set takes about a second.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import subprocess
from dataclasses import dataclass, field
from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
DAY = dt.timedelta(days=1)
_SHA256_WITH_RSA = bytes.fromhex("06092a864886f70d01010b")
_WEAK = {"sha1": (bytes.fromhex("06092a864886f70d010105"), hashes.SHA1()),
         "md5": (bytes.fromhex("06092a864886f70d010104"), hashes.MD5())}


@cache
def rsa_key(bits: int = 2048):
    if bits < 1024:  # cryptography will not generate it; OpenSSL still does
        pem = subprocess.run(["openssl", "genrsa", str(bits)], capture_output=True, check=True).stdout
        return serialization.load_pem_private_key(pem, None)
    return rsa.generate_private_key(65537, bits)


def fresh_rsa(bits: int = 2048):
    return rsa.generate_private_key(65537, bits)


@dataclass
class Cert:
    cert: x509.Certificate
    key: object

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)


def name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Trust Tests"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


_serial = iter(range(1000, 10**6))


def issue(cn: str, *, issuer: Cert | None = None, key=None, ca: bool | None = False, path_length: int | None = None,
          key_usage: str | None = "auto", eku=(ExtendedKeyUsageOID.SERVER_AUTH,), san: list[str] | None = None,
          not_before: dt.datetime | None = None, not_after: dt.datetime | None = None,
          extra: list[x509.ExtensionType] = (), critical_extra: bool = True, weak_hash: str = "") -> Cert:
    key = key or rsa_key()
    builder = (x509.CertificateBuilder().subject_name(name(cn))
               .issuer_name(issuer.cert.subject if issuer else name(cn)).public_key(key.public_key())
               .serial_number(next(_serial)).not_valid_before(not_before or NOW - 30 * DAY)
               .not_valid_after(not_after or NOW + 365 * DAY))
    if ca is not None:
        builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=path_length if ca else None),
                                        critical=True)
    usage = {"auto": "cert_sign" if ca else "digital_signature"}.get(key_usage, key_usage)
    if usage:
        flags = dict.fromkeys(("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
                               "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only"), False)
        for flag in usage.split(","):
            flags["key_cert_sign" if flag == "cert_sign" else flag] = True
        if flags["key_cert_sign"]:
            flags["crl_sign"] = True
        builder = builder.add_extension(x509.KeyUsage(**flags), critical=True)
    if not ca and eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
    if san:
        names = []
        for item in san:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(item)))
            except ValueError:
                names.append(x509.DNSName(item))
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    for ext in extra:
        builder = builder.add_extension(ext, critical=critical_extra)
    signer = issuer.key if issuer else key
    cert = builder.sign(signer, hashes.SHA256())
    if weak_hash:
        cert = resign(cert, signer, weak_hash)
    return Cert(cert, key)


def resign(cert: x509.Certificate, signer, weak: str) -> x509.Certificate:
    """The same certificate signed with SHA-1 or MD5, which cryptography will not sign with: the
    algorithm identifiers (same length) swapped and the TBS signed with the raw key."""
    oid, algorithm = _WEAK[weak]
    der = cert.public_bytes(serialization.Encoding.DER)
    tbs = cert.tbs_certificate_bytes
    new_tbs = tbs.replace(_SHA256_WITH_RSA, oid)
    signature = signer.sign(new_tbs, padding.PKCS1v15(), algorithm)
    start = der.index(tbs)
    tail = der[start + len(tbs):].replace(_SHA256_WITH_RSA, oid, 1).replace(cert.signature, signature)
    return x509.load_der_x509_certificate(der[:start] + new_tbs + tail)


@dataclass
class Case:
    name: str
    chain: list[Cert]
    store: list[Cert]
    host: str | None = None
    notes: str = ""
    chain_der: list[bytes] = field(init=False)

    def __post_init__(self) -> None:
        self.chain_der = [c.der for c in self.chain]


LEAF_SAN = ["localhost", "127.0.0.1"]


def cases() -> list[Case]:
    root = issue("Root CA", ca=True)
    inter = issue("Intermediate CA", issuer=root, ca=True, key=fresh_rsa())
    leaf = issue("localhost", issuer=inter, san=LEAF_SAN)
    other_root = issue("Other Root CA", ca=True, key=fresh_rsa())
    result = [
        Case("good", [leaf, inter], [root]),
        Case("good_host_name", [leaf, inter], [root], host="localhost"),
        Case("good_host_ip", [leaf, inter], [root], host="127.0.0.1"),
        Case("good_root_also_presented", [leaf, inter, root], [root]),
        Case("good_out_of_order", [leaf, root, inter], [root]),
        Case("good_unrelated_extra", [leaf, other_root, inter], [root]),
        Case("untrusted_other_root", [leaf, inter], [other_root]),
        Case("missing_intermediate", [leaf], [root]),
        Case("intermediate_as_anchor", [leaf], [inter]),
        Case("wrong_host", [leaf, inter], [root], host="server.example.test"),
    ]
    # A root with the same name, another key: it did not sign the intermediate.
    impostor = issue("Root CA", ca=True, key=fresh_rsa())
    result.append(Case("impostor_root", [leaf, inter], [impostor]))
    self_signed = issue("localhost", san=LEAF_SAN, key=fresh_rsa())
    result += [Case("self_signed_in_store", [self_signed], [self_signed], host="localhost"),
               Case("self_signed_not_in_store", [self_signed], [root])]
    expired_leaf = issue("localhost", issuer=inter, san=LEAF_SAN, not_before=NOW - 400 * DAY, not_after=NOW - DAY)
    future_leaf = issue("localhost", issuer=inter, san=LEAF_SAN, not_before=NOW + 10 * DAY)
    expired_root = issue("Expired Root CA", ca=True, key=fresh_rsa(), not_before=NOW - 800 * DAY,
                         not_after=NOW - 2 * DAY)
    inter_under_expired = issue("Intermediate CA 2", issuer=expired_root, ca=True, not_before=NOW - 30 * DAY,
                                not_after=NOW + 300 * DAY)
    leaf_under_expired = issue("localhost", issuer=inter_under_expired, san=LEAF_SAN)
    expired_inter = issue("Expired Intermediate CA", issuer=root, ca=True, not_before=NOW - 400 * DAY,
                          not_after=NOW - DAY)
    leaf_under_expired_inter = issue("localhost", issuer=expired_inter, san=LEAF_SAN)
    result += [
        Case("expired_leaf", [expired_leaf, inter], [root]),
        Case("not_yet_valid_leaf", [future_leaf, inter], [root]),
        Case("expired_root_anchor", [leaf_under_expired, inter_under_expired], [expired_root]),
        Case("expired_intermediate", [leaf_under_expired_inter, expired_inter], [root]),
    ]
    not_ca = issue("Not A CA", issuer=root, ca=False, key_usage="cert_sign", eku=())
    leaf_under_not_ca = issue("localhost", issuer=not_ca, san=LEAF_SAN)
    no_bc = issue("No Constraints CA", issuer=root, ca=None, key_usage="cert_sign", eku=())
    leaf_under_no_bc = issue("localhost", issuer=no_bc, san=LEAF_SAN)
    no_certsign = issue("No CertSign CA", issuer=root, ca=True, key_usage="digital_signature")
    leaf_under_no_certsign = issue("localhost", issuer=no_certsign, san=LEAF_SAN)
    limited = issue("Path Zero CA", issuer=root, ca=True, path_length=0)
    below_limited = issue("Below Path Zero CA", issuer=limited, ca=True)
    leaf_too_deep = issue("localhost", issuer=below_limited, san=LEAF_SAN)
    limited1 = issue("Path One CA", issuer=root, ca=True, path_length=1)
    below_limited1 = issue("Below Path One CA", issuer=limited1, ca=True)
    leaf_deep_ok = issue("localhost", issuer=below_limited1, san=LEAF_SAN)
    result += [
        Case("intermediate_ca_false", [leaf_under_not_ca, not_ca], [root]),
        Case("intermediate_without_basic_constraints", [leaf_under_no_bc, no_bc], [root]),
        Case("intermediate_without_cert_sign", [leaf_under_no_certsign, no_certsign], [root]),
        Case("path_length_exceeded", [leaf_too_deep, below_limited, limited], [root]),
        Case("path_length_respected", [leaf_deep_ok, below_limited1, limited1], [root]),
    ]
    client_only = issue("localhost", issuer=inter, san=LEAF_SAN, eku=(ExtendedKeyUsageOID.CLIENT_AUTH,))
    any_eku = issue("localhost", issuer=inter, san=LEAF_SAN, eku=(ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,))
    no_eku = issue("localhost", issuer=inter, san=LEAF_SAN, eku=(), key_usage=None)
    encipher_only = issue("localhost", issuer=inter, san=LEAF_SAN, key_usage="key_encipherment")
    leaf_is_ca = issue("localhost", issuer=inter, san=LEAF_SAN, ca=True, key_usage="digital_signature,cert_sign")
    result += [
        Case("leaf_client_auth_only", [client_only, inter], [root]),
        Case("leaf_any_eku", [any_eku, inter], [root]),
        Case("leaf_without_usages", [no_eku, inter], [root]),
        Case("leaf_key_encipherment_only", [encipher_only, inter], [root]),
        Case("leaf_is_a_ca", [leaf_is_ca, inter], [root]),
    ]
    cn_only = issue("localhost", issuer=inter)
    san_other = issue("localhost", issuer=inter, san=["other.example.test"])
    wildcard = issue("wildcard", issuer=inter, san=["*.example.test"])
    ip_cn = issue("127.0.0.1", issuer=inter)
    ip_san_only = issue("localhost", issuer=inter, san=["127.0.0.1"])
    result += [
        Case("cn_only_host_matches", [cn_only, inter], [root], host="localhost"),
        Case("cn_only_host_differs", [cn_only, inter], [root], host="other.example.test"),
        Case("san_differs_cn_matches", [san_other, inter], [root], host="localhost"),
        Case("wildcard_one_label", [wildcard, inter], [root], host="node1.example.test"),
        Case("wildcard_two_labels", [wildcard, inter], [root], host="a.node1.example.test"),
        Case("wildcard_bare_domain", [wildcard, inter], [root], host="example.test"),
        Case("ip_in_cn_only", [ip_cn, inter], [root], host="127.0.0.1"),
        Case("ip_san_only_name_asked", [ip_san_only, inter], [root], host="localhost"),
        Case("host_upper_case", [leaf, inter], [root], host="LOCALHOST"),
    ]
    sha1_leaf = issue("localhost", issuer=inter, san=LEAF_SAN, weak_hash="sha1")
    md5_leaf = issue("localhost", issuer=inter, san=LEAF_SAN, weak_hash="md5")
    rsa1024_leaf = issue("localhost", issuer=inter, san=LEAF_SAN, key=rsa_key(1024))
    rsa512_leaf = issue("localhost", issuer=inter, san=LEAF_SAN, key=rsa_key(512))
    ec_root = issue("EC Root CA", ca=True, key=ec.generate_private_key(ec.SECP384R1()))
    ec_leaf = issue("localhost", issuer=ec_root, san=LEAF_SAN, key=ec.generate_private_key(ec.SECP256R1()))
    unknown_critical = issue("localhost", issuer=inter, san=LEAF_SAN, extra=[x509.UnrecognizedExtension(
        x509.ObjectIdentifier("1.3.6.1.4.1.55555.1"), b"\x05\x00")])
    unknown_noncritical = issue("localhost", issuer=inter, san=LEAF_SAN, critical_extra=False, extra=[
        x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.55555.1"), b"\x05\x00")])
    result += [
        Case("sha1_signature_private_ca", [sha1_leaf, inter], [root]),
        Case("md5_signature", [md5_leaf, inter], [root]),
        Case("rsa_1024_key", [rsa1024_leaf, inter], [root]),
        Case("rsa_512_key", [rsa512_leaf, inter], [root]),
        Case("ec_chain", [ec_leaf], [ec_root], host="localhost"),
        Case("unknown_critical_extension", [unknown_critical, inter], [root]),
        Case("unknown_noncritical_extension", [unknown_noncritical, inter], [root]),
        Case("store_with_several_roots", [leaf, inter], [other_root, root]),
    ]
    return result
