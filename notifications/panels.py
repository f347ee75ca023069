"""The certificate page's panel: its effective expiry and tier, and what was sent about it and when."""

from types import SimpleNamespace

from django.template.loader import render_to_string
from django.utils import timezone

from notifications.expiry import CertFacts, effective_expiry, issuers_by_subject, tier_for, tier_label
from notifications.models import Delivery
from notifications.watch import tiers, watched


def certificate_notices_panel(request, certificate) -> str:
    now = timezone.now()
    found = watched(now).get(certificate.fingerprint_sha256)
    if found is None:  # not watched (a leaf in the library): its own dates only
        facts = CertFacts(certificate.fingerprint_sha256, certificate.subject, certificate.issuer,
                          certificate.not_after, str(certificate))
        effective = effective_expiry(facts, issuers_by_subject([facts]))
        tier = tier_for(effective.expiry, now, tiers())
        found = SimpleNamespace(expiry=effective.expiry, effective=effective, facts=facts)
    else:
        tier = found.tier
    deliveries = (Delivery.objects.filter(notice__fingerprint=certificate.fingerprint_sha256)
                  .select_related("notice", "channel").order_by("-created_at", "-id")[:50])
    return render_to_string("notifications/_certificate_panel.html", {
        "watched": found, "tier_text": tier_label(tier), "deliveries": deliveries}, request=request)
