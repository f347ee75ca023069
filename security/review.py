"""The connection port security review: every connection, with what decides whether its TLS works.

``review_queryset`` filters in the database; ``review_rows`` loads what a page (or a CSV chunk)
shows in a fixed number of queries, whatever the number of connections.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse

from applications.models import Application, AppType, Connection, PendingRestartChange, Port
from security.deployment import runs_with, saved_sections, stores_for
from security.models import Finding, ProbeOutcome, ProbeResult, TrustedStore

STORE_STATUS_LABELS = {
    "error": "errors",
    "warning": "warnings",
    "ok": "valid",
    "unchecked": "not validated yet",
    "unknown": "not a known store",
    "none": "no store",
}


def review_queryset(*, insecure: bool = False, failing: bool = False,
                    cluster: Application | None = None) -> QuerySet[Connection]:
    """The connections the filters keep, in the review's order; ``with_row_data`` adds what a row shows."""
    qs = Connection.objects.order_by("client__name", "port__application__name", "port__port_id", "pk")
    if insecure:
        # What still goes through a non-secure port while the server offers a secure one (J5).
        secure_port = Port.objects.filter(application=OuterRef("port__application"), secured=True)
        qs = qs.filter(Exists(secure_port), port__secured=False)
    if failing:
        # Two hashed id lists (one pass over the findings, one over the probes) rather than a check
        # per connection, which the database would evaluate once per row.
        errored = Finding.objects.filter(severity="error", connection__isnull=False).values("connection_id")
        latest = ProbeResult.objects.filter(connection=OuterRef("connection")).order_by("-at", "-id").values("pk")[:1]
        probe_failed = (ProbeResult.objects.filter(pk=Subquery(latest)).exclude(outcome=ProbeOutcome.OK)
                        .values("connection_id"))
        qs = qs.filter(Q(pk__in=errored) | Q(pk__in=probe_failed))
    if cluster is not None:
        qs = qs.filter(Q(client=cluster) | Q(client__cluster=cluster))
    return qs


# Timestamps no row shows: parsing them was a third of loading a page's rows.
UNSHOWN_TIMESTAMPS = (
    "created_at",
    *(f"{app}__{name}" for app in ("client", "port__application")
      for name in ("created_at", "updated_at", "checks_requested_at", "last_restarted_at")),
    "port__application__host__created_at", "port__application__host__updated_at",
)


def with_row_data(qs: QuerySet[Connection]) -> QuerySet[Connection]:
    """The client, the server and its host joined, the last probe's id and the client's restart flag."""
    last_probe = ProbeResult.objects.filter(connection=OuterRef("pk")).order_by("-at", "-id")
    return qs.select_related("client__cluster", "port__application__host").defer(*UNSHOWN_TIMESTAMPS).annotate(
        last_probe_id=Subquery(last_probe.values("id")[:1]),
        client_restart_required=Exists(PendingRestartChange.objects.filter(application=OuterRef("client_id"))),
    )


def review_page(qs: QuerySet[Connection], number, per_page: int) -> tuple[Page, list[Connection]]:
    """One page of ``qs``: its ids from a narrow query (the sort needs only the names), then those
    connections with everything joined, put back in the page's order. Sorting 20,000 wide joined
    rows to keep 50 took longer, and so did sorting the 50 again in the database."""
    page = Paginator(qs.values_list("pk", flat=True), per_page).get_page(number)
    ids = list(page.object_list)
    loaded = with_row_data(Connection.objects.filter(pk__in=ids)).in_bulk()
    return page, [loaded[pk] for pk in ids if pk in loaded]


@dataclass
class ReviewRow:
    connection: Connection
    provider: str | None
    provider_on: str
    store: TrustedStore | None
    store_status: str
    probe: ProbeResult | None
    findings: list[Finding] = field(default_factory=list)
    # Links and labels of the row, set by add_links() for the page (the CSV has none).
    client_url: str = ""
    server_url: str = ""
    probe_url: str = ""
    client_type: str = ""
    server_type: str = ""
    probe_outcome: str = ""

    @property
    def client(self) -> Application:
        return self.connection.client

    @property
    def server(self) -> Application:
        return self.connection.port.application

    @property
    def store_status_label(self) -> str:
        return STORE_STATUS_LABELS[self.store_status]

    @property
    def worst(self) -> str:
        severities = {f.severity for f in self.findings}
        return next((s for s in ("error", "warning", "info") if s in severities), "")


def review_rows(connections: list[Connection]) -> list[ReviewRow]:
    clients = {c.client_id: c.client for c in connections}
    cluster_ids = [pk for pk, app in clients.items() if app.app_type == AppType.COBROWSE_CLUSTER]
    nodes: dict[int, list[Application]] = {pk: [] for pk in cluster_ids}
    for node in Application.objects.filter(cluster_id__in=cluster_ids).order_by("name").only("name", "cluster_id"):
        nodes[node.cluster_id].append(node)
    ids = set(clients) | {n.pk for ns in nodes.values() for n in ns} | {a.cluster_id for a in clients.values()
                                                                         if a.cluster_id}
    sections = saved_sections(ids)
    effective = {pk: runs_with(app, sections, nodes.get(pk, [])) for pk, app in clients.items()}
    stores = stores_for({s.app_id: s for s in effective.values() if s.present})
    names = {a.pk: a.name for a in clients.values()} | {n.pk: n.name for ns in nodes.values() for n in ns}
    store_severity: dict[int, set[str]] = {}
    for subject, severity in Finding.objects.filter(
            subject__in=[f"store:{s.pk}" for s in stores.values()]).values_list("subject", "severity"):
        store_severity.setdefault(int(subject.split(":")[1]), set()).add(severity)
    probes = ProbeResult.objects.in_bulk([c.last_probe_id for c in connections if c.last_probe_id])
    findings: dict[int, list[Finding]] = {}
    for finding in Finding.objects.filter(connection_id__in=[c.pk for c in connections]).order_by("severity", "code"):
        findings.setdefault(finding.connection_id, []).append(finding)
    rows = []
    for connection in connections:
        section = effective[connection.client_id]
        store = stores.get(section.app_id) if section.present else None
        rows.append(ReviewRow(
            connection=connection,
            provider=section.provider if section.present else None,
            provider_on=names.get(section.app_id, "") if section.app_id != connection.client_id else "",
            store=store,
            store_status=store_status(section, store, store_severity),
            probe=probes.get(connection.last_probe_id),
            findings=findings.get(connection.pk, []),
        ))
    return rows


def url_for_ids(name: str) -> Callable[[int], str]:
    """``reverse(name, args=[pk])`` for many ids: the pattern is reversed once and the id put in.
    A page of the review has 150 links; reversing each cost more than rendering its row."""
    marker = 987654321
    before, found, after = reverse(name, args=[marker]).partition(str(marker))
    if not found or str(marker) in after:
        return lambda pk: reverse(name, args=[pk])
    return lambda pk: f"{before}{int(pk)}{after}"


APP_TYPE_LABELS = dict(AppType.choices)
PROBE_OUTCOME_LABELS = dict(ProbeOutcome.choices)


def add_links(rows: list[ReviewRow]) -> list[ReviewRow]:
    """Links and display labels of a page's rows, computed here once rather than looked up by the
    template through ``get_FOO_display`` (which rebuilds the choices on every call)."""
    connections, detail, probe = (url_for_ids(name) for name in (
        "applications:connections", "applications:detail", "security:probe"))
    for row in rows:
        row.client_url = connections(row.client.pk)
        row.server_url = detail(row.server.pk)
        row.probe_url = probe(row.connection.pk)
        row.client_type = APP_TYPE_LABELS.get(row.client.app_type, row.client.app_type)
        row.server_type = APP_TYPE_LABELS.get(row.server.app_type, row.server.app_type)
        if row.probe:
            row.probe_outcome = PROBE_OUTCOME_LABELS.get(row.probe.outcome, row.probe.outcome)
    return rows


def store_status(section, store: TrustedStore | None, severities: dict[int, set[str]]) -> str:
    if store is None:
        return "unknown" if section.present and section.provider else "none"
    found = severities.get(store.pk, set())
    if "error" in found:
        return "error"
    if "warning" in found:
        return "warning"
    return "ok" if store.last_validated_at else "unchecked"


CSV_HEADER = [
    "client", "client type", "server", "server type", "host", "port ID", "port", "secured", "client provider",
    "provider from", "trusted store", "store status", "last probe", "last probe at", "findings",
    "client restart required",
]


def csv_cell(value) -> str:
    text = "" if value is None else str(value)
    # A cell starting with = + - @ is a formula to spreadsheet programs: keep it text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_row(row: ReviewRow) -> list[str]:
    connection, server = row.connection, row.server
    return [csv_cell(v) for v in (
        row.client.name, row.client.get_app_type_display(), server.name, server.get_app_type_display(),
        server.host.address if server.host else "", connection.port.port_id, connection.port.number,
        "yes" if connection.port.secured else "no",
        row.provider if row.provider is not None else "", row.provider_on,
        row.store.name if row.store else "", row.store_status_label,
        row.probe.outcome if row.probe else "", row.probe.at.isoformat() if row.probe else "",
        "; ".join(f"{f.severity} {f.code}" for f in row.findings),
        "yes" if connection.client_restart_required else "no",
    )]
