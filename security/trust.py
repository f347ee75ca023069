"""Would Java (the Genesys Co-browse client) trust this chain? Offline, pure, and the one judge.

``will_trust(chain_der, store_certs, ...)`` answers what the JDK's default ``X509TrustManager``
(``checkServerTrusted``, PKIX, ``jdk.certpath.disabledAlgorithms`` of JDK 17) answers for a server
that presents ``chain_der`` to a client whose trusted store holds ``store_certs``, plus the host-name
check the client makes when the connection asks for it (``tls-target-name-check=host``, JSSE's
``HostnameChecker`` for TLS). Live probes (``security.probe``) and ``manage.py will_trust`` call it;
tests compare it with the real JSSE case by case (``tests/probe/java/Verify.java``).

Why not ``cryptography.x509.verification.PolicyBuilder``: it implements the CA/Browser Forum WebPKI
profile, which Java does not. Java accepts, and so does this function: a server certificate without
subjectAltName (the host is then matched on the most specific CN), a store that holds an intermediate
or the server's own certificate (the path ends at the first certificate of the chain the store
holds, by DER or by the same subject and public key), an anchor that has expired or has no basic
constraints (a trust anchor is never checked), RSA keys of 1,024 to 2,047 bits and SHA-1 signatures
under a private CA. So the path is built here, and cryptography's ``verify_directly_issued_by``
checks each signature.

The policy (JDK 17 defaults), checked on every certificate of the path below the anchor:
- path: from the server's certificate up through the presented certificates (in any order) to a
  certificate of the store; at most ``MAX_PATH`` certificates;
- validity at ``at`` (default now) of every certificate below the anchor (not the anchor's);
- CAs below the anchor: basic constraints with CA true, their path-length limit, and key usage (when
  present) with keyCertSign;
- the server's certificate: key usage (when present) with digitalSignature (the TLS 1.2 ECDHE and
  TLS 1.3 handshakes Java uses), extended key usage (when present) with serverAuth or any;
- no critical extension Java does not know;
- signatures: MD2 and MD5 refused (SHA-1 is accepted under a private CA, as by Java); keys (the
  anchor's too): RSA and DSA under 1,024 bits, EC under 224 bits refused;
- host name (``check_host``): an IP address must be an iPAddress of the subjectAltName; a name must
  match a dNSName of it (a ``*`` in the leftmost label only), or, when it has no dNSName, the most
  specific CN.
Not judged (as Java's default): revocation. Not judged (unlike Java): name and policy constraints.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID

MAX_PATH = 10
REFUSED_HASHES = {"md2", "md5"}
MIN_KEY_BITS = {"RSA": 1024, "DSA": 1024, "EC": 224}
# Extensions Java's PKIX checkers process: a critical one outside this set makes the certificate invalid.
KNOWN_CRITICAL = {
    ExtensionOID.BASIC_CONSTRAINTS, ExtensionOID.KEY_USAGE, ExtensionOID.EXTENDED_KEY_USAGE,
    ExtensionOID.SUBJECT_ALTERNATIVE_NAME, ExtensionOID.NAME_CONSTRAINTS, ExtensionOID.POLICY_CONSTRAINTS,
    ExtensionOID.CERTIFICATE_POLICIES, ExtensionOID.INHIBIT_ANY_POLICY, ExtensionOID.POLICY_MAPPINGS,
    ExtensionOID.SUBJECT_KEY_IDENTIFIER, ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
}
# Server authentication as Java's EndEntityChecker accepts it (with Netscape's and Microsoft's SGC).
SERVER_EKUS = {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,
               x509.ObjectIdentifier("2.16.840.1.113730.4.1"), x509.ObjectIdentifier("1.3.6.1.4.1.311.10.3.3")}


@dataclass(frozen=True)
class TrustVerdict:
    trusted: bool
    reason: str
    # The path found, server certificate first, anchor (a store certificate) last; () when none.
    path: tuple[x509.Certificate, ...] = field(default=(), compare=False)
    # The kind of failure, for callers that map it to an outcome: "" (trusted), "untrusted",
    # "expired", "hostname", "policy", "empty".
    kind: str = ""

    def __bool__(self) -> bool:
        return self.trusted


def name_of(cert: x509.Certificate) -> str:
    return cert.subject.rfc4514_string() or "(empty subject)"


def key_of(cert: x509.Certificate) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    try:
        return cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    except (ValueError, UnsupportedAlgorithm):
        return cert.tbs_certificate_bytes


def load_certs(items: Iterable[bytes | x509.Certificate]) -> list[x509.Certificate]:
    return [c if isinstance(c, x509.Certificate) else x509.load_der_x509_certificate(c) for c in items]


def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Names chain and ``issuer``'s key verifies the signature. cryptography's
    ``verify_directly_issued_by`` refuses SHA-1 and MD5, which Java verifies (and then judges by its
    policy): those signatures are verified with the key directly."""
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
        return True
    except InvalidSignature:
        return False
    except (ValueError, TypeError, UnsupportedAlgorithm):
        pass
    try:
        key, params, algorithm = issuer.public_key(), cert.signature_algorithm_parameters, cert.signature_hash_algorithm
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, params or padding.PKCS1v15(), algorithm)
        elif isinstance(key, dsa.DSAPublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, params)
        else:
            return False
    except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
        return False
    return True


def extension(cert: x509.Certificate, ext_type):
    try:
        return cert.extensions.get_extension_for_class(ext_type).value
    except x509.ExtensionNotFound:
        return None


def key_problem(cert: x509.Certificate) -> str:
    key = cert.public_key()
    kind, bits = ("RSA", key.key_size) if isinstance(key, rsa.RSAPublicKey) else (
        ("DSA", key.key_size) if isinstance(key, dsa.DSAPublicKey) else (
            ("EC", key.curve.key_size) if isinstance(key, ec.EllipticCurvePublicKey) else ("", 0)))
    if kind and bits < MIN_KEY_BITS[kind]:
        return f"its {kind} key of {bits} bits is too weak (Java refuses {kind} under {MIN_KEY_BITS[kind]} bits)"
    return ""


def signature_problem(cert: x509.Certificate) -> str:
    algorithm = cert.signature_hash_algorithm
    if algorithm is not None and algorithm.name.lower() in REFUSED_HASHES:
        return f"it is signed with {algorithm.name.upper()}, which Java refuses"
    return ""


def find_path(leaf: x509.Certificate, others: list[x509.Certificate],
              anchors: list[x509.Certificate]) -> list[x509.Certificate] | None:
    """Leaf first, anchor last; the first certificate the store holds ends the path. Depth first:
    an anchor that signed the current certificate before any presented intermediate."""
    anchor_ids = {(a.subject, key_of(a)) for a in anchors}

    def held(cert: x509.Certificate) -> bool:
        return (cert.subject, key_of(cert)) in anchor_ids

    def walk(path: list[x509.Certificate]) -> list[x509.Certificate] | None:
        current = path[-1]
        if held(current):
            return path
        if len(path) >= MAX_PATH:
            return None
        for anchor in anchors:
            if issued_by(current, anchor):
                return [*path, anchor]
        for candidate in others:
            if candidate in path or not issued_by(current, candidate):
                continue
            found = walk([*path, candidate])
            if found:
                return found
        return None

    return walk([leaf])


def judge_path(path: list[x509.Certificate], at: dt.datetime) -> TrustVerdict | None:
    """Every check of the certificates below the anchor; None when they pass."""
    below, anchor = path[:-1], path[-1]
    problem = key_problem(anchor)
    if problem:
        return TrustVerdict(False, f"the trusted certificate {name_of(anchor)}: {problem}.", tuple(path), "policy")
    # From the anchor down, as PKIX does: the first failure near the root is the one reported.
    for depth, cert in enumerate(reversed(below)):
        is_leaf = cert is path[0]
        role = "the server's certificate" if is_leaf else f"the intermediate CA {name_of(cert)}"
        subject = f"{role} ({name_of(cert)})" if is_leaf else role
        if at < cert.not_valid_before_utc:
            return TrustVerdict(False, f"{subject} is not valid until {cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC.",
                                tuple(path), "expired")
        if at > cert.not_valid_after_utc:
            return TrustVerdict(False, f"{subject} expired on {cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC.",
                                tuple(path), "expired")
        for problem in (signature_problem(cert), key_problem(cert)):
            if problem:
                return TrustVerdict(False, f"{subject}: {problem}.", tuple(path), "policy")
        unknown = [e.oid.dotted_string for e in cert.extensions if e.critical and e.oid not in KNOWN_CRITICAL]
        if unknown:
            return TrustVerdict(False, f"{subject} has a critical extension Java does not know ({unknown[0]}).",
                                tuple(path), "policy")
        key_usage = extension(cert, x509.KeyUsage)
        if not is_leaf:
            constraints = extension(cert, x509.BasicConstraints)
            if constraints is None or not constraints.ca:
                return TrustVerdict(False, f"{subject} is not a CA (no basic constraints with CA true) but signed "
                                           f"{name_of(path[len(path) - 3 - depth])}.", tuple(path), "policy")
            # The CAs below this one (self-issued ones not counted) must fit in its path length.
            below_it = sum(1 for c in path[1:len(path) - 2 - depth] if c.subject != c.issuer)
            if constraints.path_length is not None and below_it > constraints.path_length:
                return TrustVerdict(False, f"{subject} allows {constraints.path_length} CA(s) below it; the path "
                                           f"has {below_it}.", tuple(path), "policy")
            if key_usage is not None and not key_usage.key_cert_sign:
                return TrustVerdict(False, f"{subject} has a key usage without keyCertSign: it may not sign "
                                           "certificates.", tuple(path), "policy")
        else:
            if key_usage is not None and not key_usage.digital_signature:
                return TrustVerdict(False, f"{subject} has a key usage without digitalSignature, which the TLS "
                                           "handshake needs.", tuple(path), "policy")
            usages = extension(cert, x509.ExtendedKeyUsage)
            if usages is not None and not SERVER_EKUS.intersection(usages):
                return TrustVerdict(False, f"{subject} has an extended key usage without serverAuth.",
                                    tuple(path), "policy")
    return None


def host_matches(cert: x509.Certificate, host: str) -> bool:
    """JSSE's ``HostnameChecker`` (TLS): IP addresses against iPAddress names only; names against
    the dNSNames, or the most specific CN when there is no dNSName."""
    san = extension(cert, x509.SubjectAlternativeName)
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        address = None
    if address is not None:
        return san is not None and address in san.get_values_for_type(x509.IPAddress)
    dns_names = san.get_values_for_type(x509.DNSName) if san is not None else []
    if dns_names:
        return any(name_matches(pattern, host) for pattern in dns_names)
    common_names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return bool(common_names) and name_matches(str(common_names[-1].value), host)


def name_matches(pattern: str, host: str) -> bool:
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if "*" not in pattern:
        return pattern == host
    first, _, rest = pattern.partition(".")
    host_first, _, host_rest = host.partition(".")
    if "*" in rest or not rest or "." not in rest or rest != host_rest:
        return False
    prefix, _, suffix = first.partition("*")
    if "*" in suffix:
        return False
    return (len(host_first) >= len(prefix) + len(suffix) and host_first.startswith(prefix)
            and host_first.endswith(suffix))


def will_trust(chain_der: Sequence[bytes | x509.Certificate], store_certs: Sequence[bytes | x509.Certificate], *,
               host_name: str | None = None, check_host: bool = False, at: dt.datetime | None = None) -> TrustVerdict:
    """Would a Java client with ``store_certs`` as its trusted store accept a server presenting
    ``chain_der`` (server certificate first), at ``at`` (default now), checking ``host_name`` when
    ``check_host``? Pure: no I/O. ``reason`` is one line in an operator's words."""
    at = (at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    try:
        chain = load_certs(chain_der)
    except ValueError as exc:
        return TrustVerdict(False, f"the chain cannot be read ({exc}).", kind="untrusted")
    if not chain:
        return TrustVerdict(False, "the server presented no certificate.", kind="empty")
    anchors = []
    for item in store_certs:
        try:
            anchors.extend(load_certs([item]))
        except ValueError:
            continue  # a certificate Java could not load either is no anchor
    leaf = chain[0]
    if not anchors:
        return TrustVerdict(False, f"the trusted store is empty: nothing trusts {name_of(leaf)}.", kind="untrusted")
    path = find_path(leaf, chain[1:], anchors)
    if path is None:
        issuer = leaf.issuer.rfc4514_string()
        top = chain[-1] if len(chain) > 1 else leaf
        return TrustVerdict(False, f"no path from {name_of(leaf)} to a certificate of the trusted store "
                                   f"(the chain ends at {top.issuer.rfc4514_string() if top is not leaf else issuer}, "
                                   "which the store does not hold).", kind="untrusted")
    if len(path) > 1:  # a server certificate the store holds itself is trusted as it is (JSSE)
        failure = judge_path(path, at)
        if failure is not None:
            return failure
    if check_host:
        if not host_name:
            return TrustVerdict(False, "no host name to check the certificate against.", tuple(path), "hostname")
        if not host_matches(leaf, host_name):
            return TrustVerdict(False, f"the server's certificate ({name_of(leaf)}) does not match the host name "
                                       f"{host_name}.", tuple(path), "hostname")
    anchor = path[-1]
    via = f" through {len(path) - 2} intermediate(s)" if len(path) > 2 else ""
    return TrustVerdict(True, f"trusted: {name_of(leaf)} chains{via} to {name_of(anchor)}, which the store holds.",
                        tuple(path))
