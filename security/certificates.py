"""Importing CA certificates into the library: preview first, then store (DER only, never a key).

The preview is computed from the uploaded bytes and keeps only the certificates' DER, so the
confirmation step never needs the file, the password or anything a private key was in.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from applications import audit, versioning
from security.crypto.identity import LEAF, ROOT, certificate_role
from security.models import Certificate, StoreEntry, TrustedStore


@dataclass
class FoundCertificate:
    der: bytes
    source_kind: str
    filename: str
    common_name: str
    subject: str
    issuer: str
    not_before: dt.datetime
    not_after: dt.datetime
    is_ca: bool
    fingerprint: str
    key: str
    signature_hash: str
    role: str = ""  # root / intermediate / leaf (security.crypto.identity.certificate_role)
    warnings: list[str] = field(default_factory=list)
    existing_id: int | None = None


@dataclass
class FilePreview:
    filename: str
    kind_label: str = ""
    certificates: list[FoundCertificate] = field(default_factory=list)
    private_key_found: bool = False
    error: str = ""
    password_problem: bool = False
    repeated: int = 0  # certificates already listed under an earlier file of the same upload


def text_condition(text: str) -> Q:
    """The library's search: part of the name or subject, or of the SHA-256 fingerprint (with or
    without colons, any case)."""
    from security.crypto.identity import fingerprint_query

    text = text.strip()
    if not text:
        return Q()
    matches = Q(common_name__icontains=text) | Q(subject__icontains=text)
    digits = fingerprint_query(text)
    if digits:
        matches |= Q(fingerprint_sha256__contains=digits)
    return matches


def expiring_condition(now: dt.datetime) -> Q:
    """Expired or expiring within ``CERTIFICATE_EXPIRY_WARNING_DAYS`` (the dashboard's card)."""
    from django.conf import settings

    return Q(not_after__lte=now + dt.timedelta(days=settings.CERTIFICATE_EXPIRY_WARNING_DAYS))


def certificate_warnings(
    *, is_ca: bool, not_before: dt.datetime, not_after: dt.datetime, now: dt.datetime
) -> list[str]:
    """Reasons a certificate is a poor trust anchor; it may still be imported, visibly warned."""
    warnings = []
    if not is_ca:
        warnings.append("not a CA certificate (BasicConstraints CA is not set)")
    if not_after < now:
        warnings.append(f"expired on {not_after:%Y-%m-%d}")
    if not_before > now:
        warnings.append(f"not valid before {not_before:%Y-%m-%d}")
    return warnings


def preview_files(files: list[tuple[str, bytes]], password: str | None, *, max_bytes: int) -> list[FilePreview]:
    """Read every uploaded file; a bad file gets an error, the others still preview."""
    from security.crypto.errors import CertificateError, PasswordRequired, WrongPassword
    from security.crypto.parse import read_upload

    now = timezone.now()
    previews, seen = [], set()
    for filename, data in files:
        preview = FilePreview(filename=filename)
        previews.append(preview)
        if len(data) > max_bytes:
            preview.error = f"the file is {len(data):,} bytes; the limit is {max_bytes:,} bytes"
            continue
        try:
            parsed = read_upload(data, password=password, filename=filename)
        except CertificateError as exc:
            preview.error = str(exc)
            preview.password_problem = isinstance(exc, PasswordRequired | WrongPassword)
            continue
        preview.kind_label = parsed.kind_label
        preview.private_key_found = parsed.private_key_found
        for details in parsed.details:
            if details.fingerprint_sha256 in seen:
                preview.repeated += 1
                continue
            seen.add(details.fingerprint_sha256)
            preview.certificates.append(found_certificate(details, kind=parsed.kind, filename=filename, now=now))
    mark_existing([found for preview in previews for found in preview.certificates])
    return previews


def found_certificate(details, *, kind: str, filename: str, now: dt.datetime) -> FoundCertificate:
    """What a preview shows of one certificate (``security.crypto.parse.certificate_details``): the
    upload's and the fetch from a server's alike."""
    return FoundCertificate(
        der=details.der,
        source_kind=kind,
        filename=filename,
        common_name=details.common_name,
        subject=details.subject,
        issuer=details.issuer,
        not_before=details.not_before,
        not_after=details.not_after,
        is_ca=details.is_ca,
        fingerprint=details.fingerprint_sha256,
        key=f"{details.key_type} {details.key_size or ''}".strip(),
        signature_hash=details.signature_hash or "",
        role=certificate_role(is_ca=details.is_ca, self_signed=details.self_signed),
        warnings=certificate_warnings(
            is_ca=details.is_ca, not_before=details.not_before, not_after=details.not_after, now=now
        ),
    )


def mark_existing(found: list[FoundCertificate]) -> None:
    """Set ``existing_id`` on the certificates the library already holds (one query)."""
    existing = dict(Certificate.objects.filter(fingerprint_sha256__in={f.fingerprint for f in found})
                    .values_list("fingerprint_sha256", "pk"))
    for certificate in found:
        certificate.existing_id = existing.get(certificate.fingerprint)


def preview_upload(uploads, password: str | None) -> list[FilePreview]:
    """The preview of the files of a valid upload form (``UploadForm``), with the configured size limit."""
    from django.conf import settings

    files = [(upload.name, upload.read()) for upload in uploads]
    return preview_files(files, password or None, max_bytes=settings.CERTIFICATE_UPLOAD_MAX_BYTES)


# The formats a certificate downloads in: PEM text, or DER binary as a .crt.
DOWNLOAD_FORMATS = ("pem", "der")


def certificate_file(certificate: Certificate, fmt: str):
    """The certificate as a file to download, in ``fmt`` (one of ``DOWNLOAD_FORMATS``)."""
    from security.crypto.build import build_der, build_pem
    from security.stores import Artifact

    stem = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in (certificate.common_name or "certificate"))[:60]
    if fmt == "pem":
        return Artifact(f"{stem}.pem", build_pem([bytes(certificate.der)]), "application/x-pem-file")
    return Artifact(f"{stem}.crt", build_der(bytes(certificate.der)), "application/pkix-cert")


@dataclass
class ImportResult:
    created: list[Certificate]
    already_present: list[Certificate]


@dataclass(frozen=True)
class PendingCertificate:
    """A certificate of a preview, as the import step takes it: its DER and where it came from only
    (never the file, a key or the password)."""

    der: bytes
    kind: str
    filename: str
    warned: bool


def pending_certificates(previews: list[FilePreview]) -> list[PendingCertificate]:
    return [PendingCertificate(c.der, c.source_kind, c.filename, bool(c.warnings))
            for p in previews for c in p.certificates]


def preview_counts(previews: list[FilePreview]) -> dict:
    """What the preview says before the import: how many are new, how many of those are warned."""
    found = [c for p in previews for c in p.certificates]
    return {
        "importable": sum(1 for c in found if not c.existing_id),
        "warned_new": sum(1 for c in found if c.warnings and not c.existing_id),
        "any_warnings": any(c.warnings for c in found),
        "any_certificates": bool(found),
    }


def unreadable_reasons(previews: list[FilePreview]) -> dict[str, list[str]] | None:
    """When no file of an upload held a readable certificate, why, by form field (``password`` for a
    missing or wrong password, ``files`` for the rest); None when there is something to import."""
    if any(p.certificates for p in previews):
        return None
    reasons: dict[str, list[str]] = {}
    for p in previews:
        reasons.setdefault("password" if p.password_problem else "files", []).append(f"{p.filename}: {p.error}.")
    return reasons


def import_pending(*, pending: list[PendingCertificate], accept_warnings: bool, actor,
                   store: TrustedStore | None = None,
                   stores: list[tuple[TrustedStore, str | None]] = ()) -> tuple[ImportResult, int]:
    """Import the certificates of a preview; those with warnings only when ``accept_warnings``.
    Returns the result and how many warned certificates were left out. ``stores`` as in
    ``import_certificates``."""
    chosen = [(p.der, p.kind, p.filename) for p in pending if accept_warnings or not p.warned]
    skipped = sum(1 for p in pending if p.warned and not accept_warnings)
    return import_certificates(items=chosen, actor=actor, store=store, stores=stores), skipped


@transaction.atomic
def import_certificates(
    *,
    items: list[tuple[bytes, str, str]],
    actor,
    store: TrustedStore | None = None,
    stores: list[tuple[TrustedStore, str | None]] = (),
) -> ImportResult:
    """Store ``(der, source_kind, filename)`` certificates not yet in the library (by fingerprint)
    and, with ``store``, add them all to it. Parsing happens again here: the DER is the only input.

    ``stores`` are further stores to add them to, each with the version the page that chose it was
    opened on (``stores.store_version``): ``EditConflict`` when one changed since, and nothing at all
    is saved (neither the certificates nor any store)."""
    from security.crypto.parse import certificate_details, load_der_certificate

    present = []
    parsed = [(certificate_details(load_der_certificate(der)), kind, filename) for der, kind, filename in items]
    fingerprints = [details.fingerprint_sha256 for details, _, _ in parsed]
    existing = Certificate.objects.in_bulk(fingerprints, field_name="fingerprint_sha256")
    new, sources = [], []
    for details, kind, filename in parsed:
        cert = existing.get(details.fingerprint_sha256)
        if cert:
            present.append(cert)
            continue
        cert = Certificate(
            der=details.der,
            fingerprint_sha256=details.fingerprint_sha256,
            subject=storable(details.subject),
            issuer=storable(details.issuer),
            common_name=storable(details.common_name, 500),
            serial_hex=storable(details.serial_hex, 128),
            not_before=details.not_before,
            not_after=details.not_after,
            is_ca=details.is_ca,
            self_signed=details.self_signed,
            key_type=storable(details.key_type, 64),
            key_size=details.key_size,
            signature_hash=storable(details.signature_hash or "", 32),
            source_kind=kind,
            source_filename=storable(filename, 255),
            uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        existing[cert.fingerprint_sha256] = cert
        new.append(cert)
        sources.append(f"from {filename} ({kind})")
    # One insert for the certificates and one for their audit events, however many there are.
    created = Certificate.objects.bulk_create(new)
    # The store first: its lock before the chain's head, which the audit events take (the last lock).
    if store is not None:
        add_to_store(store=store, certificates=created + present, actor=actor)
    for target, expected_version in sorted(stores, key=lambda pair: pair[0].pk):  # one lock order
        add_to_store(store=target, certificates=created + present, actor=actor, expected_version=expected_version)
    audit.record_many([
        audit.event(
            actor=actor, action="import", object_type="certificate", obj=cert,
            changes={"fingerprint": [None, cert.fingerprint_sha256], "not_after": [None, f"{cert.not_after:%Y-%m-%d}"]},
            message=source,
        )
        for cert, source in zip(created, sources, strict=True)
    ])
    return ImportResult(created, present)


def storable(text: str, max_length: int | None = None) -> str:
    """Text a database column takes: certificates may carry NUL characters (PostgreSQL refuses
    them in text) and fields longer than any sensible column (a serial of 100 bytes)."""
    text = text.replace("\x00", "\\x00")
    if max_length is not None and len(text) > max_length:
        text = text[: max_length - 1] + "…"
    return text


def trust_order(certificates: list[Certificate]) -> list[Certificate]:
    """Roots first, then other CAs, then the rest; oldest upload first. The first gets alias root."""
    return sorted(certificates, key=lambda c: (not (c.is_ca and c.self_signed), not c.is_ca, c.uploaded_at, c.pk))


def add_to_store(*, store: TrustedStore, certificates: list[Certificate], actor,
                 expected_version: str | None = None) -> None:
    """Add ``certificates`` after the store's members (trust order); ``EditConflict`` when the store is
    not at ``expected_version`` (None: unconditional, as the upload's single store)."""
    from security.stores import locked_store, store_save

    # Members read under the store's lock: a removal saved meanwhile is not undone by this addition.
    store = locked_store(store, expected_version)
    current = list(Certificate.objects.filter(entries__store=store).order_by("entries__position"))
    known = {c.pk for c in current}
    additions = trust_order([c for c in certificates if c.pk not in known])
    store_save(store=store, certificates=current + additions, password=None, actor=actor)


def certificate_state(certificate: Certificate) -> dict:
    """What deleting a certificate depends on: which certificate, and the stores holding it."""
    return {"fingerprint": certificate.fingerprint_sha256,
            "stores": sorted(StoreEntry.objects.filter(certificate=certificate).values_list("store_id", flat=True))}


def certificate_events(certificate: Certificate, state: dict) -> Q:
    """The events about the certificate and about the stores holding it."""
    return versioning.about("certificate", certificate.pk) | Q(
        object_type="store", object_id__in=[str(pk) for pk in state["stores"]])


def certificate_version(certificate: Certificate) -> str:
    """The version the delete confirmation carries (``applications.versioning``)."""
    state = certificate_state(certificate)
    return versioning.version(state, certificate_events(certificate, state))


def check_certificate_version(certificate: Certificate, expected_version: str | None) -> None:
    state = certificate_state(certificate)
    versioning.check(expected=expected_version, state=state, events_about=certificate_events(certificate, state),
                     what=f"the certificate {certificate}")


@transaction.atomic
def certificate_delete(*, certificate: Certificate, actor, expected_version: str | None = None) -> None:
    """Delete a certificate no store holds. ``expected_version`` is the version the confirmation was
    opened on (``certificate_version``): ``EditConflict`` when a store took it since. ``ValueError``
    when a store holds it."""
    certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
    check_certificate_version(certificate, expected_version)
    if StoreEntry.objects.filter(certificate=certificate).exists():
        raise ValueError("This certificate is in a trusted store: remove it from the store first.")
    # Made before the delete, while it still has its id (a store form that chose it finds the event);
    # written after it, as the last write: the audit chain's head is the last lock a service takes.
    event = audit.event(actor=actor, action="delete", object_type="certificate", obj=certificate)
    certificate.delete()
    audit.record_many([event])


# Fetch from a server ("Examine SSL"): the chain a server presents, shown, then its CAs imported.

FETCHED_KIND = "server"


@dataclass
class ChainPreview:
    """What a server presented (leaf first), as the fetch preview shows it."""

    endpoint: str  # host:port
    server_name: str
    certificates: list[FoundCertificate]

    @property
    def offered(self) -> list[FoundCertificate]:
        """The certificates the officer may import: CAs only. A leaf is a server's own certificate, no
        trust anchor (it can still be uploaded as a file, with the upload's warning)."""
        return [c for c in self.certificates if c.role != LEAF]

    @property
    def leaves(self) -> list[FoundCertificate]:
        return [c for c in self.certificates if c.role == LEAF]

    @property
    def sent_root(self) -> bool:
        return any(c.role == ROOT for c in self.certificates)

    @property
    def missing_root_issuer(self) -> str:
        """The issuer of the last certificate sent when the server sent no root: the root CA to upload."""
        return "" if self.sent_root or not self.certificates else self.certificates[-1].issuer

    @property
    def root_in_library(self) -> Certificate | None:
        """When the server sent no root, the library's root CA whose subject is the missing issuer (if any)."""
        issuer = self.missing_root_issuer
        if not issuer:
            return None
        return Certificate.objects.filter(subject=issuer, is_ca=True, self_signed=True).order_by("-not_after").first()


def preview_chain(chain_der: list[bytes] | tuple[bytes, ...], *, endpoint: str, server_name: str) -> ChainPreview:
    """The preview of a presented chain (``probe.examine_server``), each certificate with its role,
    validity, fingerprint and warnings as the upload shows them. ``CertificateError`` for one that
    cannot be read."""
    from security.crypto.parse import certificate_details, load_der_certificate

    now = timezone.now()
    found, seen = [], set()
    for der in chain_der:
        details = certificate_details(load_der_certificate(der))
        if details.fingerprint_sha256 in seen:  # a server may send one twice: shown once
            continue
        seen.add(details.fingerprint_sha256)
        found.append(found_certificate(details, kind=FETCHED_KIND, filename=endpoint, now=now))
    mark_existing(found)
    return ChainPreview(endpoint=endpoint, server_name=server_name, certificates=found)


def import_fetched(*, chain: ChainPreview, fingerprints: list[str], accept_warnings: bool, actor,
                   stores: list[tuple[TrustedStore, str | None]] = ()) -> tuple[ImportResult, int]:
    """Import the chosen CAs of a fetched chain (by fingerprint; a leaf or a certificate the chain does
    not hold is refused with ``ValueError``) into the library and, optionally, ``stores`` (each with
    the version its page was opened on), audited as an upload is: their source is the server."""
    offered = {c.fingerprint: c for c in chain.offered}
    unknown = [f for f in fingerprints if f not in offered]
    if unknown:
        raise ValueError("Only the CA certificates the server presented can be imported.")
    pending = [PendingCertificate(offered[f].der, FETCHED_KIND, chain.endpoint, bool(offered[f].warnings))
               for f in fingerprints]
    return import_pending(pending=pending, accept_warnings=accept_warnings, actor=actor, stores=stores)
