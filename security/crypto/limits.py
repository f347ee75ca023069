"""How much key derivation an uploaded file may ask for, checked before any key is derived.

A PKCS#12 file names the iteration counts of its own password-based key derivations: one for its
integrity check (the MAC) and one for each encrypted part. Opening the file runs every one of them,
so a 1.4 KB file that asks for 100 million iterations holds a worker for half a minute, and one that
asks for 2³¹−1 holds it until it is killed. The counts are read here from the file's structure (the
``ber`` reader) and refused above the limits below before the file reaches OpenSSL.

The limits, and where real tools stand:

- ``MAX_ITERATIONS`` (1,000,000) for any one count. OpenSSL writes 2,048, Windows 2,000, Java's
  keytool 10,000 (50,000 and a 100,000 MAC before Java 8u301; 200,000 for JCEKS keys), cryptography
  20,000; OWASP's strongest advice for PBKDF2 is 600,000. Java itself refuses counts above 5,000,000.
- ``MAX_TOTAL_ITERATIONS`` (3,000,000) for all counts of one file together: the MAC, every encrypted
  part and every encrypted key. Without it, a 5 MB file of 50,000 encrypted parts at 1,000,000 each
  would still take hours. An ordinary file has three counts (MAC, certificates, key), so any
  ordinary file at the per-count limit passes.

What these checks cannot see is a key bag inside an encrypted part (it is only visible after
decryption). OpenSSL decrypts at most one key (the first it meets; checked with cryptography 50),
and ``isolation`` bounds the whole parse in CPU time, so that one is bounded too. Measured times:
``benchmarks/parse_bounds.py`` and SECURITY.md.

JKS and JCEKS keystores are read without decrypting any key, so they derive nothing; the iteration
counts of JCEKS key entries are bounded all the same, so that the rule holds for every keystore the
console reads, as Java's own keystore code does (it refuses JCEKS counts above 5,000,000).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from . import ber
from .ber import CONTEXT, INTEGER, OCTET_STRING, SEQUENCE, UNIVERSAL, BerError, Element
from .errors import CertificateError

MAX_ITERATIONS = 1_000_000
MAX_TOTAL_ITERATIONS = 3_000_000

# Object identifiers as their DER content octets (compared as bytes: a file may hold thousands).
_PKCS = bytes.fromhex("2a864886f70d01")  # 1.2.840.113549.1
_OID_DATA = _PKCS + bytes.fromhex("0701")  # 1.2.840.113549.1.7.1
_OID_ENCRYPTED_DATA = _PKCS + bytes.fromhex("0706")  # 1.2.840.113549.1.7.6
_OID_SHROUDED_KEY_BAG = _PKCS + bytes.fromhex("0c0a0102")  # 1.2.840.113549.1.12.10.1.2
_OID_SAFE_CONTENTS_BAG = _PKCS + bytes.fromhex("0c0a0106")  # 1.2.840.113549.1.12.10.1.6
_OID_PBES2 = _PKCS + bytes.fromhex("050d")  # 1.2.840.113549.1.5.13
_OID_PBKDF2 = _PKCS + bytes.fromhex("050c")  # 1.2.840.113549.1.5.12
_OID_PBMAC1 = _PKCS + bytes.fromhex("050e")  # 1.2.840.113549.1.5.14
_OID_SCRYPT = bytes.fromhex("2b06010401da47040b")  # 1.3.6.1.4.1.11591.4.11
# The algorithms whose parameters are SEQUENCE { salt OCTET STRING, iterations INTEGER }: PKCS#12's
# own PBE schemes 1.2.840.113549.1.12.1.1-6 (RFC 7292 appendix C), PKCS#5 v1.5 (PBES1)
# 1.2.840.113549.1.5.1/3/4/6/10/11 and Sun's JCEKS key protection 1.3.6.1.4.1.42.2.19.1.
_SALT_AND_COUNT_ALGORITHMS = frozenset(
    [_PKCS + bytes([0x0C, 0x01, n]) for n in range(1, 7)]
    + [_PKCS + bytes([0x05, n]) for n in (1, 3, 4, 6, 10, 11)]
    + [bytes.fromhex("2b060104012a021301")]
)
# Nesting of safeContentsBag inside safeContentsBag; real files do not nest at all.
_MAX_BAG_NESTING = 4

REEXPORT_ADVICE = "export it again with the tool's default settings"


@dataclass(frozen=True)
class Derivation:
    purpose: str  # words for a message: "integrity check (MAC)", "encrypted certificates", ...
    iterations: int


class UnsupportedProtection(CertificateError):
    """The file is protected with a scheme the console does not open (it would not be read anyway)."""


def check_pkcs12(data: bytes, what: str) -> list[Derivation]:
    """The key derivations ``data`` asks for, or a CertificateError when they exceed the limits.

    Raises before any key is derived: this reads the structure only.
    """
    try:
        derivations = pkcs12_derivations(data)
    except UnsupportedProtection as exc:
        raise CertificateError(
            f"{what} is a PKCS#12 file protected with an algorithm this console cannot read ({exc}): "
            "export it again with AES encryption"
        ) from exc
    except ber.TooManyElements as exc:
        raise CertificateError(f"{what} is refused: {exc} to check, far more than any real file") from exc
    except BerError as exc:
        raise CertificateError(f"{what} is a damaged PKCS#12 file: {exc}") from exc
    check_counts(derivations, what)
    return derivations


def check_counts(derivations: Iterable[Derivation], what: str) -> None:
    """The one rule for every file: no count above MAX_ITERATIONS, all of them within MAX_TOTAL_ITERATIONS."""
    derivations = list(derivations)
    for derivation in derivations:
        if derivation.iterations > MAX_ITERATIONS:
            raise CertificateError(
                f"{what} is refused: the iteration count {format_count(derivation.iterations)} of its "
                f"{derivation.purpose} is above the limit of {MAX_ITERATIONS:,} (OpenSSL writes 2,048, "
                f"Java's keytool 10,000 to 200,000): {REEXPORT_ADVICE}"
            )
    total = sum(max(derivation.iterations, 0) for derivation in derivations)
    if total > MAX_TOTAL_ITERATIONS:
        raise CertificateError(
            f"{what} is refused: its {len(derivations):,} key derivations add up to {format_count(total)} "
            f"iterations, above the limit of {MAX_TOTAL_ITERATIONS:,} for one file: {REEXPORT_ADVICE}"
        )


def format_count(count: int) -> str:
    # A count is an INTEGER of any length: never turn a thousand-digit number into text.
    return f"{count:,}" if count < 10**30 else "of more than 30 digits"


# --- PKCS#12 (RFC 7292) --------------------------------------------------------------------------


def pkcs12_derivations(data: bytes) -> list[Derivation]:
    """Every key derivation OpenSSL may run to open ``data`` that the PFX structure shows (every key
    bag counts, though OpenSSL decrypts only the first: the bound must not rest on that detail).

    PFX ::= SEQUENCE { version INTEGER, authSafe ContentInfo, macData MacData OPTIONAL }
    """
    pfx = ber.read_one(data)
    parts = _sequence(pfx, minimum=2)
    derivations: list[Derivation] = []
    if len(parts) > 2:
        derivations += _mac_derivations(parts[2])
    content_type, content = _content_info(parts[1])
    if content_type == _OID_DATA and content is not None:
        # AuthenticatedSafe ::= SEQUENCE OF ContentInfo, inside an OCTET STRING.
        authenticated_safe = _embedded(content)
        for info in _sequence(authenticated_safe):
            derivations += _content_derivations(info)
    # Any other authSafe type (public-key integrity mode) is refused by OpenSSL before decrypting.
    return derivations


def _mac_derivations(mac_data: Element) -> list[Derivation]:
    """MacData ::= SEQUENCE { mac DigestInfo, macSalt OCTET STRING, iterations INTEGER DEFAULT 1 }"""
    fields = _sequence(mac_data, minimum=2)
    iterations = _count(fields[2]) if len(fields) > 2 else 1
    found = [Derivation("integrity check (MAC)", iterations)]
    digest_info = _sequence(fields[0], minimum=2)
    algorithm, parameters = _algorithm(digest_info[0])
    if algorithm == _OID_PBMAC1:
        # RFC 9579: the MAC key comes from PBKDF2 with its own iteration count.
        pbmac1 = _sequence(_required(parameters), minimum=2)
        found.append(Derivation("integrity check (PBMAC1)", _pbkdf2_count(pbmac1[0])))
    return found


def _content_derivations(info: Element) -> list[Derivation]:
    content_type, content = _content_info(info)
    if content is None:
        return []
    if content_type == _OID_DATA:
        return _safe_contents_derivations(_embedded(content), nesting=0)
    if content_type == _OID_ENCRYPTED_DATA:
        # EncryptedData ::= SEQUENCE { version, EncryptedContentInfo SEQUENCE { contentType,
        #   contentEncryptionAlgorithm, [0] IMPLICIT encryptedContent }, ... }
        encrypted_data = _sequence(content, minimum=2)
        encrypted_content_info = _sequence(encrypted_data[1], minimum=2)
        return [Derivation("encrypted certificates", _encryption_count(encrypted_content_info[1]))]
    # envelopedData and the like (public-key privacy mode): OpenSSL skips them.
    return []


def _safe_contents_derivations(safe_contents: Element, *, nesting: int) -> list[Derivation]:
    """SafeContents ::= SEQUENCE OF SafeBag { bagId OID, bagValue [0] EXPLICIT, bagAttributes SET OPTIONAL }"""
    if nesting > _MAX_BAG_NESTING:
        raise BerError("its bags are nested too deeply")
    found: list[Derivation] = []
    for bag in _sequence(safe_contents):
        fields = _sequence(bag, minimum=2)
        bag_id = fields[0].oid_bytes()
        if bag_id == _OID_SHROUDED_KEY_BAG:
            # EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm, encryptedData OCTET STRING }
            key_info = _sequence(_explicit(fields[1]), minimum=2)
            found.append(Derivation("encrypted private key", _encryption_count(key_info[0])))
        elif bag_id == _OID_SAFE_CONTENTS_BAG:
            found += _safe_contents_derivations(_explicit(fields[1]), nesting=nesting + 1)
        # Certificate, key (unencrypted), CRL and secret bags derive nothing.
    return found


def _encryption_count(algorithm_identifier: Element) -> int:
    """The iteration count of a password-based encryption scheme OpenSSL can decrypt with.

    Refuses the schemes it does not name (scrypt, whose cost is not an iteration count, among them):
    a scheme whose cost cannot be read here is not handed over to be run."""
    identifier = _sequence(algorithm_identifier, minimum=1)[0]
    algorithm, parameters = _algorithm(algorithm_identifier)
    if algorithm in _SALT_AND_COUNT_ALGORITHMS:
        return _salt_and_count(_required(parameters))
    if algorithm == _OID_PBES2:
        # PBES2-params ::= SEQUENCE { keyDerivationFunc AlgorithmIdentifier, encryptionScheme ... }
        return _pbkdf2_count(_sequence(_required(parameters), minimum=2)[0])
    raise UnsupportedProtection(f"encryption scheme {identifier.oid()}")


def _pbkdf2_count(kdf_identifier: Element) -> int:
    kdf, parameters = _algorithm(kdf_identifier)
    if kdf == _OID_SCRYPT:
        raise UnsupportedProtection("the scrypt key derivation")
    if kdf != _OID_PBKDF2:
        raise UnsupportedProtection(f"key derivation {_sequence(kdf_identifier, minimum=1)[0].oid()}")
    # PBKDF2-params ::= SEQUENCE { salt, iterationCount INTEGER, keyLength INTEGER OPTIONAL, prf ... }
    return _count(_sequence(_required(parameters), minimum=2)[1])


def _salt_and_count(parameters: Element) -> int:
    fields = _sequence(parameters, minimum=2)
    if not fields[0].is_(UNIVERSAL, OCTET_STRING):
        raise BerError("a salt is missing")
    return _count(fields[1])


# --- JKS and JCEKS ------------------------------------------------------------------------------


def keystore_derivations(encrypted_keys: Iterable[bytes], sealed_parameters: Iterable[bytes]) -> list[Derivation]:
    """The iteration counts of a JKS or JCEKS keystore's key entries.

    ``encrypted_keys``: the EncryptedPrivateKeyInfo of each private key entry; ``sealed_parameters``:
    the encoded PBEParameter of each JCEKS secret key entry. A key protected without an iteration
    count (JKS's own key protector) or unreadable is not counted: nothing here is ever decrypted, so
    an entry that cannot be read costs nothing.
    """
    found: list[Derivation] = []
    budget = ber.Budget()
    for encrypted in encrypted_keys:
        try:
            algorithm, parameters = _algorithm(_sequence(ber.read_one(encrypted, budget=budget), minimum=2)[0])
            if algorithm in _SALT_AND_COUNT_ALGORITHMS and parameters is not None:
                found.append(Derivation("encrypted private key", _salt_and_count(parameters)))
        except BerError:
            continue
    for encoded in sealed_parameters:
        try:
            found.append(Derivation("encrypted secret key", _salt_and_count(ber.read_one(encoded, budget=budget))))
        except BerError:
            continue
    return found


# --- structure helpers -------------------------------------------------------------------------


def _sequence(element: Element, *, minimum: int = 0) -> list[Element]:
    if not (element.is_(UNIVERSAL, SEQUENCE) and element.constructed):
        raise BerError("a SEQUENCE is missing")
    children = element.children()
    if len(children) < minimum:
        raise BerError("a SEQUENCE is incomplete")
    return children


def _content_info(element: Element) -> tuple[bytes, Element | None]:
    """ContentInfo ::= SEQUENCE { contentType OID, content [0] EXPLICIT ANY OPTIONAL }"""
    fields = _sequence(element, minimum=1)
    return fields[0].oid_bytes(), (_explicit(fields[1]) if len(fields) > 1 else None)


def _explicit(element: Element) -> Element:
    if not (element.is_(CONTEXT, 0) and element.constructed):
        raise BerError("an explicitly tagged value is missing")
    children = element.children()
    if len(children) != 1:
        raise BerError("an explicitly tagged value is malformed")
    return children[0]


def _embedded(octet_string: Element) -> Element:
    """The structure encoded inside an OCTET STRING (the Data content type)."""
    if not octet_string.is_(UNIVERSAL, OCTET_STRING):
        raise BerError("an OCTET STRING is missing")
    return octet_string.embedded()


def _algorithm(element: Element) -> tuple[bytes, Element | None]:
    fields = _sequence(element, minimum=1)
    return fields[0].oid_bytes(), (fields[1] if len(fields) > 1 else None)


def _required(parameters: Element | None) -> Element:
    if parameters is None:
        raise BerError("algorithm parameters are missing")
    return parameters


def _count(element: Element) -> int:
    if not element.is_(UNIVERSAL, INTEGER):
        raise BerError("an iteration count is missing")
    if element.integer_length() > 16:
        return 10**40  # far above any limit; not converted from a huge byte string
    return element.integer()
