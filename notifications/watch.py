"""The certificates the notifications watch, with their effective expiry and tier: the CAs of the
library, the members of every trusted store, and the chains the servers presented at their last probe.

``watched`` is the one place that says, for a certificate, when it stops working and which tier it is
in: the evaluation, the dashboard, the calendar and the certificate's page all read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db.models import Max

from notifications.expiry import CertFacts, Effective, effective_expiry, issuers_by_subject, tier_for
from security.crypto import read_upload
from security.crypto.errors import CertificateError
from security.crypto.parse import certificate_details
from security.models import Certificate, ProbeResult, StoreEntry


@dataclass
class Watched:
    facts: CertFacts
    effective: Effective
    tier: str | None
    library_id: int | None = None  # the certificate's id in the library, when it is there
    in_library_as_ca: bool = False
    store_ids: set[int] = field(default_factory=set)
    connection_ids: set[int] = field(default_factory=set)

    @property
    def fingerprint(self) -> str:
        return self.facts.fingerprint

    @property
    def expiry(self) -> datetime:
        return self.effective.expiry


def tiers() -> tuple[int, ...]:
    return tuple(settings.NOTIFICATION_TIERS)


def facts_of_row(fingerprint, subject, issuer, not_after, common_name) -> CertFacts:
    return CertFacts(fingerprint=fingerprint, subject=subject, issuer=issuer, not_after=not_after,
                     name=common_name or subject)


def presented_chains() -> dict[int, list[CertFacts]]:
    """The chain each connection's server presented at its last probe, by connection id."""
    last = ProbeResult.objects.values("connection_id").annotate(last=Max("id")).values_list("last", flat=True)
    chains: dict[int, list[CertFacts]] = {}
    for connection_id, pem in ProbeResult.objects.filter(pk__in=list(last)).exclude(chain_pem="").values_list(
            "connection_id", "chain_pem"):
        try:
            parsed = read_upload(pem.encode("ascii", "replace"))
        except (CertificateError, ValueError):
            continue
        facts = []
        for cert in parsed.certificates:
            try:
                d = certificate_details(cert)
            except CertificateError:
                continue
            facts.append(CertFacts(fingerprint=d.fingerprint_sha256, subject=d.subject, issuer=d.issuer,
                                   not_after=d.not_after, name=d.common_name or d.subject))
        chains[connection_id] = facts
    return chains


def watched(now: datetime) -> dict[str, Watched]:
    """Every watched certificate by fingerprint."""
    rows = list(Certificate.objects.values_list("pk", "fingerprint_sha256", "subject", "issuer", "not_after",
                                                "common_name", "is_ca"))
    library = {r[1]: (r[0], facts_of_row(*r[1:6]), r[6]) for r in rows}
    members: dict[str, set[int]] = {}
    for fingerprint, store_id in StoreEntry.objects.values_list("certificate__fingerprint_sha256", "store_id"):
        members.setdefault(fingerprint, set()).add(store_id)
    chains = presented_chains()
    presented: dict[str, tuple[CertFacts, set[int]]] = {}
    for connection_id, chain in chains.items():
        for facts in chain:
            presented.setdefault(facts.fingerprint, (facts, set()))[1].add(connection_id)
    issuers = issuers_by_subject([f for _, f, _ in library.values()] + [f for f, _ in presented.values()])
    wanted = {fp for fp, (_, _, is_ca) in library.items() if is_ca} | set(members) | set(presented)
    result: dict[str, Watched] = {}
    for fingerprint in wanted:
        if fingerprint in library:
            pk, facts, is_ca = library[fingerprint]
        else:
            pk, facts, is_ca = None, presented[fingerprint][0], False
        effective = effective_expiry(facts, issuers)
        result[fingerprint] = Watched(
            facts=facts, effective=effective, tier=tier_for(effective.expiry, now, tiers()), library_id=pk,
            in_library_as_ca=is_ca, store_ids=members.get(fingerprint, set()),
            connection_ids=presented.get(fingerprint, (None, set()))[1])
    return result


def successor_of(old: Watched, every: dict[str, Watched], now: datetime) -> Watched | None:
    """A certificate that replaces ``old``: the same subject, an effective expiry later and beyond every
    tier, held in every store that holds ``old`` (in the library, for one that is in no store)."""
    for candidate in every.values():
        if candidate.fingerprint == old.fingerprint or candidate.facts.subject != old.facts.subject:
            continue
        if candidate.expiry <= old.expiry or candidate.tier is not None:
            continue
        if old.store_ids <= candidate.store_ids and (old.store_ids or candidate.library_id is not None):
            return candidate
    return None


@dataclass(frozen=True)
class Upcoming:
    name: str
    expiry: datetime
    library_id: int | None


@dataclass
class TierRow:
    tier: str
    label: str
    certificates: list[Upcoming]

    @property
    def count(self) -> int:
        return len(self.certificates)


def upcoming_by_tier(now: datetime) -> list[TierRow]:
    """The dashboard's rows: each tier (expired first, then the fewest days) with the certificates in
    it, soonest first, at the effective expiry the last evaluation stored (``WatchedCertificate``):
    one query over the certificates within the largest tier, however many connections were probed."""
    from datetime import timedelta

    from notifications.expiry import EXPIRED, tier_label
    from notifications.models import WatchedCertificate

    horizon = now + timedelta(days=max(tiers()))
    rows = list(WatchedCertificate.objects.filter(expiry__lte=horizon).order_by("expiry", "name").values_list(
        "fingerprint", "name", "expiry"))
    ids = dict(Certificate.objects.filter(fingerprint_sha256__in=[r[0] for r in rows]).values_list(
        "fingerprint_sha256", "pk"))
    groups: dict[str, list[Upcoming]] = {}
    for fingerprint, name, expiry in rows:
        tier = tier_for(expiry, now, tiers())
        if tier is not None:
            groups.setdefault(tier, []).append(Upcoming(name, expiry, ids.get(fingerprint)))
    return [TierRow(tier, tier_label(tier), groups.get(tier, []))
            for tier in [EXPIRED, *[str(d) for d in sorted(tiers())]]]
