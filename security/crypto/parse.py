"""Recognise what an operator uploaded and pull the certificates out of it.

Operators hand over CA certificates in whatever format their CA or their colleagues produced (the
source document names DER ``.crt/.cer/.der``, PEM and PKCS#12 ``.pfx/.p12``; Java people bring
``.jks``). Detection goes by content, never by file name: the name is only used to word messages.

Everything here is a pure function over bytes. Any input, however broken, either yields a
:class:`ParsedUpload` or raises :class:`~security.crypto.errors.CertificateError`; the forms and
commands rely on that to turn every failure into a message.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field, replace

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7, pkcs12
from cryptography.x509.oid import NameOID

from applications.text import quoted

from . import isolation, limits
from .errors import EXPECTED_FORMATS, CertificateError, PasswordRequired, WrongPassword

KIND_LABELS = {
    "pem": "PEM certificate",
    "der": "DER certificate",
    "pkcs7": "PKCS#7 bundle",
    "pkcs12": "PKCS#12 file",
    "jks": "JKS keystore",
}

JKS_MAGIC = b"\xfe\xed\xfe\xed"
JCEKS_MAGIC = b"\xce\xce\xce\xce"

# DER encodings of the ContentInfo types that tell PKCS#7 and PKCS#12 apart.
_OID_PKCS7_DATA = bytes.fromhex("2a864886f70d010701")
_OID_PKCS7_SIGNED_DATA = bytes.fromhex("2a864886f70d010702")

_CERTIFICATE_LABELS = frozenset({"CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"})
_PKCS7_LABELS = frozenset({"PKCS7", "PKCS #7 SIGNED DATA"})
# Public parameters `openssl ecparam -genkey` writes in front of an EC key: harmless, not a cert.
_IGNORED_LABELS = frozenset({"EC PARAMETERS"})
_NOT_A_CERTIFICATE = {
    "CERTIFICATE REQUEST": "a certificate signing request, not a certificate: upload the certificate the CA issued",
    "NEW CERTIFICATE REQUEST": "a certificate signing request, not a certificate: upload the certificate the CA issued",
    "X509 CRL": "a certificate revocation list, not a certificate",
    "PUBLIC KEY": "a bare public key, not a certificate",
    "RSA PUBLIC KEY": "a bare public key, not a certificate",
}

_BEGIN_RE = re.compile(r"-----BEGIN ([A-Z0-9 #/-]{1,64})-----")
_END_RE = re.compile(r"-----END ([A-Z0-9 #/-]{1,64})-----")
# `openssl pkcs12 -nokeys` (and `openssl x509 -subject -issuer`) print these before each block.
_ATTRIBUTE_HEADERS = frozenset({"Bag Attributes", "Key Attributes"})
_EMPTY_ATTRIBUTE_HEADERS = frozenset({"Bag Attributes: <No Attributes>", "Key Attributes: <No Attributes>"})


@dataclass(frozen=True)
class ParsedUpload:
    kind: str  # one of KIND_LABELS
    certificates: tuple[x509.Certificate, ...]
    # A key was in the upload. It is never parsed further nor kept: a trusted store never needs it.
    private_key_found: bool
    # JKS only: aliases[i] is the alias of the keystore entry certificates[i] came from (the
    # certificates of one key entry's chain share its alias).
    aliases: tuple[str, ...] = ()
    # details[i] describes certificates[i]; read_upload fills it (computed once, it is not cheap).
    details: tuple[CertificateDetails, ...] = ()

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)


@dataclass(frozen=True)
class CertificateDetails:
    subject: str
    issuer: str
    common_name: str
    serial_hex: str
    not_before: dt.datetime
    not_after: dt.datetime
    fingerprint_sha256: str
    is_ca: bool
    key_type: str
    key_size: int | None
    signature_hash: str | None
    self_signed: bool
    der: bytes = field(repr=False)


def read_upload(data: bytes, *, password: str | None = None, filename: str = "") -> ParsedUpload:
    """Detect the format of ``data`` and return the certificates it holds.

    ``password`` opens PKCS#12 files and JKS keystores; an empty string counts as no password, as
    an empty form field means "none given". Private keys are detected and dropped.
    """
    try:
        return _read_upload(bytes(data), password or None, filename)
    except CertificateError:
        raise
    except Exception as exc:
        # The contract with forms and commands is "CertificateError or a result", whatever the
        # bytes: a parser surprise must not become a 500 page or a crashed task.
        raise CertificateError(f"{_subject_of(filename)} could not be read: {EXPECTED_FORMATS}") from exc


def load_der_certificate(der: bytes) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(bytes(der))
    except (ValueError, TypeError) as exc:
        raise CertificateError("the data is not a valid DER-encoded X.509 certificate") from exc


def certificate_details(cert: x509.Certificate) -> CertificateDetails:
    """The fields the console shows and stores for a certificate.

    Each of ``subject``, ``issuer`` and ``public_bytes`` builds new Python objects on every call:
    they are read once here (a bundle of a hundred CAs is read in a few milliseconds)."""
    try:
        der = cert.public_bytes(Encoding.DER)
        subject, issuer = cert.subject, cert.issuer
        same_name = issuer == subject
        subject_text = subject.rfc4514_string()
        # Equal names give the same text, unless a multi-valued RDN lists its parts in another order.
        single_valued = all(len(rdn) == 1 for rdn in subject.rdns)
        key_type, key_size = _key_type_and_size(cert)
        return CertificateDetails(
            subject=subject_text,
            issuer=subject_text if same_name and single_valued else issuer.rfc4514_string(),
            common_name=_common_name(subject),
            serial_hex=format(cert.serial_number, "X"),
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
            # The SHA-256 fingerprint is the digest of the DER encoding (what cert.fingerprint() hashes).
            fingerprint_sha256=hashlib.sha256(der).hexdigest(),
            is_ca=_is_ca(cert),
            key_type=key_type,
            key_size=key_size,
            signature_hash=_signature_hash(cert),
            self_signed=same_name and _key_identifiers_agree(cert),
            der=der,
        )
    except CertificateError:
        raise
    except Exception as exc:
        # Extensions are decoded lazily by cryptography, so a damaged extension only shows here.
        raise CertificateError("the certificate is damaged or uses an encoding this console cannot read") from exc


# --- detection ---------------------------------------------------------------------------------


def _read_upload(data: bytes, password: str | None, filename: str) -> ParsedUpload:
    if not data.strip():
        raise CertificateError("the file is empty")
    what = _subject_of(filename)

    if data[:4] in (JKS_MAGIC, JCEKS_MAGIC):
        # Imported here: pyjks is slow to import and most uploads are not keystores.
        from .build import read_jks

        if password is None:
            raise PasswordRequired("this JKS keystore is protected by a password: give the password")
        return _checked(read_jks(data, password))

    if data[0] == 0x30:
        header = _der_header(data, 0)
        if header is not None:
            _tag, _start, end = header
            if end is None or end == len(data):
                return _checked(_read_binary(data, password, what))
            if end > len(data) and b"-----BEGIN " not in data:
                raise CertificateError(f"{what} is truncated: the DER data ends before its declared length")
            if b"-----BEGIN " not in data:
                raise CertificateError(f"{what} has extra bytes after the DER data: {EXPECTED_FORMATS}")

    if b"-----BEGIN " in data:
        return _checked(_read_pem(data, what))

    raise CertificateError(f"{what} is not a certificate format this console knows: {EXPECTED_FORMATS}")


def _subject_of(filename: str) -> str:
    # The name is only a hint for the message; keep it short and printable.
    name = "".join(ch for ch in filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1] if ch.isprintable())
    return f"the file {quoted(name[:80])}" if name else "the file"


def _checked(parsed: ParsedUpload) -> ParsedUpload:
    if not parsed.certificates:
        if parsed.private_key_found:
            raise CertificateError("the file holds only a private key, no certificate")
        raise CertificateError(f"the {parsed.kind_label} holds no certificate")
    # Fail at upload time, with a message, rather than later when a page or a task reads a field.
    return replace(parsed, details=tuple(certificate_details(cert) for cert in parsed.certificates))


def dedupe_certificates(
    certs: list[x509.Certificate], aliases: list[str] | None = None
) -> tuple[tuple[x509.Certificate, ...], tuple[str, ...]]:
    # A PKCS#12 or a bundle often repeats the CA (once as chain, once on its own): the console
    # stores certificates by fingerprint, so duplicates would only confuse the summary.
    # Certificates compare and hash by their DER encoding (in cryptography's Rust code, without
    # serialising them to Python bytes).
    seen: set[x509.Certificate] = set()
    out_certs: list[x509.Certificate] = []
    out_aliases: list[str] = []
    for index, cert in enumerate(certs):
        if cert in seen:
            continue
        seen.add(cert)
        out_certs.append(cert)
        if aliases is not None:
            out_aliases.append(aliases[index])
    return tuple(out_certs), tuple(out_aliases)


def _read_binary(data: bytes, password: str | None, what: str) -> ParsedUpload:
    try:
        cert = x509.load_der_x509_certificate(data)
    except ValueError:
        cert = None
    if cert is not None:
        return ParsedUpload(kind="der", certificates=(cert,), private_key_found=False)

    shape = _asn1_shape(data)
    if shape == "pkcs7":
        certs = _load_pkcs7(data, what)
        return ParsedUpload(kind="pkcs7", certificates=dedupe_certificates(certs)[0], private_key_found=False)
    if shape == "pkcs12":
        return _read_pkcs12(data, password, what)
    if shape == "certificate":
        raise CertificateError(f"{what} looks like a DER certificate but it is damaged")
    raise CertificateError(f"{what} is DER data but not a certificate: {EXPECTED_FORMATS}")


def _load_pkcs7(der: bytes, what: str) -> list[x509.Certificate]:
    try:
        return list(pkcs7.load_der_pkcs7_certificates(der))
    except ValueError as exc:
        if "no certificate" in str(exc):
            raise CertificateError(f"the PKCS#7 bundle in {what} holds no certificate") from exc
        raise CertificateError(f"the PKCS#7 bundle in {what} is damaged") from exc


def _read_pkcs12(data: bytes, password: str | None, what: str) -> ParsedUpload:
    # The iteration counts the file asks for are refused above the limits here, before OpenSSL
    # derives any key; the parse itself then runs under a CPU-time limit (see limits, isolation).
    limits.check_pkcs12(data, what)

    # cryptography answers "Invalid password or PKCS12 data" for both a bad password and a missing
    # one, so the order of attempts decides the message. Files written without a password may use
    # an empty one (OpenSSL) or none at all (cryptography, Windows): the attempt without a password
    # covers both, as cryptography hands OpenSSL an empty password and OpenSSL then tries "none"
    # and "empty" in turn (each try derives the MAC key again: up to three MAC derivations in all).
    attempts: list[bytes | None] = []
    if password is not None:
        try:
            attempts.append(password.encode("utf-8"))
        except UnicodeEncodeError:
            pass
    attempts.append(None)

    try:
        opened = isolation.call_with_cpu_limit(_open_pkcs12, data, attempts, what)
    except isolation.TimeLimitExceeded as exc:
        raise CertificateError(
            f"{what} is refused: opening it needed more than {isolation.CPU_SECONDS} s of computation "
            f"(a hidden key derivation?): {limits.REEXPORT_ADVICE}"
        ) from exc
    except isolation.ChildFailed as exc:
        raise CertificateError(f"{what} could not be read: {EXPECTED_FORMATS}") from exc
    if opened is None:
        if password is None:
            raise PasswordRequired()
        raise WrongPassword()
    certificates_der, private_key_found = opened
    certs = [x509.load_der_x509_certificate(der) for der in certificates_der]
    return ParsedUpload(kind="pkcs12", certificates=dedupe_certificates(certs)[0], private_key_found=private_key_found)


def _open_pkcs12(data: bytes, attempts: list[bytes | None], what: str) -> tuple[list[bytes], bool] | None:
    """The certificates' DER and whether a key was found, with the first password that opens the
    file; None when none does. Runs in the CPU-limited child: only bytes and a flag go back, never
    the key."""
    for attempt in attempts:
        try:
            loaded = pkcs12.load_pkcs12(data, attempt)
        except ValueError:
            continue
        except Exception as exc:  # e.g. UnsupportedAlgorithm for an exotic encryption
            raise CertificateError(
                f"{what} is a PKCS#12 file protected with an algorithm this console cannot "
                "read: export it again with AES encryption"
            ) from exc
        certs: list[x509.Certificate] = []
        if loaded.cert is not None:
            certs.append(loaded.cert.certificate)
        certs += [extra.certificate for extra in loaded.additional_certs]
        # The key was decrypted by cryptography as part of loading; it goes no further than this.
        return [cert.public_bytes(Encoding.DER) for cert in certs], loaded.key is not None
    return None


# --- PEM ---------------------------------------------------------------------------------------


@dataclass
class _Block:
    label: str
    line: int
    body: list[str]


def _read_pem(data: bytes, what: str) -> ParsedUpload:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CertificateError(f"{what} mixes PEM text with binary data: {EXPECTED_FORMATS}") from exc
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")

    blocks = _pem_blocks(text, what)

    certs: list[x509.Certificate] = []
    private_key_found = False
    saw_certificate_block = False
    for block in blocks:
        if block.label.endswith("PRIVATE KEY"):
            # Not decoded at all: an encrypted key cannot be, and a plain one must not linger.
            private_key_found = True
            continue
        if block.label in _IGNORED_LABELS:
            continue
        if block.label in _NOT_A_CERTIFICATE:
            raise CertificateError(f"{what} holds {_NOT_A_CERTIFICATE[block.label]}")
        if block.label not in _CERTIFICATE_LABELS and block.label not in _PKCS7_LABELS:
            raise CertificateError(
                f"{what} holds a PEM block of type {quoted(block.label)} (line {block.line}), "
                "which is not a certificate"
            )
        der = _block_der(block, what)
        if block.label in _PKCS7_LABELS:
            certs += _load_pkcs7(der, what)
            continue
        saw_certificate_block = True
        if block.label == "TRUSTED CERTIFICATE":
            # OpenSSL's "trusted" form: the DER certificate followed by its trust settings.
            header = _der_header(der, 0)
            if header is not None and header[2] is not None:
                der = der[: header[2]]
        try:
            certs.append(x509.load_der_x509_certificate(der))
        except ValueError as exc:
            raise CertificateError(
                f"the certificate in the PEM block at line {block.line} of {what} is damaged"
            ) from exc

    kind = "pkcs7" if certs and not saw_certificate_block else "pem"
    return ParsedUpload(kind=kind, certificates=dedupe_certificates(certs)[0], private_key_found=private_key_found)


def _pem_blocks(text: str, what: str) -> list[_Block]:
    """Split PEM text into blocks, refusing anything outside them but OpenSSL's own annotations.

    A stray line between two blocks usually means a bad copy and paste or a damaged file, and
    accepting the blocks around it would silently build a store that misses a certificate.
    """
    blocks: list[_Block] = []
    current: _Block | None = None
    in_attributes = False
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if current is not None:
            if line.startswith("-----END"):
                end = _END_RE.fullmatch(line)
                if end is None or end.group(1) != current.label:
                    raise CertificateError(
                        f"{what}: the END line at line {number} does not match the "
                        f"BEGIN {current.label} line at line {current.line}"
                    )
                blocks.append(current)
                current = None
            elif line.startswith("-----"):
                raise CertificateError(f"{what}: the PEM block that starts at line {current.line} is not closed")
            elif line:
                current.body.append(line)
            continue

        if not line:
            in_attributes = False
            continue
        begin = _BEGIN_RE.fullmatch(line)
        if begin is not None:
            current = _Block(label=begin.group(1), line=number, body=[])
            in_attributes = False
        elif line in _ATTRIBUTE_HEADERS:
            in_attributes = True
        elif line in _EMPTY_ATTRIBUTE_HEADERS:
            in_attributes = False
        elif in_attributes and raw[:1] in (" ", "\t"):
            pass  # "    friendlyName: ..." / "    localKeyID: ..." under "Bag Attributes"
        elif line.startswith(("subject=", "issuer=")):
            in_attributes = False
        elif line.startswith("#"):
            pass  # comment lines, as in certifi's and other Mozilla-derived CA bundles
        else:
            raise CertificateError(
                f"{what} has unexpected text at line {number}, outside the PEM blocks "
                "(a bad copy and paste or a damaged file?)"
            )
    if current is not None:
        raise CertificateError(
            f"{what} is truncated: the PEM {current.label} block that starts at line {current.line} has no END line"
        )
    if not blocks:
        raise CertificateError(f"{what} holds no PEM block: {EXPECTED_FORMATS}")
    return blocks


def _block_der(block: _Block, what: str) -> bytes:
    if any(":" in line for line in block.body):
        # RFC 1421 headers (Proc-Type, DEK-Info) only ever belong to encrypted keys.
        raise CertificateError(f"the PEM {block.label} block at line {block.line} of {what} has unexpected headers")
    try:
        der = base64.b64decode("".join(block.body), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CertificateError(
            f"the PEM {block.label} block at line {block.line} of {what} is not valid base64 (the file is damaged)"
        ) from exc
    if not der:
        raise CertificateError(f"the PEM {block.label} block at line {block.line} of {what} is empty")
    return der


# --- a little ASN.1, only to tell structures apart ---------------------------------------------


def _der_header(data: bytes, pos: int) -> tuple[int, int, int | None] | None:
    """``(tag, content_start, end)`` of the TLV at ``pos``; ``end`` is None for BER indefinite
    length (some tools write PKCS#7 that way). None when the bytes cannot be a TLV."""
    if pos + 2 > len(data):
        return None
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        return None  # multi-byte tags never start the structures detected here
    first = data[pos + 1]
    if first < 0x80:
        return tag, pos + 2, pos + 2 + first
    if first == 0x80:
        return tag, pos + 2, None
    count = first & 0x7F
    if count > 4 or pos + 2 + count > len(data):
        return None
    length = int.from_bytes(data[pos + 2 : pos + 2 + count], "big")
    start = pos + 2 + count
    return tag, start, start + length


def _asn1_shape(data: bytes) -> str | None:
    outer = _der_header(data, 0)
    if outer is None or outer[0] != 0x30:
        return None
    first = _der_header(data, outer[1])
    if first is None:
        return None
    tag, start, end = first
    if tag == 0x06 and end is not None and data[start:end] == _OID_PKCS7_SIGNED_DATA:
        return "pkcs7"
    if tag == 0x02 and end == start + 1 and data[start] == 3:
        # PFX: version 3, then the authenticated-safe ContentInfo.
        auth_safe = _der_header(data, end)
        if auth_safe is not None and auth_safe[0] == 0x30:
            oid = _der_header(data, auth_safe[1])
            if oid is not None and oid[0] == 0x06 and oid[2] is not None:
                if data[oid[1] : oid[2]] in (_OID_PKCS7_DATA, _OID_PKCS7_SIGNED_DATA):
                    return "pkcs12"
        return None
    if tag == 0x30:
        return "certificate"  # Certificate ::= SEQUENCE { tbsCertificate SEQUENCE, ... }
    return None


# --- details -----------------------------------------------------------------------------------


def _common_name(name: x509.Name) -> str:
    for attribute in name.get_attributes_for_oid(NameOID.COMMON_NAME):
        value = attribute.value
        return value if isinstance(value, str) else value.decode("utf-8", "replace")
    return ""


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    except x509.ExtensionNotFound:
        return False
    return bool(constraints.value.ca)


def _key_type_and_size(cert: x509.Certificate) -> tuple[str, int | None]:
    try:
        key = cert.public_key()
    except Exception:
        # An algorithm cryptography does not implement: still show what it is.
        oid = cert.public_key_algorithm_oid
        name = getattr(oid, "_name", "")
        return (name if name and name != "Unknown OID" else oid.dotted_string), None
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", None
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", None
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    return type(key).__name__, None


def _signature_hash(cert: x509.Certificate) -> str | None:
    try:
        algorithm = cert.signature_hash_algorithm
    except Exception:
        return None  # unsupported signature algorithm: nothing meaningful to show
    return algorithm.name if algorithm is not None else None


def _key_identifiers_agree(cert: x509.Certificate) -> bool:
    """Where both key identifiers are present, the authority's is the subject's.

    With issuer and subject the same name, this is how path builders (OpenSSL's X509_check_issued)
    recognise a root without a signature operation: verifying every root of a 100-certificate
    bundle would cost more than the rest of the import together. ``self_signature_verifies`` does
    the full check where it matters.
    """
    try:
        authority = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
        subject_key = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        return True
    except Exception:
        return False
    return authority is None or authority == subject_key


def self_signature_verifies(cert: x509.Certificate) -> bool:
    """True when the certificate's signature verifies with its own key (a genuine self-signed root)."""
    if cert.issuer != cert.subject:
        return False
    try:
        key = cert.public_key()
        signature, tbs = cert.signature, cert.tbs_certificate_bytes
        # The raw key operations rather than verify_directly_issued_by(), which refuses SHA-1:
        # old SHA-1 roots are exactly the ones the console has to recognise and flag.
        if isinstance(key, rsa.RSAPublicKey):
            parameters = cert.signature_algorithm_parameters
            algorithm = cert.signature_hash_algorithm
            if not isinstance(parameters, padding.PKCS1v15 | padding.PSS) or algorithm is None:
                return False
            key.verify(signature, tbs, parameters, algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            parameters = cert.signature_algorithm_parameters
            if not isinstance(parameters, ec.ECDSA):
                return False
            key.verify(signature, tbs, parameters)
        elif isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            key.verify(signature, tbs)
        elif isinstance(key, dsa.DSAPublicKey):
            algorithm = cert.signature_hash_algorithm
            if algorithm is None:
                return False
            key.verify(signature, tbs, algorithm)
        else:
            return False
    except Exception:
        # Same name but a signature that does not verify with its own key (or an algorithm that
        # cannot be checked here): not a self-signed root.
        return False
    return True
