"""Versions of a trusted store, written by ``stores.store_save`` in the transaction of the change.

Like ``applications.history`` for applications: the whole store as a snapshot (fields, the password
as its Fernet token with a keyed digest, the member certificates in order), a new version only when
it differs from the newest one, compared with ``applications.snapshots``.
"""

from __future__ import annotations

from django.db.models import Max

from applications import audit
from applications.history import NOTE_MAX, next_version_summary, secret_value
from applications.models import AuditEvent
from cobrowse_admin import secret_box
from security.models import StoreEntry, StoreVersion, TrustedStore

FIELDS = ["name", "provider", "path", "windows_path", "description"]
LABELS = {"path": "path on Linux/Unix hosts", "windows_path": "path on Windows hosts"}


def store_snapshot(store: TrustedStore) -> dict:
    """The store as stored now, in two queries."""
    row = TrustedStore.objects.filter(pk=store.pk).values(*FIELDS, "password_encrypted").get()
    members = [{"id": cid, "fingerprint": fp, "name": cn or subject} for cid, fp, cn, subject in
               StoreEntry.objects.filter(store_id=store.pk).order_by("position", "id").values_list(
                   "certificate_id", "certificate__fingerprint_sha256", "certificate__common_name",
                   "certificate__subject")]
    token = row.pop("password_encrypted")
    return {"general": row, "password": secret_value(token) if token else None, "members": members}


def display_groups(snapshot: dict) -> dict[str, dict]:
    general = {LABELS.get(k, k): v for k, v in (snapshot.get("general") or {}).items()}
    general["password"] = snapshot.get("password")
    members = {f"{m['name']} ({m['fingerprint'][:16].upper()}…)": f"member {i}"
               for i, m in enumerate(snapshot.get("members") or [], start=1)}
    return {"General": general, "Certificates": members}


def events_about(store_id: int):
    return AuditEvent.objects.filter(object_type="store", object_id=str(store_id))


def record(store: TrustedStore, *, actor, note: str = "", source: str = "edit") -> StoreVersion | None:
    """The next version of the store when it changed since the newest one (call it after the writes and
    the audit event, in the same transaction; the service holds the store's row lock)."""
    latest = StoreVersion.objects.filter(store=store).order_by("-number").first()
    snapshot = store_snapshot(store)
    summary = next_version_summary(latest, snapshot, display_groups)
    if summary is None:
        return None
    last_event = events_about(store.pk).aggregate(m=Max("id"))["m"] or 0
    return StoreVersion.objects.create(
        store=store, number=(latest.number if latest else 0) + 1, **audit.actor_fields(actor), source=source[:32],
        note=(note or "")[:NOTE_MAX], summary=summary[:500], snapshot=snapshot, last_event_id=last_event)


def baseline(*, actor="system", note: str = "") -> int:
    """Version 1 of every store without one (demo data, bulk writers)."""
    missing = list(TrustedStore.objects.filter(versions__isnull=True).order_by("pk"))
    for store in missing:
        record(store, actor=actor, note=note, source="baseline")
    return len(missing)


class StoreRevertRefused(Exception):
    """The store cannot be put back as that version (a certificate deleted since, a rule); nothing changed."""


def revert_store(*, store: TrustedStore, to: int, actor, note: str = "",
                 expected_number: int | None = None, expected_version: str | None = None) -> StoreVersion | None:
    """Put the store back as version ``to`` through ``stores.store_save`` (the form's service), as a new
    version noted "revert to N: why". ``EditConflict`` when a version newer than ``expected_number``
    exists, or when the store is no longer ``expected_version`` (``stores.store_version``, the API's
    ETag); ``StoreRevertRefused`` when the version cannot be rebuilt. None: nothing differed."""
    from django.conf import settings
    from django.db import transaction

    from applications.versioning import EditConflict
    from security.forms_library import StoreForm
    from security.models import Certificate
    from security.stores import locked_store, store_save

    with transaction.atomic():
        current = locked_store(store, expected_version)
        latest = StoreVersion.objects.filter(store=current).aggregate(m=Max("number"))["m"] or 0
        if expected_number is not None and latest != expected_number:
            seen = (StoreVersion.objects.filter(store=current, number=expected_number)
                    .values_list("last_event_id", flat=True).first() or 0)
            raise EditConflict(what=f"the trusted store {current.name} (now version {latest})",
                               events=list(events_about(current.pk).filter(id__gt=seen).order_by("-id")[:20])[::-1],
                               current_version=str(latest))
        target = StoreVersion.objects.filter(store=current, number=to).first()
        if target is None:
            raise StoreRevertRefused(f"{current.name} has no version {to}.")
        if settings.REQUIRE_CHANGE_NOTE_FOR_SECURITY and not (note or "").strip():
            raise StoreRevertRefused("say why you revert the trusted store (Why): it is kept in the history.")
        snap = target.snapshot
        ids = [m["id"] for m in snap.get("members") or []]
        found = Certificate.objects.in_bulk(ids)
        gone = [m["name"] for m in snap.get("members") or [] if m["id"] not in found]
        if gone:
            raise StoreRevertRefused(f"version {to} holds certificates deleted since: {', '.join(gone)}. "
                                     "Upload them again first.")
        password = snap.get("password")
        clear = secret_box.decrypt(password["secret"]) if password else ""
        full_note = f"revert to {to}: {note}" if note else f"revert to {to}"
        general = snap.get("general") or {}
        form = StoreForm(data={**general, "certificates": ids, "password": clear, "password_again": clear,
                               "note": full_note[:1000]}, instance=current)
        if not form.is_valid():
            errors = "; ".join(" ".join(m) for m in form.errors.values())
            raise StoreRevertRefused(f"version {to} cannot be put back: {errors}")
        saved = form.save(commit=False)
        store_save(store=saved, certificates=[found[pk] for pk in ids], password=clear if password else "",
                   actor=actor, note=full_note, source="revert")
        return StoreVersion.objects.filter(store=current, number__gt=latest).order_by("number").first()
