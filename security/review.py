"""The connection port security review: every connection, with what decides whether its TLS works.

``review_queryset`` filters and sorts (worst verdict first) in the database; ``review_rows`` loads
what a page (or a CSV chunk) shows in a fixed number of queries, whatever the number of connections.
Each row's verdict is ``security.verdicts``' (the same as on the client's readiness panel); a Cluster
client's row shows each Node that runs the connection, its provider and store, and names the failing ones.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.template.loader import get_template
from django.utils.safestring import mark_safe

from applications.links import url_for_ids
from applications.models import Application, AppType, Connection, PendingRestartChange
from applications.sorting import Column
from applications.text import csv_cell
from applications.widgets import esc
from security.checks import ERROR
from security.checks.verdict import SEVERITY_RANK, Verdict
from security.effective_tls import (
    LEVEL_LABELS,
    PARAMETERS,
    EffectiveTls,
)
from security.models import ConnectionCheck, Finding, TrustedStore
from security.verdicts import (
    ConnectionView,
    ProbeView,
    connection_views,
    fetch_chain_url,
    probe_cell_html,
    with_verdict_data,
)

STORE_STATUS_LABELS = {
    "error": "errors",
    "warning": "warnings",
    "ok": "valid",
    "unchecked": "not validated yet",
    "unknown": "not a known store",
    "none": "no store",
}


def review_filter(*, insecure: bool = False, failing: bool = False, cluster: Application | None = None,
                  prefix: str = "") -> Q:
    """The review's filters, on connections (or, with ``prefix`` "connection__", on their checks).

    "failing" is a connection with an error finding, "insecure" one with ``connection.insecure_port``,
    both read from ``ConnectionCheck``, written with the findings."""
    check = "" if prefix else "tls_check__"
    condition = Q()
    if insecure:
        condition &= Q(**{f"{check}insecure": True})
    if failing:
        condition &= Q(**{f"{check}worst": SEVERITY_RANK[ERROR]})
    if cluster is not None:
        condition &= Q(**{f"{prefix}client": cluster}) | Q(**{f"{prefix}client__cluster": cluster})
    return condition


def review_queryset(*, insecure: bool = False, failing: bool = False,
                    cluster: Application | None = None) -> QuerySet[Connection]:
    """The connections the filters keep, worst verdict first, then by client, server and port; a
    connection never validated (saved a moment ago, its checks queued) comes last, by id. The CSV
    reads this; a page reads the same order through ``ReviewOrder``."""
    return Connection.objects.filter(review_filter(insecure=insecure, failing=failing, cluster=cluster)).order_by(
        F("tls_check__worst").asc(nulls_last=True), "tls_check__client_name", "tls_check__server_name",
        "tls_check__port_id", "pk")


# The review's headers: those stored on ConnectionCheck sort (each order has its index); the others
# are computed for the rows shown and do not. Verdict is the default: worst first.
REVIEW_COLUMNS = [
    Column("client", "Client", ["client_name", "server_name", "port_id", "connection_id"]),
    Column("server", "Server", ["server_name", "client_name", "port_id", "connection_id"]),
    Column("port", "Port", ["port_id", "client_name", "server_name", "connection_id"]),
    Column("verdict", "Verdict", ["worst", "client_name", "server_name", "port_id", "connection_id"]),
    Column("provider", "Client's provider"),
    Column("store", "Trusted store"),
    Column("effective", "Effective TLS"),
    Column("probe", "Last probe"),
    Column("findings", "Findings"),
]
DEFAULT_ORDER = REVIEW_COLUMNS[3].order


class ReviewOrder:
    """The ids of the review's connections in ``review_queryset``'s order (or the ``order`` of one of
    ``REVIEW_COLUMNS``), for the paginator: those validated from an index scan of ``ConnectionCheck``,
    then those not validated yet. Sorting 20,000 joined rows for each page of 50 cost 20-30 ms."""

    def __init__(self, *, insecure: bool = False, failing: bool = False, cluster: Application | None = None,
                 order: list | None = None):
        self.checked = (ConnectionCheck.objects.filter(review_filter(
            insecure=insecure, failing=failing, cluster=cluster, prefix="connection__"))
            .order_by(*(order or DEFAULT_ORDER))
            .values_list("connection_id", flat=True))
        # Never validated: no finding, so no filter on findings keeps them.
        self.all = None if insecure or failing else Connection.objects.filter(review_filter(cluster=cluster))

    @property
    def unchecked(self):
        return self.all.filter(tls_check__isnull=True).order_by("pk").values_list("pk", flat=True)

    def count(self) -> int:
        if self.all is not None:
            # Every check belongs to a connection the same filter keeps: the rest were never validated.
            return self.all.count()
        return self.checked.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[int]:
        ids = list(self.checked[window.start:window.stop])
        if self.all is None or len(ids) == window.stop - window.start:
            return ids
        # The validated ones end in or before this window: those never validated follow. Their number is
        # counted only when the window starts after them (counting them was a second scan of the estate).
        checked = window.start + len(ids) if ids else self.checked.count()
        return ids + list(self.unchecked[max(window.start - checked, 0):window.stop - checked])


# Timestamps no row shows: parsing them was a third of loading a page's rows.
UNSHOWN_TIMESTAMPS = (
    "created_at",
    *(f"port__application__{name}"
      for name in ("created_at", "updated_at", "checks_requested_at", "last_restarted_at")),
    "port__application__host__created_at", "port__application__host__updated_at",
)
# The other columns no row, verdict or effective TLS reads, of the server and its host joined (the clients are
# read by ``with_clients``, their few columns only).
UNSHOWN_FIELDS = (
    *(f"port__application__{name}" for name in ("version_key", "enabled", "backup_server_id", "service_account",
                                                 "working_directory", "command_line", "command_line_arguments",
                                                 "options_revision")),
    "port__application__host__description", "port__application__host__options_revision",
    # The connection's ADDP settings (its check is only whether there is one: ``validated``).
    "protocol", "addp_local_timeout", "addp_remote_timeout", "addp_trace",
)


def with_row_data(qs: QuerySet[Connection]) -> QuerySet[Connection]:
    """The server and its host joined, the last probe's id and the client's restart flag. The clients are read
    apart, once the connections are (``with_clients``): joined, the planner hashed every application of the
    estate to find a page's clients (a sequential scan, 1-1.3 ms at 5,000 applications, growing with them)."""
    return with_verdict_data(qs, clients=False).defer(*UNSHOWN_TIMESTAMPS, *UNSHOWN_FIELDS).annotate(
        client_restart_required=Exists(PendingRestartChange.objects.filter(application=OuterRef("client_id"))),
    )


def review_page(order: ReviewOrder, number, per_page: int) -> tuple[Page, list[Connection]]:
    """One page of the review: its ids in order (``ReviewOrder``), then those connections with
    everything joined, put back in the page's order."""
    page = Paginator(order, per_page).get_page(number)
    ids = list(page.object_list)
    # Unordered: the page's order is the ids' (sorting them by three joined names was a sort for nothing).
    loaded = with_row_data(Connection.objects.filter(pk__in_array=set(ids))).order_by().in_bulk()
    return page, with_clients([loaded[pk] for pk in ids if pk in loaded])


# What the rows, the verdicts and the effective TLS read of a client and of its Cluster.
CLIENT_FIELDS = ("name", "app_type", "version", "host_id", "cluster_id", "scs_controlled")


def with_clients(connections: list[Connection]) -> list[Connection]:
    """``connections`` with their clients (and each client's Cluster) set, read in one query by id, each client
    one instance shared by its connections (a page lists several connections of a client). A connection whose
    client was deleted between the two reads (its connections with it) is left out, as if read a moment later."""
    wanted = {connection.client_id for connection in connections}
    clients = Application.objects.filter(pk__in_array=wanted).select_related("cluster").only(
        *CLIENT_FIELDS, *(f"cluster__{name}" for name in CLIENT_FIELDS)).in_bulk() if wanted else {}
    kept = [connection for connection in connections if connection.client_id in clients]
    for connection in kept:
        connection.client = clients[connection.client_id]
    return kept


@dataclass
class RunnerCell:
    """One application that runs the row's connection (the client, or one Node of a Cluster)."""

    name: str
    provider: str | None
    provider_on: str
    store: TrustedStore | None
    store_status: str
    failing: bool

    @property
    def store_status_label(self) -> str:
        return STORE_STATUS_LABELS[self.store_status]


STORE_BADGES = {"error": "text-bg-danger", "warning": "text-bg-warning", "ok": "text-bg-success"}


# The cells below are f-strings with each value escaped once (``esc``): ``format_html`` and Django's
# ``escape`` go through a lazy-string wrapper per value, and a page called them five hundred times.


@functools.lru_cache(maxsize=4096)
def esc_name(name: str) -> str:
    """An application's name escaped once: a Cluster's row names each of its Nodes in up to four cells
    (providers, stores, the verdict's "on" line and ``data-failing``), 1,500 of a page's 4,200 escapes."""
    return esc(name)


def provider_html(cell: RunnerCell) -> str:
    if cell.provider:
        text = esc(cell.provider)
    elif cell.provider == "":
        text = '<span class="text-muted">empty (TLS off)</span>'
    else:
        text = '<span class="text-muted">not set</span>'
    if cell.provider_on:
        text += f' <span class="text-muted">(on {esc(cell.provider_on)})</span>'
    return text


def store_html(cell: RunnerCell) -> str:
    badge = STORE_BADGES.get(cell.store_status, "text-bg-light border")
    return f'{esc(cell.store.name) if cell.store else ""} <span class="badge {badge}">{cell.store_status_label}</span>'


def breakable(name: str) -> str:
    """A Node's name that may break after its underscores ("Cobrowse_Node_SCS_1"): the narrow provider and
    store columns break it there rather than in the middle of a word."""
    return esc_name(name).replace("_", "_<wbr>")


def grouped_html(cells: list[RunnerCell], several: bool, key: Callable[[RunnerCell], tuple],
                 render: Callable[[RunnerCell], str]) -> str:
    """One line per distinct value, naming the Nodes that have it: "All 10 Nodes: PEM" when they agree,
    each group of Nodes when they differ (a Cluster row never shows one Node's value for all)."""
    groups: dict[tuple, list[RunnerCell]] = {}
    for cell in cells:
        groups.setdefault(key(cell), []).append(cell)
    lines = []
    for members in groups.values():
        value = render(members[0])
        if not several:
            lines.append(f"<div>{value}</div>")
            continue
        names = (f"All {len(cells)} Nodes" if len(groups) == 1 and len(cells) > 1
                 else ", ".join(breakable(c.name) for c in members))
        failing = ' class="text-danger-emphasis"' if any(c.failing for c in members) else ""
        lines.append(f"<div{failing}>{names}: {value}</div>")
    return "".join(lines)


def provider_key(cell: RunnerCell) -> tuple:
    return cell.provider, cell.provider_on


def store_key(cell: RunnerCell) -> tuple:
    return cell.store.pk if cell.store else None, cell.store_status


@dataclass
class ReviewRow:
    connection: Connection
    view: ConnectionView
    runners: list[RunnerCell]
    verdict: Verdict
    # Links, labels and the per-Node cells of the row, set by add_links() for the page (the CSV has none).
    client_url: str = ""
    server_url: str = ""
    probe_url: str = ""
    client_type: str = ""
    server_type: str = ""
    providers_html: str = ""
    stores_html: str = ""
    probe_html: str = ""
    fetch_url: str = ""  # the last probe found the chain untrusted: fetch it to import its CA
    effective_html: str = ""
    # The client side's effective TLS parameters (``security.effective_tls``), set by review_rows.
    effective: EffectiveTls | None = None

    @property
    def client(self) -> Application:
        return self.connection.client

    @property
    def server(self) -> Application:
        return self.connection.port.application

    @property
    def findings(self) -> list[Finding]:
        return self.view.findings

    @property
    def finding_lines(self) -> list[tuple[Finding, int]]:
        """Each code once with how many more findings of it (one per Node): the verdict column names the
        Nodes, and ten copies of one message made the row unreadable. The CSV lists them all."""
        lines: dict[tuple[str, str], list[Finding]] = {}
        for finding in self.findings:
            lines.setdefault((finding.severity, finding.code), []).append(finding)
        return [(same[0], len(same) - 1) for same in lines.values()]

    @property
    def probe(self) -> ProbeView | None:
        return self.view.probe

    @property
    def several_runners(self) -> bool:
        return len(self.runners) > 1 or (bool(self.runners) and self.runners[0].name != self.client.name)

    @property
    def worst(self) -> str:
        severities = {f.severity for f in self.findings}
        return next((s for s in ("error", "warning", "info") if s in severities), "")


def review_rows(connections: list[Connection]) -> list[ReviewRow]:
    # The page's connections with the effective TLS as each runner runs them: one read of the clients,
    # their Nodes and sections for the effective TLS and the verdicts alike, a fixed number of queries.
    views = connection_views(connections, with_effective=True)
    stores = {r.store.pk: r.store for v in views.values() for r in v.runners if r.store is not None}
    store_severity: dict[int, set[str]] = {}
    for subject, severity in Finding.objects.filter(
            subject__in_array={f"store:{pk}" for pk in stores}).values_list("subject", "severity"):
        store_severity.setdefault(int(subject.split(":")[1]), set()).add(severity)
    rows = []
    # A page shows several connections of one client (50 rows, 26 Clusters of ten Nodes): the cells of its
    # runners are the same for those failing on the same Nodes, and made once. Nothing changes a cell.
    cells_of: dict[tuple, list[RunnerCell]] = {}
    for connection in connections:
        view = views[connection.pk]
        verdict = view.verdict
        key = (connection.client_id, verdict.failing)
        if key not in cells_of:
            failing = set(verdict.failing)
            cells_of[key] = [RunnerCell(
                name=r.app.name,
                provider=r.section.provider if r.section.present else None,
                provider_on=r.section_from.name if r.section_from else "",
                store=r.store,
                store_status=store_status(r.section, r.store, store_severity),
                failing=r.app.name in failing,
            ) for r in view.runners]
        rows.append(ReviewRow(connection=connection, view=view, runners=cells_of[key], verdict=verdict,
                              effective=view.effective))
    return rows


APP_TYPE_LABELS = dict(AppType.choices)


def add_links(rows: list[ReviewRow]) -> list[ReviewRow]:
    """Links and display labels of a page's rows, computed here once rather than looked up by the
    template through ``get_FOO_display`` (which rebuilds the choices on every call)."""
    connections, detail, probe, tls = (url_for_ids(name) for name in (
        "applications:connections", "applications:detail", "security:probe", "security:connection_tls"))
    # Rows sharing their cells (``review_rows``: one client's connections failing on the same Nodes) share
    # their providers and stores lines, rendered once.
    grouped: dict[int, tuple[str, str]] = {}
    for row in rows:
        row.client_url = connections(row.client.pk)
        row.server_url = detail(row.server.pk)
        row.probe_url = probe(row.connection.pk)
        row.client_type = APP_TYPE_LABELS.get(row.client.app_type, row.client.app_type)
        row.server_type = APP_TYPE_LABELS.get(row.server.app_type, row.server.app_type)
        # Rendered here: a Cluster's row has a line per group of Nodes, and a template loop per Node
        # cost more than the rest of the row.
        if id(row.runners) not in grouped:
            several = row.several_runners
            grouped[id(row.runners)] = (
                mark_safe(grouped_html(row.runners, several, provider_key, provider_html)),
                mark_safe(grouped_html(row.runners, several, store_key, store_html)))
        row.providers_html, row.stores_html = grouped[id(row.runners)]
        row.probe_html = probe_cell_html(row.probe)
        row.fetch_url = fetch_chain_url(row.probe)
        row.effective_html = mark_safe(effective_html(row.effective, tls(row.connection.pk)))
    return rows


# The review's Effective TLS cell: the parameters that decide whether the handshake works, each with
# the level it comes from (tls and tls-mutual are the Port column's badge).
REVIEW_PARAMETERS = ("provider", "trusted-ca", "certificate", "tls-target-name-check", "sec-protocol", "cipher-list")
ROW_LEVELS = ("connection", "port")


def effective_html(effective: EffectiveTls | None, link: str) -> str:
    if effective is None:
        return ""
    lines = []
    for name in REVIEW_PARAMETERS:
        parameter = effective.parameters[name]
        source = parameter.source
        if source is None:
            continue
        # The row's own connection and port go without their long name ("Connection A → B:secure"): it
        # is the row. An Application or Host keeps it (a Cluster's row reads a Node's section). The full
        # name is the title, and the connection's Effective TLS page lists every level.
        shown = LEVEL_LABELS[source.level] if source.level in ROW_LEVELS else source.label
        lines.append(f'<div><span class="mono">{esc(name)}</span> = <span class="mono text-break">'
                     f'{esc(parameter.value)}</span> <span class="text-muted" title="{esc(source.label)}">'
                     f"({esc(shown)})</span></div>")
    if not lines:
        lines.append('<div class="text-muted">none set</div>')
    lines.append(f'<a href="{esc(link)}">all parameters</a>')
    return "".join(lines)


class SharedBadges:
    """The TLS and verdict badges of a page's rows, each variant rendered once from its shared template
    (``_tls_badge.html``, ``security/_verdict_badge.html``: the same badge on every page)."""

    def __init__(self):
        self.tls_template = get_template("_tls_badge.html")
        self.verdict_template = get_template("security/_verdict_badge.html")
        self.rendered: dict[tuple, str] = {}

    def tls(self, secured: bool) -> str:
        key = ("tls", bool(secured))
        if key not in self.rendered:
            self.rendered[key] = self.tls_template.render({"secured": secured})
        return self.rendered[key]

    def verdict(self, verdict: Verdict) -> str:
        key = ("verdict", verdict.state, verdict.label, verdict.warnings)
        if key not in self.rendered:
            self.rendered[key] = self.verdict_template.render({"verdict": verdict})
        return self.rendered[key]


FINDING_BADGES = {"error": "text-bg-danger", "warning": "text-bg-warning"}
NO_TLS_TO_PROBE = ('<div class="text-muted" title="A probe tests a TLS handshake: this port does not speak TLS.">'
                   "no TLS to probe</div>")


def more_like_it(more: int) -> str:
    return f' <span class="fw-semibold">(and {more} more like it)</span>' if more else ""


def row_html(row: ReviewRow, *, badges: SharedBadges, can_secure: bool, csrf_token: str, this_page: str) -> str:
    """One row of the review, character for character what the template loop of ``security/review.html``
    wrote (its whitespace included): the template engine's lookups for the forty variables of each of
    fifty rows were a third of the page. The cells of several lines (providers, stores, probe) come from
    ``add_links``, the badges from their shared templates."""
    connection, client, server, verdict = row.connection, row.client, row.server, row.verdict
    port = connection.port
    restart = ' <span class="badge badge-restart">restart required</span>' if connection.client_restart_required else ""
    on_nodes = (f'<div class="small">on {", ".join(esc_name(name) for name in verdict.failing)}</div>'
                if verdict.failing and row.several_runners else "")
    probe = row.probe_html
    if can_secure:
        if server.host and port.secured:
            probe += (
                f'<form method="post" action="{esc(row.probe_url)}" class="mt-1"><input type="hidden" '
                f'name="csrfmiddlewaretoken" value="{esc(csrf_token)}"><input type="hidden" name="next" '
                f'value="{esc(this_page)}"><button class="btn btn-sm btn-outline-secondary" type="submit">'
                f'{"Probe again" if row.probe else "Probe"}</button></form>')
            if row.fetch_url:
                probe += f'<a class="small fetch-chain" href="{esc(row.fetch_url)}">Fetch this server\'s chain</a>'
        elif not port.secured:
            probe += NO_TLS_TO_PROBE
    findings = "".join(
        f'<div><span class="badge {FINDING_BADGES.get(finding.severity, "text-bg-secondary")}">{esc(finding.severity)}'
        f'</span> <span class="text-muted" title="{esc(finding.code)}">{esc(finding.message)}</span>'
        f'{more_like_it(more)}</div>'
        for finding, more in row.finding_lines) or '<span class="text-muted">none</span>'
    address = (server.host.address if server.host else "") or "?"
    return (
        f'\n    <tr data-connection="{connection.pk}" data-verdict="{esc(verdict.state)}" '
        f'data-failing="{"|".join(esc_name(name) for name in verdict.failing)}">'
        f'\n      <td><a href="{esc(row.client_url)}">{esc(client.name)}</a>{restart}'
        f'<div class="small text-muted">{esc(row.client_type)} {esc(client.version)}</div></td>'
        f'\n      <td><a href="{esc(row.server_url)}">{esc(server.name)}</a><div class="small text-muted">'
        f'{esc(row.server_type)}</div></td>'
        f'\n      <td class="text-nowrap"><span class="mono">{esc(port.port_id)}</span> {badges.tls(port.secured)}'
        f'<div class="mono small">{esc(address)}:{port.number}</div></td>'
        f'\n      <td>{badges.verdict(verdict)}{on_nodes}</td>'
        f'\n      <td class="small">{row.providers_html}</td>'
        f'\n      <td class="small">{row.stores_html}</td>'
        f'\n      <td class="small">{row.effective_html}</td>'
        f'\n      <td class="small">{probe}</td>'
        f'\n      <td class="small">{findings}</td>'
        f'\n    </tr>\n  ')


def rows_html(rows: list[ReviewRow], *, can_secure: bool, csrf_token: str, this_page: str) -> list[ReviewRow]:
    """Set ``html`` on each row of a page (``row_html``)."""
    badges = SharedBadges()
    for row in rows:
        row.html = mark_safe(row_html(row, badges=badges, can_secure=can_secure, csrf_token=csrf_token,
                                      this_page=this_page))
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
    "client restart required", "verdict", "not ready on", "last probe reached", "last probe stale",
    # The client side's effective TLS (security.effective_tls): each parameter's value and where it comes from.
    *(f"effective {name}{suffix}" for name in PARAMETERS for suffix in ("", " from")),
]


def per_runner(row: ReviewRow, value) -> str:
    """One value per application that runs the connection, named when they are Nodes."""
    values = [value(cell) for cell in row.runners]
    if not row.several_runners:
        return values[0] if values else ""
    return "; ".join(f"{cell.name}: {v}" for cell, v in zip(row.runners, values, strict=True))


def csv_row(row: ReviewRow) -> list[str]:
    connection, server, probe = row.connection, row.server, row.probe
    return [csv_cell(v) for v in (
        row.client.name, row.client.get_app_type_display(), server.name, server.get_app_type_display(),
        server.host.address if server.host else "", connection.port.port_id, connection.port.number,
        "yes" if connection.port.secured else "no",
        per_runner(row, lambda c: c.provider if c.provider is not None else ""),
        per_runner(row, lambda c: c.provider_on),
        per_runner(row, lambda c: c.store.name if c.store else ""),
        per_runner(row, lambda c: c.store_status_label),
        probe.probe.outcome if probe else "", probe.probe.at.isoformat() if probe else "",
        "; ".join(f"{f.severity} {f.code}" for f in row.findings),
        "yes" if connection.client_restart_required else "no",
        row.verdict.label, ", ".join(row.verdict.failing),
        probe.reached if probe else "", "; ".join(probe.stale) if probe else "",
        *effective_cells(row.effective),
    )]


def effective_cells(effective: EffectiveTls | None) -> list[str]:
    """Per parameter: its effective value and "<Level> <object>" (empty when set nowhere)."""
    cells = []
    for name in PARAMETERS:
        parameter = effective.parameters[name] if effective else None
        cells += [parameter.value or "", parameter.source.label] if parameter and parameter.source else ["", ""]
    return cells
