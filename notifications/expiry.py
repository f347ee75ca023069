"""Expiry of certificates along their chain, and the tiers of warning: pure functions, no Django.

A certificate's *effective* expiry is the earliest end date along the chain that makes it trusted: an
intermediate whose root ends first stops working with the root. ``effective_expiry`` follows the
issuers it is given by name (the subject of one is the issuer of the next) up to a self-signed
certificate, an unknown issuer or a loop. When several certificates carry the issuer's name (a root
renewed with the same name), the one that ends last is taken: a chain builder would pick it.

The tiers are days before that date (60, 30, 14, 7, 1 by default) and "expired". A certificate is in
the smallest tier its remaining time has reached: 20 days left is tier 30; 0.5 day left is tier 1.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

EXPIRED = "expired"
DEFAULT_TIERS = (60, 30, 14, 7, 1)
MAX_CHAIN = 16


@dataclass(frozen=True)
class CertFacts:
    """What the expiry needs of one certificate."""

    fingerprint: str
    subject: str
    issuer: str
    not_after: datetime
    name: str = ""

    @property
    def self_issued(self) -> bool:
        return self.subject == self.issuer


@dataclass(frozen=True)
class Effective:
    """When ``cert`` stops working, and which certificate of its chain decides it (itself, or an issuer
    that ends first)."""

    cert: CertFacts
    expiry: datetime
    limited_by: CertFacts
    chain: tuple[CertFacts, ...]

    @property
    def follows_issuer(self) -> bool:
        return self.limited_by.fingerprint != self.cert.fingerprint


def issuers_by_subject(certs: Iterable[CertFacts]) -> dict[str, list[CertFacts]]:
    """Certificates by subject, each list latest end first (the one a chain builder would take)."""
    found: dict[str, dict[str, CertFacts]] = {}
    for cert in certs:
        found.setdefault(cert.subject, {})[cert.fingerprint] = cert
    return {subject: sorted(group.values(), key=lambda c: (c.not_after, c.fingerprint), reverse=True)
            for subject, group in found.items()}


def chain_of(cert: CertFacts, issuers: Mapping[str, Sequence[CertFacts]]) -> tuple[CertFacts, ...]:
    """``cert`` then its issuers, as far as they are known (no loop, at most ``MAX_CHAIN``)."""
    chain = [cert]
    seen = {cert.fingerprint}
    current = cert
    while not current.self_issued and len(chain) < MAX_CHAIN:
        candidates = [c for c in issuers.get(current.issuer, ()) if c.fingerprint not in seen]
        if not candidates:
            break
        current = candidates[0]
        chain.append(current)
        seen.add(current.fingerprint)
    return tuple(chain)


def effective_expiry(cert: CertFacts, issuers: Mapping[str, Sequence[CertFacts]]) -> Effective:
    """The end of ``cert`` as its chain allows: the earliest ``not_after`` along ``chain_of``. A tie
    is the certificate's own (it is named first)."""
    chain = chain_of(cert, issuers)
    limiting = min(chain, key=lambda c: c.not_after)  # min keeps the first of equal dates: cert itself
    return Effective(cert=cert, expiry=limiting.not_after, limited_by=limiting, chain=chain)


def normalised_tiers(days: Iterable[int]) -> tuple[int, ...]:
    """Distinct positive whole days, largest first. ValueError for anything else (the setting's check)."""
    values = sorted({int(d) for d in days}, reverse=True)
    if not values or any(d < 1 for d in values):
        raise ValueError("expiry tiers are whole numbers of days, 1 or more, at least one")
    return tuple(values)


def parse_tiers(text: str) -> tuple[int, ...]:
    """``"60,30,14,7,1"`` → (60, 30, 14, 7, 1); ValueError with a one-line reason otherwise."""
    parts = [p.strip() for p in (text or "").split(",") if p.strip()]
    try:
        numbers = [int(p) for p in parts]
    except ValueError:
        raise ValueError(f"expiry tiers must be whole days separated by commas, not {text!r}") from None
    return normalised_tiers(numbers)


def tier_for(expiry: datetime, now: datetime, tiers: Sequence[int] = DEFAULT_TIERS) -> str | None:
    """The tier ``expiry`` is in at ``now``: ``"expired"``, the days of the smallest tier reached
    (``"30"``), or None when it is further away than the largest tier."""
    if expiry <= now:
        return EXPIRED
    left = expiry - now
    reached = [d for d in tiers if left <= timedelta(days=d)]
    return str(min(reached)) if reached else None


def tier_rank(tier: str | None) -> int:
    """Orders tiers by urgency: expired first, then fewer days; None (no tier) last."""
    if tier is None:
        return 1_000_000
    if tier == EXPIRED:
        return -1
    return int(tier)


def tier_label(tier: str | None) -> str:
    if tier is None:
        return "later"
    if tier == EXPIRED:
        return "expired"
    return f"within {tier} day{'s' if tier != '1' else ''}"


def alarm_offsets(tiers: Sequence[int]) -> list[timedelta]:
    """The calendar's alarms: one before the date for each tier, and one at the date (expired)."""
    return [-timedelta(days=d) for d in sorted(tiers, reverse=True)] + [timedelta(0)]
