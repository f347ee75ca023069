"""The dashboard page."""

from django.shortcuts import render
from django.views.decorators.http import require_safe

from applications.models import AppType, Host
from applications.queries import type_counts
from cobrowse_admin.access import access_required
from console.dashboard import expiry_tiers, recent_changes, work_cards
from security.models import Certificate, TrustedStore
from security.sweeps import validation_state


@access_required
@require_safe
def dashboard(request):
    counts = type_counts()
    return render(request, "console/dashboard.html", {
        "cards": work_cards(),
        "sweep": validation_state(),  # the last sweep and the applications waiting for their checks
        "host_count": Host.objects.count(),
        "application_count": sum(counts.values()),
        "type_counts": [(label, counts.get(value, 0), value) for value, label in AppType.choices],
        "certificate_count": Certificate.objects.count(),
        "store_count": TrustedStore.objects.count(),
        "recent": recent_changes(),
        "expiry_tiers": expiry_tiers(),
    })
