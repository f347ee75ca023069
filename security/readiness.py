"""What the application page shows about TLS: the security section and where it belongs (R1), the
findings of the application, its connections and its trusted store, and the TLS readiness verdict:
will TLS work once the application is restarted with what is saved now?

The verdict is read from findings only (``readiness_for``): the application's own and the verdict of
each connection it runs, the same ``security.verdicts`` the connection review shows. Nothing here
reasons on its own, so the panel and the review cannot disagree.
"""

from collections import namedtuple
from dataclasses import dataclass, field

from applications.models import Application, AppType, Connection
from security.checks.verdict import UNCHECKED, Verdict, is_runner_specific, runner_key, verdict_of
from security.deployment import runs_with, sections_of, stores_for
from security.effective_tls import SecurityWorld
from security.models import Finding, TrustedStore
from security.rules import security_section_placement
from security.verdicts import ConnectionView, connection_views, fetch_chain_url, probe_cell_html, with_verdict_data


@dataclass
class FindingGroup:
    title: str
    findings: list[Finding]
    url: str = ""


@dataclass
class ConnectionLine:
    """A connection on an application's readiness panel, with its verdict for that application."""

    view: ConnectionView
    verdict: Verdict

    @property
    def connection(self) -> Connection:
        return self.view.connection

    @property
    def several_runners(self) -> bool:
        return len(self.view.runners) > 1

    @property
    def probe_html(self) -> str:
        return probe_cell_html(self.view.probe)

    @property
    def fetch_url(self) -> str:
        return fetch_chain_url(self.view.probe)


@dataclass
class Readiness:
    ready: bool
    pending: bool
    reasons: list[str] = field(default_factory=list)
    warnings: int = 0
    connections: list[ConnectionLine] = field(default_factory=list)
    errors: int = 0
    # Connections whose checks have not run yet: no error known, but "ready" would be a guess.
    unchecked: int = 0

    @property
    def verdict(self) -> str:
        if self.ready:
            return "ready"
        return "not checked yet" if not self.reasons else "not ready"


@dataclass(frozen=True)
class AppRef:
    """The little of an application (a Node, mostly) that its readiness needs."""

    pk: int
    name: str
    app_type: str
    cluster_id: int | None
    checks_requested_at: object = None


FindingRow = namedtuple("FindingRow", "code severity message detail_key")


@dataclass
class JudgedConnection:
    """What ``verdict_of`` reads for one connection: the same findings every page reads."""

    pk: int
    client_id: int
    secured: bool
    checked: bool
    findings: list = field(default_factory=list)

    def verdict(self, runners: dict[str, str], runner: str | None = None) -> Verdict:
        return verdict_of(self.findings, secured=self.secured, runners=runners, checked=self.checked,
                          runner=runner if runner in runners else None)


def panel_connections(app, by_client: dict[int, list]) -> list:
    """The connections an application's panel judges: its own, and for a Node its Cluster's (which
    it runs: R2). A Cluster's are its own; its Nodes' own connections are on the Nodes' panels."""
    own = by_client.get(app.pk, [])
    if app.app_type == AppType.COBROWSE_NODE and app.cluster_id:
        return by_client.get(app.cluster_id, []) + own
    return own


def readiness_for(apps: list[Application], pending: dict[int, bool] | None = None, *,
                  lines: bool = False, loaded: list[Connection] = (),
                  world: SecurityWorld | None = None) -> dict[int, Readiness]:
    """The TLS readiness of each application, read from findings only: its own, and the verdict of
    each connection it runs (``security.checks.verdict.verdict_of``, as on the review). A Cluster with
    Nodes is ready when every Node is. In a fixed number of queries for any number of applications,
    reading rows rather than objects (the application list shows fifty). ``lines``: also the
    connections with what the panel shows of them (the last probe), read from ``loaded`` (connections
    through ``with_verdict_data``) when it holds them all, judged with ``world`` when the caller read it
    for their clients (``connection_views`` reads one otherwise)."""
    apps = list(apps)
    clusters = {a.pk for a in apps if a.app_type == AppType.COBROWSE_CLUSTER} | {
        a.cluster_id for a in apps if a.app_type == AppType.COBROWSE_NODE and a.cluster_id}
    nodes_of: dict[int, list[AppRef]] = {}
    if clusters:
        for pk, name, cluster_id, requested in Application.objects.filter(cluster_id__in=clusters).order_by(
                "name").values_list("pk", "name", "cluster_id", "checks_requested_at"):
            nodes_of.setdefault(cluster_id, []).append(AppRef(pk, name, AppType.COBROWSE_NODE, cluster_id, requested))
    judged = apps + [n for a in apps if a.app_type == AppType.COBROWSE_CLUSTER for n in nodes_of.get(a.pk, [])]
    names = {a.pk: a.name for a in judged}
    clients = set(names) | {a.cluster_id for a in judged if a.cluster_id}
    connections: dict[int, JudgedConnection] = {}
    by_client: dict[int, list[JudgedConnection]] = {}
    client_connections = Connection.objects.filter(client_id__in=clients)
    for pk, client_id, secured, worst in client_connections.order_by(
            "port__application__name", "port__port_id", "pk").values_list(
            "pk", "client_id", "port__secured", "tls_check__worst"):
        connections[pk] = JudgedConnection(pk, client_id, secured, worst is not None)
        by_client.setdefault(client_id, []).append(connections[pk])
    if connections:
        # By a join on the clients, not a list of a thousand ids (Django's cost is per id).
        for connection_id, *row in Finding.objects.filter(connection__client_id__in=clients).values_list(
                "connection_id", "code", "severity", "message", "detail_key"):
            connections[connection_id].findings.append(FindingRow(*row))
    own: dict[int, list[tuple[str, str]]] = {}
    for app_id, severity, message in Finding.objects.filter(application_id__in=list(names)).order_by(
            "severity", "code").values_list("application_id", "severity", "message"):
        own.setdefault(app_id, []).append((severity, message))
    flags = pending or {}

    runners_of: dict[int, dict[str, str]] = {}

    def runners(client_id: int) -> dict[str, str]:
        if client_id not in runners_of:
            nodes = nodes_of.get(client_id)
            runners_of[client_id] = ({runner_key(n.pk): n.name for n in nodes} if nodes
                                     else {runner_key(client_id): names.get(client_id, "")})
        return runners_of[client_id]

    computed: dict[int, tuple] = {}

    def runner_readiness(app, *, named: bool = False) -> tuple[Readiness, int]:
        """``named``: the application's own findings are prefixed with its name (a Node on its Cluster's
        panel). Also returns the warnings of the connections it is the client of (counted once on a
        Cluster). Each application's connections are judged once, however many panels it is on."""
        if app.pk not in computed:
            computed[app.pk] = judge_runner(app)
        own_errors, connection_errors, warnings, own_warnings, found = computed[app.pk]
        errors = [f"{app.name} — {message}" for message in own_errors] if named else list(own_errors)
        reasons = list(dict.fromkeys(errors + connection_errors))
        unchecked = sum(verdict.state == UNCHECKED for _, verdict in found)
        return Readiness(ready=not reasons and not unchecked,
                         pending=bool(app.checks_requested_at) or flags.get(app.pk, False), reasons=reasons,
                         warnings=warnings, connections=list(found), errors=len(reasons),
                         unchecked=unchecked), own_warnings

    def judge_runner(app) -> tuple:
        key = runner_key(app.pk)
        own_errors = [message for severity, message in own.get(app.pk, []) if severity == "error"]
        warnings = own_warnings = sum(severity == "warning" for severity, _ in own.get(app.pk, []))
        found, connection_errors = [], []
        for connection in panel_connections(app, by_client):
            verdict = connection.verdict(runners(connection.client_id), key)
            found.append((connection, verdict))
            connection_errors += verdict.reasons
            warnings += verdict.warnings
            if connection.client_id == app.pk:
                own_warnings += verdict.warnings
        return own_errors, connection_errors, warnings, own_warnings, found

    result = {}
    for app in apps:
        nodes = nodes_of.get(app.pk, []) if app.app_type == AppType.COBROWSE_CLUSTER else []
        if not nodes:
            result[app.pk] = runner_readiness(app)[0]
            continue
        reasons = [f"{app.name}: {message}" for severity, message in own.get(app.pk, []) if severity == "error"]
        warnings = sum(severity == "warning" for severity, _ in own.get(app.pk, []))
        node_pending = False
        unchecked = 0
        for node in nodes:
            node_readiness, node_warnings = runner_readiness(node, named=True)
            node_pending = node_pending or node_readiness.pending
            reasons += node_readiness.reasons
            unchecked += node_readiness.unchecked
            warnings += node_warnings  # each warning once: the Cluster's connections are counted below
        found = [(c, c.verdict(runners(app.pk))) for c in by_client.get(app.pk, [])]
        warnings += sum(verdict.warnings for _, verdict in found)
        reasons = list(dict.fromkeys(reasons))
        result[app.pk] = Readiness(
            ready=not reasons and not unchecked,
            pending=bool(app.checks_requested_at) or flags.get(app.pk, False) or node_pending,
            reasons=reasons, warnings=warnings, connections=found, errors=len(reasons), unchecked=unchecked)
    if lines:
        shown = {c.pk for r in result.values() for c, _ in r.connections}
        given = {c.pk: c for c in loaded}
        views = connection_views([given[pk] for pk in shown] if shown <= given.keys() else
                                 list(with_verdict_data(Connection.objects.filter(pk__in=shown))), world=world)
        for readiness in result.values():
            readiness.connections = [ConnectionLine(views[c.pk], verdict) for c, verdict in readiness.connections]
    else:
        for readiness in result.values():
            readiness.connections = []
    return result


def application_security_summary(app: Application, nodes: list[Application] | None = None) -> dict:
    """What the General tab shows of TLS. ``nodes``: a Cluster's Nodes by name, when the page has them."""
    summary: dict = {"applicable": app.is_cobrowse, "pending": bool(app.checks_requested_at)}
    context = TlsContext.load(app, nodes)
    if app.is_cobrowse:
        values = dict(context.sections[app.pk].options)  # its security section as saved
        summary.update({
            "placement": security_section_placement(app.app_type, app.version, app.uses_scs),
            "provider": values.get("provider", ""),
            "trusted_ca": values.get("trusted-ca", ""),
            "has_password": bool(values.get("truststore-password")),
        })
    summary["finding_groups"] = context.finding_groups()
    readiness = context.readiness()
    summary["readiness"] = readiness if app.is_cobrowse else None
    # Every application lists the verdict of the connections it runs, Co-browse or not.
    summary["connection_lines"] = readiness.connections
    summary["store"] = context.store
    return summary


def by_severity(findings) -> list[Finding]:
    order = {"error": 0, "warning": 1, "info": 2}
    return sorted(findings, key=lambda f: (order.get(f.severity, 3), f.code, f.detail_key))


@dataclass
class TlsContext:
    """The objects the TLS of one application depends on, loaded once for the page."""

    app: Application
    nodes: list[Application]
    holder: Application  # the application whose Connections tab holds the TLS connections
    store: TrustedStore | None
    provider: str | None
    provider_on: Application | None
    findings: dict[str, list[Finding]]
    connections: list[Connection]
    pending: bool
    sections: dict = field(default_factory=dict, repr=False)
    world: SecurityWorld | None = field(default=None, repr=False)

    @classmethod
    def load(cls, app: Application, nodes: list[Application] | None = None) -> "TlsContext":
        """``nodes``: a Cluster's Nodes by name, if the caller has them (read here otherwise)."""
        if app.app_type != AppType.COBROWSE_CLUSTER:
            nodes = []
        elif nodes is None:
            nodes = list(app.nodes.order_by("name"))
        cluster = app.cluster if app.app_type == AppType.COBROWSE_NODE and app.cluster_id else None
        holder = cluster or app
        group = [app, *nodes] + ([cluster] if cluster else [])
        # The clients of the connections below (the holder and the application), their Nodes and Cluster
        # and their security sections, read once for the sections here and the panel's lines alike: each
        # read them, one query more.
        world = SecurityWorld({app.pk, holder.pk})
        sections = sections_of({a.pk: world.options.get(a.pk, {}) for a in group})
        section = runs_with(app, sections, nodes)
        store = stores_for({section.app_id: section}).get(section.app_id)
        # The holder's connections, and a Node's own (on the wrong object, R2, but run by it all the same).
        # With what the readiness panel's lines read (``with_verdict_data``): loaded once for both.
        connections = list(with_verdict_data(Connection.objects.filter(client__in={holder.pk, app.pk})).order_by(
            "client_id", "pk"))
        subjects = [f"application:{a.pk}" for a in group] + [f"connection:{c.pk}" for c in connections]
        if store:
            subjects.append(f"store:{store.pk}")
        findings: dict[str, list[Finding]] = {}
        for finding in Finding.objects.filter(subject__in=subjects):
            findings.setdefault(finding.subject, []).append(finding)
        pending = any(a.checks_requested_at for a in group) or bool(store and store.checks_requested_at)
        provider_on = next((a for a in group if a.pk == section.app_id), None)
        return cls(app, nodes, holder, store, section.provider if section.present else None, provider_on,
                   findings, connections, pending, sections, world)

    def of(self, subject: str) -> list[Finding]:
        return by_severity(self.findings.get(subject, []))

    def finding_groups(self) -> list[FindingGroup]:
        groups = [FindingGroup(f"{self.app.name}", self.of(f"application:{self.app.pk}"), self.app.get_absolute_url())]
        # On a Node's page, the findings about the other Nodes that run the Cluster's connections are theirs.
        mine = runner_key(self.app.pk)
        connection_findings = by_severity(
            f for c in self.connections for f in self.findings.get(f"connection:{c.pk}", [])
            if self.app.app_type != AppType.COBROWSE_NODE or not is_runner_specific(f) or f.detail_key == mine)
        if connection_findings:
            groups.append(FindingGroup(f"Connections of {self.holder.name}", connection_findings,
                                       self.holder.get_absolute_url()))
        if self.store:
            groups.append(FindingGroup(f"Trusted store {self.store.name}", self.of(f"store:{self.store.pk}"),
                                       self.store_url()))
        return [g for g in groups if g.findings]

    def store_url(self) -> str:
        try:
            return self.store.get_absolute_url()
        except Exception:  # noqa: BLE001 - the store pages may not be installed
            return ""

    def readiness(self) -> Readiness:
        return readiness_for([self.app], pending={self.app.pk: self.pending}, lines=True,
                             loaded=self.connections, world=self.world)[self.app.pk]


def application_health(apps: list[Application]):
    """What the application list shows of each application: its readiness verdict (Co-browse
    applications) and the errors and warnings behind it, as ``readiness_for`` computed them for its
    panel when its findings were last replaced (``validation.refresh_readiness``). Not yet validated:
    no verdict."""
    from applications.health import Health
    from security.models import ApplicationCheck

    pending = {app.pk: bool(app.checks_requested_at) for app in apps}
    return {
        check.application_id: Health(verdict=check.verdict, errors=check.errors, warnings=check.warnings,
                                     pending=pending.get(check.application_id, False))
        for check in ApplicationCheck.objects.filter(application_id__in=list(pending))
    }



def host_health(hosts):
    """The worst readiness among each host's applications, from the counts of the stored verdicts the
    database keeps per host (``security.host_counts``), in one query: "not ready" when one is, "ready"
    when every judged one is, otherwise no verdict ("not checked yet" is not a state a host is in)."""
    from applications.health import HostHealth
    from security.host_counts import counts_of

    health = {}
    for host_id, counts in counts_of([h.pk for h in hosts]).items():
        not_ready, ready, judged = counts["not_ready"], counts["ready"], counts["judged"]
        if judged:
            verdict = "not ready" if not_ready else ("ready" if ready == judged else "")
            health[host_id] = HostHealth(verdict=verdict, not_ready=not_ready, judged=judged)
    return health


VERDICT_RANK = {"not ready": 0, "not checked yet": 1, "ready": 2}


def worst_first() -> dict[str, tuple[dict, list]]:
    """What orders applications and hosts worst first, on the stored verdicts: not ready, then not
    checked, then ready, then no verdict (not a Co-browse application, never validated); more errors,
    then more warnings first; by name last. Hosts: more applications not ready first."""
    from django.db.models import Case, F, IntegerField, Value, When
    from django.db.models.expressions import OrderBy

    from security.host_counts import kept

    rank = Case(*[When(tls_readiness__verdict=verdict, then=Value(n)) for verdict, n in VERDICT_RANK.items()],
                default=Value(len(VERDICT_RANK)), output_field=IntegerField())
    # Kept per host (``security.host_counts``): read through an index, not counted over every application.
    not_ready = kept("not_ready")
    return {
        "application": ({}, [OrderBy(rank), OrderBy(F("tls_readiness__errors"), descending=True, nulls_last=True),
                             OrderBy(F("tls_readiness__warnings"), descending=True, nulls_last=True), "name"]),
        "host": ({"tls_not_ready": not_ready}, ["-tls_not_ready", "name"]),
    }


def keep_not_ready(qs):
    """The applications of ``qs`` whose stored readiness is "not ready" (the application list's filter)."""
    return qs.filter(tls_readiness__verdict="not ready")
