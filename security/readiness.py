"""What the application page shows about TLS: the security section and where it belongs (R1), the
findings of the application, its connections and its trusted store, and the TLS readiness verdict:
will TLS work once the application is restarted with what is saved now?

The verdict is read from findings only (``readiness_for``): the application's own and the verdict of
each connection it runs, the same ``security.verdicts`` the connection review shows. Nothing here
reasons on its own, so the panel and the review cannot disagree.
"""

from dataclasses import dataclass, field

from applications.models import Application, AppType, Connection, Option
from security.checks.verdict import Verdict, is_runner_specific, runner_key
from security.deployment import runs_with, saved_sections, stores_for
from security.models import Finding, TrustedStore
from security.rules import security_section_placement
from security.verdicts import ConnectionView, connection_views, with_verdict_data

SECURITY_SECTION = "security"


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


@dataclass
class Readiness:
    ready: bool
    pending: bool
    reasons: list[str] = field(default_factory=list)
    warnings: int = 0
    connections: list[ConnectionLine] = field(default_factory=list)
    errors: int = 0

    @property
    def verdict(self) -> str:
        return "ready" if self.ready else "not ready"


def panel_connections(app: Application, by_client: dict[int, list[Connection]]) -> list[Connection]:
    """The connections an application's panel judges: its own, and for a Node its Cluster's (which
    it runs: R2). A Cluster's are its own; its Nodes' own connections are on the Nodes' panels."""
    own = by_client.get(app.pk, [])
    if app.app_type == AppType.COBROWSE_NODE and app.cluster_id:
        return by_client.get(app.cluster_id, []) + own
    return own


def readiness_for(apps: list[Application], pending: dict[int, bool] | None = None) -> dict[int, Readiness]:
    """The TLS readiness of each application, read from findings only: its own, and the verdict of
    each connection it runs (``security.verdicts``). A Cluster with Nodes is ready when every Node is.
    In a fixed number of queries for any number of applications (the application list uses it)."""
    apps = list(apps)
    cluster_ids = [a.pk for a in apps if a.app_type == AppType.COBROWSE_CLUSTER]
    nodes_of: dict[int, list[Application]] = {pk: [] for pk in cluster_ids}
    by_pk = {a.pk: a for a in apps}
    if cluster_ids:
        for node in Application.objects.filter(cluster_id__in=cluster_ids).order_by("name"):
            node.cluster = by_pk[node.cluster_id]
            nodes_of[node.cluster_id].append(node)
    judged = apps + [n for nodes in nodes_of.values() for n in nodes]
    clients = {a.pk for a in judged} | {a.cluster_id for a in judged if a.cluster_id}
    connections = list(with_verdict_data(Connection.objects.filter(client_id__in=clients)).order_by(
        "port__application__name", "port__port_id", "pk"))
    views = connection_views(connections)
    by_client: dict[int, list[Connection]] = {}
    for connection in connections:
        by_client.setdefault(connection.client_id, []).append(connection)
    own: dict[int, list[Finding]] = {}
    for finding in Finding.objects.filter(application_id__in=[a.pk for a in judged]).order_by("severity", "code"):
        own.setdefault(finding.application_id, []).append(finding)
    flags = pending or {}

    def runner_readiness(app: Application, *, named: bool = False) -> Readiness:
        """``named``: the application's own findings are prefixed with its name (a Node on its Cluster's
        panel); the connections' findings name the application that runs them already."""
        key = runner_key(app.pk)
        errors = [f"{app.name} — {f.message}" if named else f.message
                  for f in own.get(app.pk, []) if f.severity == "error"]
        warnings = sum(f.severity == "warning" for f in own.get(app.pk, []))
        lines = []
        for connection in panel_connections(app, by_client):
            view = views[connection.pk]
            verdict = view.verdict_for(key if key in view.runner_names else None)
            lines.append(ConnectionLine(view, verdict))
            errors += verdict.reasons
            warnings += verdict.warnings
        reasons = list(dict.fromkeys(errors))
        return Readiness(ready=not reasons, pending=bool(app.checks_requested_at) or flags.get(app.pk, False),
                         reasons=reasons, warnings=warnings, connections=lines, errors=len(reasons))

    result = {}
    for app in apps:
        nodes = nodes_of.get(app.pk, [])
        if not nodes:
            result[app.pk] = runner_readiness(app)
            continue
        reasons = [f"{app.name}: {f.message}" for f in own.get(app.pk, []) if f.severity == "error"]
        warnings = sum(f.severity == "warning" for f in own.get(app.pk, []))
        node_pending = False
        for node in nodes:
            node_readiness = runner_readiness(node, named=True)
            node_pending = node_pending or node_readiness.pending
            reasons += node_readiness.reasons
            # Each warning once: the Cluster's connections are on every Node's panel, counted below.
            warnings += sum(f.severity == "warning" for f in own.get(node.pk, []))
            warnings += sum(line.verdict.warnings for line in node_readiness.connections
                            if line.connection.client_id == node.pk)
        lines = [ConnectionLine(views[c.pk], views[c.pk].verdict) for c in by_client.get(app.pk, [])]
        warnings += sum(line.verdict.warnings for line in lines)
        reasons = list(dict.fromkeys(reasons))
        result[app.pk] = Readiness(
            ready=not reasons, pending=bool(app.checks_requested_at) or flags.get(app.pk, False) or node_pending,
            reasons=reasons, warnings=warnings, connections=lines, errors=len(reasons))
    return result


def application_security_summary(app: Application) -> dict:
    summary: dict = {"applicable": app.is_cobrowse, "pending": bool(app.checks_requested_at)}
    if app.is_cobrowse:
        values = {o.name: o for o in Option.objects.filter(application=app, section=SECURITY_SECTION)}
        provider = values.get("provider")
        trusted = values.get("trusted-ca")
        summary.update({
            "placement": security_section_placement(app.app_type, app.version, app.uses_scs),
            "provider": provider.value if provider else "",
            "trusted_ca": trusted.value if trusted else "",
            "has_password": "truststore-password" in values and bool(values["truststore-password"].value),
        })
    context = TlsContext.load(app)
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

    @classmethod
    def load(cls, app: Application) -> "TlsContext":
        nodes = list(app.nodes.order_by("name")) if app.app_type == AppType.COBROWSE_CLUSTER else []
        cluster = app.cluster if app.app_type == AppType.COBROWSE_NODE and app.cluster_id else None
        holder = cluster or app
        group = [app, *nodes] + ([cluster] if cluster else [])
        sections = saved_sections(a.pk for a in group)
        section = runs_with(app, sections, nodes)
        store = stores_for({section.app_id: section}).get(section.app_id)
        # The holder's connections, and a Node's own (on the wrong object, R2, but run by it all the same).
        connections = list(Connection.objects.filter(client__in={holder.pk, app.pk}).select_related(
            "port__application", "client").order_by("client_id", "pk"))
        subjects = [f"application:{a.pk}" for a in group] + [f"connection:{c.pk}" for c in connections]
        if store:
            subjects.append(f"store:{store.pk}")
        findings: dict[str, list[Finding]] = {}
        for finding in Finding.objects.filter(subject__in=subjects):
            findings.setdefault(finding.subject, []).append(finding)
        pending = any(a.checks_requested_at for a in group) or bool(store and store.checks_requested_at)
        provider_on = next((a for a in group if a.pk == section.app_id), None)
        return cls(app, nodes, holder, store, section.provider if section.present else None, provider_on,
                   findings, connections, pending, sections)

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
        return readiness_for([self.app], pending={self.app.pk: self.pending})[self.app.pk]


def application_health(apps: list[Application]):
    """What the application list shows of each application: its readiness verdict (Co-browse
    applications) and the errors and warnings behind it, from ``readiness_for``: the same as its panel."""
    from applications.health import Health

    readiness = readiness_for(apps)
    return {
        app.pk: Health(verdict=readiness[app.pk].verdict if app.is_cobrowse else "",
                       errors=readiness[app.pk].errors, warnings=readiness[app.pk].warnings,
                       pending=readiness[app.pk].pending)
        for app in apps
    }
