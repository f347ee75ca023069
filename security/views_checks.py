"""Connection review (with CSV export), validation sweeps with their progress, and live probes."""

import csv

from django import forms
from django.contrib import messages
from django.http import JsonResponse, StreamingHttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from applications import widgets
from applications.models import Application, AppType, Connection
from applications.roles import SECURITY_OFFICER, has_role
from applications.sorting import page_query, sort_by
from cobrowse_admin.access import access_required
from security import sweeps
from security.models import Sweep
from security.probe import enqueue_probe, enqueue_probes, probe_refusal, probeable_connections
from security.review import (
    CSV_HEADER,
    REVIEW_COLUMNS,
    ReviewOrder,
    add_links,
    csv_row,
    review_page,
    review_queryset,
    review_rows,
    rows_html,
    with_clients,
    with_row_data,
)

PAGE_SIZE = 50
CSV_CHUNK = 500


class ReviewFilterForm(forms.Form):
    insecure = forms.BooleanField(required=False, label="Not secure only")
    failing = forms.BooleanField(required=False, label="Failing only")
    # One option per Cluster, hundreds on a large site: their names only (no model instances), rendered
    # in Python (applications.widgets).
    cluster = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None,
        widget=widgets.Select(attrs={"class": "form-select form-select-sm"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        clusters = Application.objects.filter(app_type=AppType.COBROWSE_CLUSTER).order_by("name")
        self.fields["cluster"].choices = widgets.Pairs([("", "All clusters"), *clusters.values_list("pk", "name")])

    def clean_cluster(self) -> Application | None:
        pk = self.cleaned_data["cluster"]
        return Application.objects.filter(pk=pk).first() if pk else None


def review_filters(request) -> tuple[ReviewFilterForm, dict]:
    form = ReviewFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    return form, {"insecure": bool(data.get("insecure")), "failing": bool(data.get("failing")),
                  "cluster": data.get("cluster")}


@access_required
@require_safe
def review(request):
    form, filters = review_filters(request)
    sorting = sort_by(request.GET, REVIEW_COLUMNS, default="verdict")
    page, connections = review_page(ReviewOrder(**filters, order=sorting.order_by), request.GET.get("page"), PAGE_SIZE)
    state = sweeps.validation_state()
    this_page = request.get_full_path()  # where each row's Probe button comes back to
    rows = rows_html(add_links(review_rows(connections)), can_secure=has_role(request.user, SECURITY_OFFICER),
                     csrf_token=get_token(request), this_page=this_page)
    return render(request, "security/review.html", {
        "can_probe": has_role(request.user, SECURITY_OFFICER),
        "filter_form": form,
        "page": page,
        # The rows' HTML, not the rows: a template's context is a reference cycle (each of its dicts refers back
        # to it), and rows in it kept the page's 300 objects for the collector's next pass.
        "row_html": [row.html for row in rows],
        "query": page_query(request.GET),
        "sorting": sorting,
        "this_page": this_page,
        "latest_sweep": state.sweep,
        "pending_applications": state.pending_applications,
        "pending_stores": state.pending_stores,
    })


class Echo:
    def write(self, value):
        return value


@access_required
@require_safe
def review_export(request):
    _form, filters = review_filters(request)
    qs = review_queryset(**filters)
    writer = csv.writer(Echo())

    def lines():
        yield writer.writerow(CSV_HEADER)
        connections = list(with_row_data(qs))
        for start in range(0, len(connections), CSV_CHUNK):
            for row in review_rows(with_clients(connections[start:start + CSV_CHUNK])):
                yield writer.writerow(csv_row(row))

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="connection-review.csv"'
    return response


@access_required
@require_POST
def sweep_start(request):
    sweep, queued = sweeps.start_sweep(actor=request.user, trigger="ui")
    if queued:
        messages.success(request, f"Validation of everything started (sweep #{sweep.pk}).")
    else:
        messages.error(request, "The task queue could not be reached, so the validation did not start. The changes "
                                "saved meanwhile are kept as pending and run when the queue is back; an administrator "
                                "can also run `manage.py validate --here`.")
    return redirect(sweep)


@access_required
@require_safe
def sweep_detail(request, pk):
    sweep = get_object_or_404(Sweep, pk=pk)
    progress = sweeps.sweep_progress(sweep)
    summary = sweeps.findings_summary() if sweep.finished else []
    return render(request, "security/review_sweep.html", {
        "sweep": sweep, "progress": progress, "summary": summary[:200], "summary_more": max(len(summary) - 200, 0),
    })


@access_required
@require_safe
def sweep_status(request, pk):
    sweep = get_object_or_404(Sweep, pk=pk)
    return JsonResponse(sweeps.sweep_progress(sweep).as_json())


@access_required
@require_POST
def probe(request, pk):
    connection = get_object_or_404(Connection.objects.select_related("client", "port__application__host"), pk=pk)
    refusal = probe_refusal(connection)
    port = connection.port
    if refusal:
        messages.error(request, f"Not probed: {refusal}")
    elif enqueue_probe(connection.pk):
        messages.success(request, f"Probe of {port.application.name}:{port.port_id} ({port.application.host.address}:"
                                  f"{port.number}) for {connection.client.name} requested; the result shows here "
                                  "when it is done.")
    else:
        messages.error(request, "The task queue could not be reached: the probe did not run. Try again later.")
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                                     require_https=request.is_secure()):
        return redirect(next_url)
    return redirect("security:review")


@access_required
@require_POST
def probe_all(request):
    """Probe every connection through a secure port: one task, one handshake per endpoint."""
    ids = list(probeable_connections().values_list("pk", flat=True))
    if not ids:
        messages.info(request, "No connection goes through a secure port: there is nothing to probe.")
    elif enqueue_probes(ids):
        messages.success(request, f"Probe of {len(ids)} connection(s) through a secure port requested; the results "
                                  "show here when they are done.")
    else:
        messages.error(request, "The task queue could not be reached: the probes did not run. Try again later.")
    return redirect("security:review")


@access_required
@require_safe
def probe_history(request, pk):
    from security.probe_history import connection_history

    connection = get_object_or_404(Connection.objects.select_related(
        "client__cluster", "client__host", "port__application__host"), pk=pk)
    return render(request, "security/probe_history.html", {
        "history": connection_history(connection),
        "can_probe": has_role(request.user, SECURITY_OFFICER),
        "refusal": probe_refusal(connection),
    })
