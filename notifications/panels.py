"""The certificate page's panel: its effective expiry and tier as the last evaluation stored them, and
what was sent about it and when."""

from django.template.loader import render_to_string
from django.utils import timezone

from notifications.expiry import tier_for, tier_label
from notifications.models import Delivery, WatchedCertificate
from notifications.watch import tiers


def certificate_notices_panel(request, certificate) -> str:
    state = WatchedCertificate.objects.filter(fingerprint=certificate.fingerprint_sha256).first()
    expiry = state.expiry if state else certificate.not_after
    deliveries = (Delivery.objects.filter(notice__fingerprint=certificate.fingerprint_sha256)
                  .select_related("notice", "channel").order_by("-created_at", "-id")[:50])
    return render_to_string("notifications/_certificate_panel.html", {
        "state": state, "expiry": expiry, "own_end": certificate.not_after,
        "tier_text": tier_label(tier_for(expiry, timezone.now(), tiers())), "deliveries": deliveries,
    }, request=request)
