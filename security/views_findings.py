"""The findings page (every finding, filtered, with counts per filter) and its CSV."""

import csv

from django import forms
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from applications import widgets
from applications.models import Application, AppType, Host
from cobrowse_admin.access import access_required
from security.findings import (
    CSV_HEADER,
    KINDS,
    SEVERITIES,
    SEVERITY_LABELS,
    TEXT_COUNT_LIMIT,
    FindingFilters,
    FindingsOrder,
    csv_row,
    facets,
    findings_queryset,
    rows_for,
    text_search,
)

PAGE_SIZE = 50
CSV_CHUNK = 500


class SearchInput(forms.TextInput):
    input_type = "search"


class FindingFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Text",
                        widget=SearchInput(attrs={"class": "form-control form-control-sm"}))
    severity = forms.ChoiceField(required=False, choices=[("", "any severity")] + [(s, s) for s in SEVERITIES])
    kind = forms.ChoiceField(required=False, label="Object", choices=[("", "any object")] + list(KINDS.items()))
    app_type = forms.ChoiceField(required=False, label="Application type",
                                 choices=[("", "any type")] + list(AppType.choices))
    # Hundreds of hosts and Clusters on a large site: names only, rendered in Python (applications.widgets).
    host = forms.TypedChoiceField(coerce=int, required=False, empty_value=None,
                                  widget=widgets.Select(attrs={"class": "form-select form-select-sm"}))
    cluster = forms.TypedChoiceField(coerce=int, required=False, empty_value=None,
                                     widget=widgets.Select(attrs={"class": "form-select form-select-sm"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.hosts = list(Host.objects.order_by("name").values_list("pk", "name"))
        self.clusters = list(Application.objects.filter(app_type=AppType.COBROWSE_CLUSTER).order_by("name")
                             .values_list("pk", "name"))
        self.fields["host"].choices = widgets.Pairs([("", "any host"), *self.hosts])
        self.fields["cluster"].choices = widgets.Pairs([("", "any Cluster"), *self.clusters])
        for name in ("severity", "kind", "app_type"):
            self.fields[name].widget.attrs["class"] = "form-select form-select-sm"

    def filters(self) -> FindingFilters:
        data = {}
        if self.is_bound:
            self.is_valid()
            # A value that is not a choice (an old bookmark, a deleted host) filters nothing.
            data = self.cleaned_data
        return FindingFilters(severity=data.get("severity") or "", kind=data.get("kind") or "",
                              app_type=data.get("app_type") or "", host=data.get("host"),
                              cluster=data.get("cluster"), text=(data.get("q") or "").strip())

    def add_counts(self, counts, *, by_severity: dict | None = None) -> None:
        """Each choice says how many findings it gives with the other filters as they are. ``counts`` None:
        not counted (a text matching more than the page counts), the choices show no numbers; the
        severities then show ``by_severity`` (a number, or "1,000+" for None)."""
        def label(text, n):
            if n is None:
                return f"{text} ({TEXT_COUNT_LIMIT:,}+)"
            return f"{text} ({n:,})"

        severities = by_severity if counts is None else counts.severity
        self.fields["severity"].choices = [("", "any severity")] + [
            (s, label(s, severities[s])) for s in SEVERITIES]
        if counts is None:
            return
        self.fields["kind"].choices = [("", "any object")] + [
            (k, label(text, counts.kind[k])) for k, text in KINDS.items()]
        self.fields["app_type"].choices = [("", "any type")] + [
            (value, label(text, counts.app_type[value])) for value, text in AppType.choices]
        self.fields["host"].choices = widgets.Pairs([("", "any host")] + [(pk, label(name, counts.host[pk]))
                                                                          for pk, name in self.hosts])
        self.fields["cluster"].choices = widgets.Pairs([("", "any Cluster")] + [
            (pk, label(name, counts.cluster[pk])) for pk, name in self.clusters])


def page_number(request) -> int:
    """The page asked for, 1 for none or nonsense (the paginator then says which page it shows)."""
    try:
        return max(int(request.GET.get("page") or 1), 1)
    except ValueError:
        return 1


@access_required
@require_safe
def findings(request):
    form = FindingFilterForm(request.GET or None)
    filters = form.filters()
    if filters.text:
        # Counted up to TEXT_COUNT_LIMIT: past it "1,000+" and the first ones listed (security.findings).
        search = text_search(filters, page_start=(page_number(request) - 1) * PAGE_SIZE, page_size=PAGE_SIZE)
        counts = search.facets  # None: not counted
        form.add_counts(counts, by_severity=search.by_severity)
        page = Paginator(search.ids(), PAGE_SIZE).get_page(request.GET.get("page"))
        by_severity, total, more = search.by_severity, search.total, search.more
    else:
        counts = facets(filters)
        form.add_counts(counts)
        order = FindingsOrder(filters, counts.matched_by_severity(filters))
        page = Paginator(order, PAGE_SIZE).get_page(request.GET.get("page"))
        by_severity, total, more = counts.severity, counts.total, False
    query = request.GET.copy()
    query.pop("page", None)
    severity_query = request.GET.copy()
    for name in ("page", "severity"):
        severity_query.pop(name, None)
    known = [by_severity[s] for s in SEVERITIES]
    return render(request, "security/findings.html", {
        "filter_form": form,
        "filters": filters,
        "counts": counts,
        "total": total,
        "more": more,
        "limit_label": f"{TEXT_COUNT_LIMIT:,}",
        "severity_chips": [(s, SEVERITY_LABELS[s], by_severity[s]) for s in SEVERITIES
                           if by_severity[s] != 0 or s != "info"],
        "severity_query": severity_query.urlencode(),
        "severity_all": None if None in known else sum(known),
        "page": page,
        "rows": rows_for(list(page.object_list)),
        "query": query.urlencode(),
    })


class Echo:
    def write(self, value):
        return value


@access_required
@require_safe
def findings_export(request):
    filters = FindingFilterForm(request.GET or None).filters()
    writer = csv.writer(Echo())
    ids = list(findings_queryset(filters).values_list("id", flat=True))

    def lines():
        yield writer.writerow(CSV_HEADER)
        for start in range(0, len(ids), CSV_CHUNK):
            for row in rows_for(ids[start:start + CSV_CHUNK]):
                yield writer.writerow(csv_row(row))

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="findings.csv"'
    return response
