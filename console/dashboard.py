"""The dashboard: cards that point at work, each with the count of what needs doing and a link to
the filtered list where each item is one click from the object to fix.

Every figure is read from what the checks stored (``ApplicationCheck``, ``ConnectionCheck``, the
findings, the sweeps) or from plain facts (a certificate's end date, the restart flag): nothing is
judged here. Each count is one query over an indexed column, the same for any size of estate.
"""

from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone

from applications.models import AuditEvent, PendingRestartChange
from security import finding_counts
from security.models import ApplicationCheck, Certificate, ConnectionCheck

EVENT_LINE_LIMIT = 140


@dataclass(frozen=True)
class Card:
    key: str
    title: str
    count: int
    url: str
    link_text: str
    detail: str = ""
    tone: str = ""  # "danger", "warning" or "" when there is nothing to do


def with_query(name: str, query: str) -> str:
    return f"{reverse(name)}?{query}"


def work_cards() -> list[Card]:
    now = timezone.now()
    days = settings.CERTIFICATE_EXPIRY_WARNING_DAYS
    # From the counts the database keeps per severity, kind, type, host and Cluster (a third of the findings).
    first, *others = (rows.values_list("severity").annotate(n=Sum("n")) for rows in finding_counts.kept_rows())
    severities = Counter()
    for severity, n in first.union(*others, all=True):
        severities[severity] += n
    errors, warnings = severities.get("error", 0), severities.get("warning", 0)
    not_ready = ApplicationCheck.objects.filter(verdict="not ready").count()
    # The applications with a pending change, counted from those changes (few), not over every application.
    restart = PendingRestartChange.objects.values("application_id").distinct().count()
    certificates = Certificate.objects.aggregate(
        expiring=Count("pk", filter=Q(not_after__gt=now, not_after__lte=now + timezone.timedelta(days=days))),
        expired=Count("pk", filter=Q(not_after__lte=now)))
    expiring, expired = certificates["expiring"], certificates["expired"]
    not_secure = ConnectionCheck.objects.filter(insecure=True).count()
    return [
        Card("findings", "Findings", errors, with_query("security:findings", "severity=error") if errors
             else reverse("security:findings"), "See the findings",
             detail=f"error{'s' if errors != 1 else ''} · {warnings} warning{'s' if warnings != 1 else ''}",
             tone="danger" if errors else ("warning" if warnings else "")),
        Card("not-ready", "Applications not TLS-ready", not_ready, with_query("applications:list", "not_ready=on"),
             "Applications to fix", tone="danger" if not_ready else ""),
        Card("restart", "Restart required", restart, with_query("applications:list", "restart=on"),
             "Applications to restart", tone="warning" if restart else ""),
        Card("certificates", "Certificates expiring", expiring + expired,
             with_query("security:certificate_list", "expiring=on"), "Certificates to renew",
             detail=f"within {days} days, {expired} already expired", tone="danger" if expired else (
                 "warning" if expiring else "")),
        Card("not-secure", "Connections not secure", not_secure, with_query("security:review", "insecure=on"),
             "Connections to move", detail="through a port that is not secure, on a server that has a secure one",
             tone="warning" if not_secure else ""),
    ]


def value_text(value) -> str:
    return "—" if value is None or value == "" else str(value)


def event_line(event: AuditEvent) -> str:
    """One line for an event: what changed, old → new for each field (secrets are already "changed")."""
    parts = [f"{field}: {value_text(pair[0])} → {value_text(pair[1])}"
             for field, pair in (event.changes or {}).items() if isinstance(pair, list | tuple) and len(pair) == 2]
    if event.message:
        parts.append(event.message)
    return "; ".join(parts)


@dataclass(frozen=True)
class EventLine:
    event: AuditEvent
    text: str

    @property
    def short(self) -> str:
        return self.text if len(self.text) <= EVENT_LINE_LIMIT else self.text[:EVENT_LINE_LIMIT - 1] + "…"

    @property
    def cut(self) -> bool:
        return len(self.text) > EVENT_LINE_LIMIT


def recent_changes(limit: int = 8) -> list[EventLine]:
    events = AuditEvent.objects.select_related("application").only(
        "at", "actor_name", "action", "object_type", "object_repr", "changes", "message", "application__name")
    return [EventLine(e, event_line(e)) for e in events[:limit]]


def expiry_tiers():
    """Upcoming expiries by notification tier: each watched certificate's effective expiry (along its
    chain) as the notifications judge it (``notifications.watch``)."""
    from notifications.watch import upcoming_by_tier

    return upcoming_by_tier(timezone.now())
