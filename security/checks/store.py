"""Checks of a trusted store: its certificates, and the file the console builds from them.

Two parts, so a sweep can share work between stores with the same contents:
``check_contents`` depends only on the certificates (and the clock), ``check_file`` on the
provider and password too. Both are pure functions over bytes.
"""

import datetime as dt
from collections.abc import Sequence

from security.crypto import CertificateError, build_der, build_jks, build_p7b, build_pem, read_jks, read_upload
from security.crypto.identity import format_fingerprint
from security.crypto.parse import certificate_details, load_der_certificate

from .codes import Issue

MIN_RSA_BITS = 2048
WEAK_HASHES = frozenset({"sha1", "md5"})


def certificate_label(common_name: str, subject: str, fingerprint: str) -> str:
    name = common_name or subject or "certificate"
    return f"“{name}” ({format_fingerprint(fingerprint, short=True)})"


def check_contents(ders: Sequence[bytes], *, now: dt.datetime, warning_days: int) -> list[Issue]:
    """What is wrong with the certificates themselves, whatever the provider."""
    if not ders:
        return [Issue("store.empty", "The store holds no certificate: no server can be verified with it.",
                      "Add the CA certificate that signed the Genesys servers' certificates.")]
    issues: list[Issue] = []
    soon = now + dt.timedelta(days=warning_days)
    for index, der in enumerate(ders):
        try:
            details = certificate_details(load_der_certificate(der))
        except CertificateError as exc:
            issues.append(Issue("store.unreadable", f"Certificate #{index + 1} of the store cannot be read: {exc}.",
                                "Remove it from the store and upload the CA certificate again.",
                                detail_key=f"cert-{index}"))
            continue
        key = details.fingerprint_sha256[:32]
        label = certificate_label(details.common_name, details.subject, details.fingerprint_sha256)
        if not details.is_ca:
            issues.append(Issue(
                "store.not_ca",
                f"{label} is not a CA certificate (it is an end-entity certificate).",
                "A trusted store holds the CA that signed the servers' certificates, not a server's own "
                "certificate: replace it with the issuing CA (certificateCA.crt).",
                detail_key=key,
            ))
        if details.not_after <= now:
            issues.append(Issue(
                "store.expired",
                f"{label} expired on {details.not_after:%Y-%m-%d}.",
                "Upload the CA's renewed certificate, add it to the store and deploy the new file.",
                detail_key=key,
            ))
        elif details.not_after <= soon:
            days = (details.not_after - now).days
            issues.append(Issue(
                "store.expiring_soon",
                f"{label} expires on {details.not_after:%Y-%m-%d} (in {days} day{'s' if days != 1 else ''}).",
                "Get the renewed CA certificate now and add it to the store before this one expires.",
                detail_key=key,
            ))
        if details.not_before > now:
            issues.append(Issue(
                "store.not_yet_valid",
                f"{label} is not valid before {details.not_before:%Y-%m-%d}.",
                "Check the host clocks and the certificate: until then TLS clients reject it.",
                detail_key=key,
            ))
        if details.key_type == "RSA" and details.key_size is not None and details.key_size < MIN_RSA_BITS:
            issues.append(Issue(
                "store.weak_key",
                f"{label} has a {details.key_size}-bit RSA key.",
                f"Current TLS libraries refuse RSA keys under {MIN_RSA_BITS} bits: ask for a stronger CA.",
                detail_key=key,
            ))
        if (details.signature_hash or "").lower() in WEAK_HASHES:
            issues.append(Issue(
                "store.weak_signature",
                f"{label} is signed with {details.signature_hash.upper()}.",
                "SHA-1 signatures are no longer accepted by current TLS stacks: replace it with a CA "
                "certificate signed with SHA-256 or better.",
                detail_key=key,
            ))
    return issues


def check_file(provider: str, ders: Sequence[bytes], password: str) -> list[Issue]:
    """Build the file this store is deployed as and read it back, as the Co-browse server would."""
    if not ders:
        return []  # store.empty says it already
    if provider == "JKS" and not password:
        return [Issue(
            "store.jks_wrong_password",
            "The console has no usable password for this JKS store, so its keystore cannot be built or opened.",
            "Set the store's password again (it may have been encrypted with a key that has since changed).",
        )]
    try:
        if provider == "PEM":
            count = len(read_upload(build_pem(ders)).certificates)
        elif provider == "JKS":
            count = len(read_jks(build_jks(ders, password), password).certificates)
        elif len(ders) == 1:
            count = len(read_upload(build_der(ders[0])).certificates)
        else:
            count = len(read_upload(build_p7b(ders)).certificates)
    except CertificateError as exc:
        return [Issue("store.unreadable", f"The {provider} file of this store cannot be built or read back: {exc}.",
                      "Remove the damaged certificate from the store and add it again from the original file.")]
    if count != len({bytes(d) for d in ders}):
        return [Issue("store.unreadable",
                      f"The {provider} file of this store holds {count} certificate(s) instead of {len(ders)}.",
                      "Rebuild the store from the original certificate files.")]
    return []
