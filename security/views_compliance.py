"""The TLS compliance report: a printable page and its CSV, both from ``security.compliance``."""

import csv
import io

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from cobrowse_admin.access import access_required
from security.checks.policy import RULES
from security.compliance import FAIL, compliance_report, csv_rows


@access_required
@require_safe
def compliance(request):
    report = compliance_report()
    failing_only = request.GET.get("failing") == "1"
    rows = [row for row in report.applications if row.outcome == FAIL] if failing_only else report.applications
    return render(request, "security/compliance.html", {
        "report": report, "rules": RULES, "rows": rows, "failing_only": failing_only,
    })


@access_required
@require_safe
def compliance_export(request):
    report = compliance_report()
    buffer = io.StringIO()
    csv.writer(buffer).writerows(csv_rows(report))
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="tls-compliance-{report.generated_at:%Y%m%d-%H%M}.csv"')
    return response
