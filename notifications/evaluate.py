"""The evaluation: what is worth telling now, written as notices with their deliveries (the outbox).

Run by ``send_notifications`` (the command and the beat task). Three sources:

- certificates (``watch.watched``): a certificate entering a tier it was not noticed in gives one
  notice per (certificate, effective expiry, tier); a certificate replaced (``watch.successor_of``),
  renewed along its chain (its tier no longer reached) or gone gives one "resolved" notice;
- the audit trail, read from where the last evaluation stopped (``Cursor``, by the chain's ``seq``,
  which commits in order): changes of a security section, of a trusted store, of a port's TLS;
- the stored readiness verdicts (``security.ApplicationCheck``, written from ``readiness_for``): an
  application turning from ready to not ready or back.

Each notice's key is unique (the database refuses a second), so running twice, or two runs at once,
notice each event once. Everything is written in one transaction under the cursor's row lock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from applications.models import Application, AuditEvent
from notifications import impact as impact_of
from notifications.expiry import EXPIRED, tier_label, tier_rank
from notifications.models import (
    Channel,
    Cursor,
    Delivery,
    EventKind,
    Notice,
    ReadinessSeen,
    WatchedCertificate,
)
from notifications.watch import Watched, successor_of, watched
from security.models import ApplicationCheck

logger = logging.getLogger(__name__)

STORE_FIELDS = {"certificates", "removed", "added", "password", "path", "windows_path", "provider", "name"}


@dataclass
class Evaluated:
    notices: int = 0
    deliveries: int = 0


def add_notice(result: Evaluated, *, key: str, kind: str, subject: str, body: str, payload: dict,
               fingerprint: str = "", tier: str = "", channels: list[Channel]) -> Notice | None:
    """The notice of ``key`` with a delivery to each channel that wants ``kind``; None when it exists."""
    if Notice.objects.filter(key=key).exists():
        return None
    try:
        with transaction.atomic():
            notice = Notice.objects.create(key=key[:200], kind=kind, subject=subject[:300], body=body,
                                           payload=payload, fingerprint=fingerprint, tier=tier)
            wanted = [Delivery(notice=notice, channel=c) for c in channels if c.wants(kind)]
            Delivery.objects.bulk_create(wanted)
    except IntegrityError:
        return None  # another evaluation made it
    result.notices += 1
    result.deliveries += len(wanted)
    return notice


def evaluate(now=None) -> Evaluated:
    now = now or timezone.now()
    result = Evaluated()
    with transaction.atomic():
        cursor, created = Cursor.objects.select_for_update().get_or_create(pk=1)
        channels = list(Channel.objects.filter(enabled=True))
        if created:
            # The trail before the first evaluation is history, not news.
            cursor.audit_seq = AuditEvent.objects.aggregate(m=Max("seq"))["m"] or 0
            cursor.save()
        else:
            audit_notices(cursor, channels, result)
        certificate_notices(now, channels, result)
        readiness_notices(channels, result)
    return result


# --- certificates ------------------------------------------------------------------------------


def expiry_payload(w: Watched, *, tier: str | None, impact) -> dict:
    return {
        "certificate": {"name": w.facts.name, "subject": w.facts.subject, "fingerprint_sha256": w.fingerprint,
                        "not_after": w.facts.not_after.isoformat(), "effective_expiry": w.expiry.isoformat(),
                        "limited_by": w.effective.limited_by.name,
                        "url": impact_of.absolute(reverse("security:certificate_detail", args=[w.library_id]))
                        if w.library_id else None},
        "tier": tier,
        "impact": impact.as_dict(),
    }


def expiry_text(w: Watched, tier: str) -> tuple[str, str]:
    when = w.expiry.strftime("%Y-%m-%d %H:%M UTC")
    if tier == EXPIRED:
        subject = f"Expired: {w.facts.name} (since {when})"
    else:
        subject = f"Expires {tier_label(tier)}: {w.facts.name} on {when}"
    lines = [subject, ""]
    if w.effective.follows_issuer:
        lines.append(f"Its own end date is {w.facts.not_after:%Y-%m-%d}, but its issuer {w.effective.limited_by.name} "
                     f"ends first ({w.expiry:%Y-%m-%d}): it stops working with it.")
    return subject, "\n".join(lines)


def certificate_notices(now, channels: list[Channel], result: Evaluated) -> None:
    every = watched(now)
    states = {s.fingerprint: s for s in WatchedCertificate.objects.select_for_update()}
    for fingerprint, w in every.items():
        state = states.get(fingerprint) or WatchedCertificate(
            fingerprint=fingerprint, name=w.facts.name[:500], expiry=w.expiry, not_after=w.facts.not_after,
            seen_at=now)
        if state.pk is not None and state.expiry != w.expiry:
            # Its chain changed (a renewed root, or one that ends earlier): a new date, tiers anew.
            if state.tier and not state.resolved and (w.tier is None or tier_rank(w.tier) > tier_rank(state.tier)):
                resolved(result, channels, w, state, f"its chain now ends on {w.expiry:%Y-%m-%d}")
            state.tier, state.resolved = "", False
        successor = successor_of(w, every, now) if w.tier is not None else None
        if successor is not None:
            if state.tier and not state.resolved:
                resolved(result, channels, w, state,
                         f"replaced by {successor.facts.name} (until {successor.expiry:%Y-%m-%d})")
            state.resolved = True
        else:
            state.resolved = False
        state.expiry, state.name, state.seen_at = w.expiry, w.facts.name[:500], now
        state.not_after = w.facts.not_after
        state.limited_by = w.effective.limited_by.name[:500] if w.effective.follows_issuer else ""
        if w.tier is not None and successor is None and (not state.tier or tier_rank(w.tier) < tier_rank(state.tier)):
            impact = impact_of.certificate_impact(store_ids=w.store_ids, connection_ids=w.connection_ids)
            subject, body = expiry_text(w, w.tier)
            add_notice(result, key=f"expiry:{fingerprint}:{w.expiry:%Y%m%dT%H%M%S}:{w.tier}", kind=EventKind.EXPIRY,
                       subject=subject, body="\n".join([body, *impact.lines()]),
                       payload=expiry_payload(w, tier=w.tier, impact=impact), fingerprint=fingerprint, tier=w.tier,
                       channels=channels)
            state.tier = w.tier
        state.save()
    for fingerprint, state in states.items():
        if fingerprint in every:
            continue
        if state.tier and not state.resolved:
            resolved(result, channels, None, state, "it is no longer in the library, a store or a server's chain")
        state.delete()


def resolved(result: Evaluated, channels, w: Watched | None, state: WatchedCertificate, why: str) -> None:
    subject = f"Resolved: {state.name} — {why}"
    impact = impact_of.certificate_impact(store_ids=w.store_ids, connection_ids=w.connection_ids) if w else None
    body = "\n".join([subject, "", f"It was noticed as expiring {tier_label(state.tier)} "
                                   f"({state.expiry:%Y-%m-%d})."] + (impact.lines() if impact else []))
    add_notice(result, key=f"resolved:{state.fingerprint}:{state.expiry:%Y%m%dT%H%M%S}:{state.tier}",
               kind=EventKind.RESOLVED, subject=subject, body=body,
               payload={"certificate": {"name": state.name, "fingerprint_sha256": state.fingerprint,
                                        "effective_expiry": state.expiry.isoformat()},
                        "reason": why, "impact": impact.as_dict() if impact else None},
               fingerprint=state.fingerprint, tier=state.tier, channels=channels)


# --- the audit trail ---------------------------------------------------------------------------


PORT_TLS_FIELDS = {"secured", "mutual_tls", "transport_params", "mode"}


def is_tls_change(event: AuditEvent) -> bool:
    changes = event.changes or {}
    if event.object_type == "option":
        return event.object_repr.startswith("[security] ") and event.action in ("create", "update", "delete")
    if event.object_type == "application":
        return "trusted store" in changes
    if event.object_type == "store":
        return event.action in ("create", "delete") or bool(STORE_FIELDS & changes.keys())
    if event.object_type == "port":
        if event.action in ("create", "delete"):  # a secure port added or removed
            return any(changes.get("secured") or ())
        # A port's TLS settings are its transport parameters (tls, tls-mutual, cipher-list, …) and its mode;
        # secured / mutual TLS are read from them.
        return bool(PORT_TLS_FIELDS & changes.keys())
    return False


def change_line(event: AuditEvent) -> str:
    parts = []
    for name, pair in (event.changes or {}).items():
        if isinstance(pair, list | tuple) and len(pair) == 2:
            old, new = ("—" if value in (None, "") else value for value in pair)
            parts.append(f"{name}: {old} → {new}")
    return "; ".join(parts)


def audit_notices(cursor: Cursor, channels, result: Evaluated) -> None:
    events = list(AuditEvent.objects.filter(seq__gt=cursor.audit_seq).select_related("application").order_by("seq"))
    groups: dict[str, list[AuditEvent]] = {}
    for event in events:
        if not is_tls_change(event):
            continue
        if event.object_type == "option" and event.application_id and event.options_revision:
            key = f"change:section:{event.application_id}:{event.options_revision}"
        else:
            key = f"change:audit:{event.pk}"
        groups.setdefault(key, []).append(event)
    for key, group in groups.items():
        first = group[0]
        what = {"option": "security section", "application": "trusted store of", "store": "trusted store",
                "port": "TLS of the port"}[first.object_type]
        name = first.application.name if first.object_type in ("option", "application") and first.application else (
            first.object_repr)
        subject = f"TLS settings changed: {what} {name} ({first.action}) by {first.actor_name or 'system'}"
        lines = [subject, "", f"At {first.at:%Y-%m-%d %H:%M} UTC."]
        for event in group:
            label = event.object_repr if event.object_type == "option" else event.object_type
            lines.append(f"  - {label}: {event.action} {change_line(event)}".rstrip())
            if event.message:
                lines.append(f"    {event.message}")
        links = []
        if first.application_id:
            links.append({"text": first.application.name,
                          "url": impact_of.absolute(first.application.get_absolute_url())})
        if first.object_type == "store" and first.object_id:
            url = impact_of.absolute(reverse("security:store_detail", args=[first.object_id]))
            links.append({"text": first.object_repr, "url": url})
        lines += [f"{link['text']}: {link['url']}" for link in links]
        add_notice(result, key=key, kind=EventKind.SECURITY_CHANGE, subject=subject, body="\n".join(lines),
                   payload={"events": [{"id": e.pk, "at": e.at.isoformat(), "actor": e.actor_name, "action": e.action,
                                        "object_type": e.object_type, "object": e.object_repr,
                                        "changes": e.changes} for e in group], "links": links},
                   channels=channels)
    if events:
        cursor.audit_seq = max(e.seq for e in events)
        cursor.save(update_fields=["audit_seq"])


# --- readiness ---------------------------------------------------------------------------------


def readiness_notices(channels, result: Evaluated) -> None:
    seen = {s.application_id: s for s in ReadinessSeen.objects.select_for_update()}
    checks = ApplicationCheck.objects.filter(verdict__in=("ready", "not ready")).order_by(
        "application__name").values_list("application_id", "verdict", "errors")
    names = {}
    for app_id, verdict, errors in checks:
        state = seen.get(app_id)
        if state is None:
            ReadinessSeen.objects.create(application_id=app_id, verdict=verdict)
            continue
        if state.verdict == verdict:
            continue
        state.turns += 1
        if not names:
            names = dict(Application.objects.values_list("pk", "name"))
        name = names.get(app_id, f"application {app_id}")
        url = impact_of.absolute(reverse("applications:detail", args=[app_id]))
        if verdict == "not ready":
            subject = f"Not TLS-ready: {name} ({errors} error{'s' if errors != 1 else ''})"
        else:
            subject = f"TLS-ready again: {name}"
        add_notice(result, key=f"readiness:{app_id}:{state.turns}", kind=EventKind.READINESS, subject=subject,
                   body=f"{subject}\n\nWas {state.verdict}, now {verdict}.\n{name}: {url}",
                   payload={"application": {"id": app_id, "name": name, "url": url}, "from": state.verdict,
                            "to": verdict, "errors": errors}, channels=channels)
        state.verdict = verdict
        state.save()
