"""The audit trail's export (CSV, JSON Lines) and its "Verify now"."""

import logging

from django.contrib import messages
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from applications.audit_export import FORMATS, filename, filter_events
from applications.forms import AuditFilterForm
from applications.models import AuditEvent
from cobrowse_admin.access import access_required

logger = logging.getLogger(__name__)


@access_required
@require_safe
def audit_export(request, fmt: str):
    """Every event the audit page's filters select (not only the page shown), oldest first."""
    if fmt not in FORMATS:
        raise Http404("No such format.")
    form = AuditFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        # Back to the page, which shows the filter's error with what was typed.
        return redirect(f"{reverse('applications:audit')}?{request.GET.urlencode()}")
    lines, content_type = FORMATS[fmt]
    events = filter_events(AuditEvent.objects.all(), form.cleaned_data if form.is_bound else {})
    response = StreamingHttpResponse(lines(events), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename(fmt, timezone.now().date())}"'
    return response


@access_required
@require_POST
def audit_verify(request):
    from applications.tasks import verify_audit_chain

    try:
        verify_audit_chain.delay(by=request.user.get_username())
    except Exception as exc:  # noqa: BLE001 - any broker error: said to the administrator, not raised
        logger.warning("Could not enqueue the audit verification (%s).", exc)
        messages.error(request, "The task queue could not be reached, so the verification did not start; "
                                "`manage.py verify_audit` runs it on the server.")
    else:
        messages.success(request, "Verification of the audit trail started; its result shows here when it ends.")
    return redirect("applications:audit")
