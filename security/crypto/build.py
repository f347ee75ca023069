"""Build the trusted-store files Co-browse reads, from the DER certificates the console stores.

- PEM: what ``openssl x509 -inform der -in certificateCA.crt -out certificateCA.pem`` writes, one
  block per certificate.
- JKS: what ``keytool -import -trustcacerts -alias root -file certificateCA.crt`` builds: trusted
  certificate entries only, the first under alias ``root``.
- DER ``.cer`` / PKCS#7 ``.p7b``: what the Windows certificate import wizard takes for MSCAPI.

Keystores are written and read with pyjks, imported inside the JKS functions only: it pulls in
pyasn1, javaobj and pycryptodome (~50 ms), which commands that never touch a keystore should not pay
for at start-up.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import unicodedata
from collections.abc import Sequence

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

from applications.text import quoted

from . import limits
from .errors import CertificateError, PasswordRequired, WrongPassword
from .parse import ParsedUpload, dedupe_certificates, load_der_certificate

ROOT_ALIAS = "root"
_ALIAS_MAX = 48



def build_pem(certs_der: Sequence[bytes]) -> bytes:
    """The same bytes as ``openssl x509 -inform der`` writes for each certificate, concatenated.

    Encoded straight from the DER (checked to be certificates first): re-serialising each
    parsed certificate would double the cost for nothing."""
    _load_all(certs_der)
    return b"".join(_pem_block(bytes(der)) for der in certs_der)


def _pem_block(der: bytes) -> bytes:
    body = base64.b64encode(der)
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return b"-----BEGIN CERTIFICATE-----\n" + b"\n".join(lines) + b"\n-----END CERTIFICATE-----\n"


def build_der(cert_der: bytes) -> bytes:
    return load_der_certificate(cert_der).public_bytes(Encoding.DER)


def build_p7b(certs_der: Sequence[bytes]) -> bytes:
    return pkcs7.serialize_certificates(_load_all(certs_der), Encoding.DER)


def jks_aliases(certs_der: Sequence[bytes]) -> list[str]:
    """``root`` for the first certificate, a slug of the common name for the others.

    Deterministic, so that rebuilding a store gives the same aliases, and lower-case because JKS
    lower-cases aliases anyway (keytool would otherwise show different names than the console).
    """
    return _aliases_for(_load_all(certs_der))


def build_jks(
    certs_der: Sequence[bytes],
    password: str,
    *,
    aliases: Sequence[str] | None = None,
    created_at: dt.datetime | None = None,
) -> bytes:
    """A JKS keystore of trusted certificate entries.

    ``created_at`` is the entry date keytool shows; pass a fixed one for byte-identical rebuilds.
    """
    import jks  # see the module docstring

    if not password:
        raise CertificateError("a JKS keystore needs a password")
    try:
        password.encode("utf-16be")
    except UnicodeEncodeError as exc:
        raise CertificateError("the keystore password contains characters that cannot be stored") from exc

    certs = _load_all(certs_der)
    if aliases is None:
        names = _aliases_for(certs)
    else:
        names = [alias.lower() for alias in aliases]
        if len(names) != len(certs):
            raise CertificateError("each certificate needs exactly one alias")
        if not all(names) or len(set(names)) != len(names):
            raise CertificateError("keystore aliases must be non-empty and unique (ignoring case)")

    moment = created_at or dt.datetime.now(dt.UTC)
    timestamp = int(moment.timestamp() * 1000)
    # Entries are built directly rather than through TrustedCertEntry.new(), which stamps the
    # current time and would make two builds of the same store differ.
    entries = [
        jks.TrustedCertEntry(alias=name, timestamp=timestamp, type="X.509", cert=bytes(der), store_type="jks")
        for name, der in zip(names, certs_der, strict=True)
    ]
    return jks.KeyStore.new("jks", entries).saves(password)


def read_jks(data: bytes, password: str) -> ParsedUpload:
    """Certificates of a JKS/JCEKS keystore: trusted entries and the chains of key entries.

    Keys are never decrypted; their presence only sets ``private_key_found``.
    """
    import jks  # see the module docstring

    if not password:
        raise PasswordRequired("this JKS keystore is protected by a password: give the password")
    try:
        password.encode("utf-16be")
    except UnicodeEncodeError as exc:
        raise WrongPassword("the password does not open this JKS keystore") from exc

    try:
        store = jks.KeyStore.loads(bytes(data), password, try_decrypt_keys=False)
    except jks.util.KeystoreSignatureException as exc:
        # The integrity hash is keyed by the password; keytool says "tampered with, or password
        # was incorrect" for the same condition. A wrong password is by far the likelier cause.
        raise WrongPassword("the password does not open this JKS keystore") from exc
    except Exception as exc:
        raise CertificateError("the JKS keystore is damaged or truncated") from exc

    # Nothing was decrypted (try_decrypt_keys=False), so nothing was derived; the key entries'
    # iteration counts are bounded all the same, as for PKCS#12 (see limits).
    limits.check_counts(
        limits.keystore_derivations(
            [entry._encrypted for entry in store.private_keys.values() if entry._encrypted],
            [entry._encrypted.encodedParams for entry in store.secret_keys.values()
             if entry._encrypted is not None and entry._encrypted.encodedParams],
        ),
        f"this {store.store_type.upper()} keystore",
    )

    certs: list[x509.Certificate] = []
    aliases: list[str] = []
    private_key_found = False
    for alias, entry in store.entries.items():
        if isinstance(entry, jks.TrustedCertEntry):
            chain = [(entry.type, entry.cert)]
        elif isinstance(entry, jks.PrivateKeyEntry):
            private_key_found = True
            chain = list(entry.cert_chain)
        else:
            continue  # JCEKS secret keys: no certificate in them
        for cert_type, der in chain:
            if cert_type != "X.509":
                raise CertificateError(
                    f"the keystore entry {quoted(alias)} holds a {quoted(cert_type)} certificate, not X.509")
            try:
                certs.append(load_der_certificate(der))
            except CertificateError as exc:
                raise CertificateError(f"the certificate of keystore entry {quoted(alias)} is damaged") from exc
            aliases.append(alias)

    unique_certs, unique_aliases = dedupe_certificates(certs, aliases)
    return ParsedUpload(
        kind="jks",
        certificates=unique_certs,
        private_key_found=private_key_found,
        aliases=unique_aliases,
    )


def _load_all(certs_der: Sequence[bytes]) -> list[x509.Certificate]:
    if isinstance(certs_der, bytes | bytearray | memoryview):
        raise TypeError("pass a sequence of DER certificates, not a single bytes object")
    if not certs_der:
        raise CertificateError("the store holds no certificate")
    return [load_der_certificate(der) for der in certs_der]


def _aliases_for(certs: Sequence[x509.Certificate]) -> list[str]:
    aliases = [ROOT_ALIAS]
    used = {ROOT_ALIAS}
    for cert in certs[1:]:
        base = _slug(_first_common_name(cert)) or "ca"
        alias, suffix = base, 2
        while alias in used:
            alias = f"{base}-{suffix}"
            suffix += 1
        used.add(alias)
        aliases.append(alias)
    return aliases[: len(certs)]


def _first_common_name(cert: x509.Certificate) -> str:
    try:
        values = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    except ValueError:
        return ""
    if not values:
        return ""
    value = values[0].value
    return value if isinstance(value, str) else ""


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:_ALIAS_MAX].rstrip("-")
