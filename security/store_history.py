"""Versions of a trusted store, written by ``stores.store_save`` in the transaction of the change.

Like ``applications.history`` for applications: the whole store as a snapshot (fields, the password
as its Fernet token with a keyed digest, the member certificates in order), a new version only when
it differs from the newest one, compared with ``applications.snapshots``.
"""

from __future__ import annotations

from django.db.models import Max

from applications import audit, snapshots
from applications.history import NOTE_MAX, secret_value
from applications.models import AuditEvent
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
    if latest is not None:
        changes = snapshots.compare(display_groups(latest.snapshot), display_groups(snapshot))
        if not changes:
            return None
        summary = snapshots.summary(changes)
    else:
        summary = "first version"
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
