"""The findings page: every finding the checks stored, with the object it is about, filtered and counted.

Nothing here judges anything: the rows are the stored findings (``security.validation`` writes them),
read as they are. What this module adds is how an operator finds their way through them:

- the filters (severity, kind of object, application type, host, Cluster, text) as one ``Q``;
- the counts per filter value, from **one** grouped query over an index: the findings are grouped by
  severity, kind, application type, host and Cluster, and each filter's counts are summed in Python over the
  groups the *other* filters keep (what a value would give if chosen with the rest unchanged);
- the order (errors, then warnings, then information; by code within each) read severity by
  severity through an index, so a page of 50 never sorts every finding (``FindingsOrder``);
- the rows of a page (or of a CSV chunk) with their object's name and link, in one query.

The kind, application type, host and Cluster of a finding are columns of the finding, copied when the
checks write it (``security.validation.placement_of``): those of the application it is about, or for a
connection those of its client (the application whose Connections tab holds it). Filters and counts
read those columns and the index over them, never a join to the applications.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from applications.models import AppType
from security.models import Finding, Severity
from security.review import csv_cell, url_for_ids

SEVERITIES = [Severity.ERROR, Severity.WARNING, Severity.INFO]
SEVERITY_LABELS = {Severity.ERROR: "Errors", Severity.WARNING: "Warnings", Severity.INFO: "Information"}
KINDS = {"application": "Applications", "connection": "Connections", "store": "Trusted stores"}
KIND_LABELS = {"application": "application", "connection": "connection", "store": "trusted store"}
APP_TYPE_LABELS = dict(AppType.choices)
DIMENSIONS = ("severity", "kind", "app_type", "host", "cluster")


@dataclass(frozen=True)
class FindingFilters:
    severity: str = ""
    kind: str = ""
    app_type: str = ""
    host: int | None = None
    cluster: int | None = None
    text: str = ""

    def active(self) -> bool:
        return any(getattr(self, name) not in ("", None) for name in (*DIMENSIONS, "text"))


def text_condition(text: str) -> Q:
    if not text:
        return Q()
    # A connection's messages name its client (or the Node that runs it) and its server; a store's do
    # not name the store, nor some of an application's the application: those two names are joined
    # (small tables), the connections (the largest) are not.
    return (Q(message__icontains=text) | Q(hint__icontains=text) | Q(code__icontains=text)
            | Q(store__name__icontains=text) | Q(application__name__icontains=text))


def kind_condition(kind: str) -> Q:
    return Q(kind=kind) if kind in KINDS else Q()


def app_type_condition(app_type: str) -> Q:
    return Q(app_type=app_type) if app_type else Q()


def host_condition(host: int | None) -> Q:
    return Q(host_id=host) if host else Q()


def cluster_condition(cluster: int | None) -> Q:
    """The Cluster itself and its Nodes, for findings about applications and about their connections."""
    return Q(cluster_id=cluster) if cluster else Q()


def condition(filters: FindingFilters, *, without: str = "") -> Q:
    """The filters as one condition; ``without``: leave that one out (its own counts)."""
    parts = {
        "severity": Q(severity=filters.severity) if filters.severity else Q(),
        "kind": kind_condition(filters.kind),
        "app_type": app_type_condition(filters.app_type),
        "host": host_condition(filters.host),
        "cluster": cluster_condition(filters.cluster),
    }
    result = text_condition(filters.text)
    for name, part in parts.items():
        if name != without:
            result &= part
    return result


def findings_queryset(filters: FindingFilters) -> QuerySet[Finding]:
    """Every finding the filters keep, in the page's order (the CSV reads it in chunks)."""
    rank = Case(*(When(severity=s, then=Value(i)) for i, s in enumerate(SEVERITIES)), default=Value(len(SEVERITIES)),
                output_field=IntegerField())
    return Finding.objects.filter(condition(filters)).order_by(rank, "code", "id")


@dataclass
class Facets:
    """How many findings each filter value gives with the other filters as they are."""

    severity: Counter = field(default_factory=Counter)
    kind: Counter = field(default_factory=Counter)
    app_type: Counter = field(default_factory=Counter)
    host: Counter = field(default_factory=Counter)
    cluster: Counter = field(default_factory=Counter)
    total: int = 0  # the findings all the filters keep

    def matched_by_severity(self, filters: FindingFilters) -> dict[str, int]:
        """The findings every filter keeps, per severity (the page's slices)."""
        return {s: (self.severity[s] if not filters.severity or filters.severity == s else 0) for s in SEVERITIES}


def facets(filters: FindingFilters) -> Facets:
    """The counts of every filter in one grouped query (only the text filter is applied in SQL)."""
    groups = (
        Finding.objects.filter(text_condition(filters.text))
        .values_list("severity", "kind", "app_type", "host_id", "cluster_id")
        .annotate(n=Count("*"))
        .order_by()
    )
    wanted = {"severity": filters.severity, "kind": filters.kind, "app_type": filters.app_type,
              "host": filters.host, "cluster": filters.cluster}
    result = Facets()
    for severity, kind, app_type, host, cluster, n in groups:
        values = {"severity": severity, "kind": kind, "app_type": app_type or None, "host": host, "cluster": cluster}
        misses = [name for name in DIMENSIONS if wanted[name] not in ("", None) and values[name] != wanted[name]]
        if not misses:
            result.total += n
            for name in DIMENSIONS:
                getattr(result, name)[values[name]] += n
        elif len(misses) == 1:
            # Kept by every other filter: counts for the value of the one it misses.
            getattr(result, misses[0])[values[misses[0]]] += n
    return result


class FindingsOrder:
    """The ids of the filtered findings in the page's order, for the paginator: errors, then warnings,
    then information, each read through the index on (severity, code, id) and sliced there. The
    count per severity comes from ``Facets`` (no COUNT query)."""

    def __init__(self, filters: FindingFilters, counts: dict[str, int]):
        self.base = Finding.objects.filter(condition(filters, without="severity"))
        self.counts = counts

    def count(self) -> int:
        return sum(self.counts.values())

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[int]:
        ids: list[int] = []
        offset = 0
        for severity in SEVERITIES:
            n = self.counts[severity]
            start, stop = max(window.start - offset, 0), min(window.stop - offset, n)
            if n and start < stop:
                ids += list(self.base.filter(severity=severity).order_by("code", "id")
                            .values_list("id", flat=True)[start:stop])
            offset += n
        return ids


@dataclass
class FindingRow:
    finding: Finding
    kind: str
    object_name: str
    url: str

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)


ROW_FIELDS = (
    "subject", "code", "severity", "message", "hint", "kind", "app_type", "host", "cluster",
    "store", "application", "connection", "application__host",
    "connection__client", "connection__client__host", "connection__port", "connection__port__application",
    "store__name", "application__name",
    "application__app_type", "application__host__name", "connection__client__name", "connection__client__app_type",
    "connection__client__host__name", "connection__port__port_id", "connection__port__application__name",
)


def rows_for(findings: QuerySet[Finding] | list[int]) -> list[FindingRow]:
    """The rows of these findings (a queryset in order, or ids in order), their objects joined in one query."""
    if isinstance(findings, list):
        loaded = row_queryset(Finding.objects.filter(pk__in=findings)).in_bulk()
        ordered = [loaded[pk] for pk in findings if pk in loaded]
    else:
        ordered = list(row_queryset(findings))
    store_url, app_url, connections_url = (url_for_ids(name) for name in (
        "security:store_detail", "applications:detail", "applications:connections"))
    rows = []
    for f in ordered:
        kind = f.subject.split(":", 1)[0]
        if f.store_id:
            rows.append(FindingRow(f, kind, f.store.name, store_url(f.store_id)))
        elif f.application_id:
            rows.append(FindingRow(f, kind, f.application.name, app_url(f.application_id)))
        elif f.connection_id:
            c = f.connection
            rows.append(FindingRow(f, kind, f"{c.client.name} → {c.port.application.name}:{c.port.port_id}",
                                   connections_url(c.client_id)))
        else:
            rows.append(FindingRow(f, kind, f.subject, ""))
    return rows


def row_queryset(qs: QuerySet[Finding]) -> QuerySet[Finding]:
    return qs.select_related("store", "application__host", "connection__client__host",
                             "connection__port__application").only(*ROW_FIELDS)


CSV_HEADER = ["severity", "object kind", "object", "application type", "host", "message", "fix", "code"]


def csv_row(row: FindingRow) -> list[str]:
    f = row.finding
    app = f.application if f.application_id else (f.connection.client if f.connection_id else None)
    return [csv_cell(v) for v in (
        f.severity, row.kind_label, row.object_name,
        APP_TYPE_LABELS.get(app.app_type, app.app_type) if app else "",
        app.host.name if app and app.host_id else "", f.message, f.hint, f.code,
    )]
