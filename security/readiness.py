"""What the application page shows about TLS: the security section and where it belongs (R1), the
findings of the application, its connections and its trusted store, and the TLS readiness verdict:
will TLS work once the application is restarted with what is saved now?
"""

from dataclasses import dataclass, field

from applications.models import Application, AppType, Connection, Option
from security.deployment import runs_with, saved_sections, stores_for
from security.models import Finding, TrustedStore
from security.rules import security_section_placement

SECURITY_SECTION = "security"


@dataclass
class FindingGroup:
    title: str
    findings: list[Finding]
    url: str = ""


@dataclass
class Readiness:
    ready: bool
    pending: bool
    reasons: list[str] = field(default_factory=list)
    warnings: int = 0

    @property
    def verdict(self) -> str:
        return "ready" if self.ready else "not ready"


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
    summary["readiness"] = context.readiness() if app.is_cobrowse else None
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
        connections = list(Connection.objects.filter(client=holder).select_related("port__application", "client"))
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

    def node_contexts(self) -> list["TlsContext"]:
        """The context of each Node of this Cluster, as ``load`` gives it, for all of them in two queries.

        A Node's group is itself and this Cluster, whose sections and connections are loaded already."""
        effective = {node.pk: runs_with(node, self.sections) for node in self.nodes}
        stores = stores_for({s.app_id: s for s in effective.values()})
        subjects = {f"application:{self.app.pk}"} | {f"connection:{c.pk}" for c in self.connections}
        for node in self.nodes:
            node.cluster = self.app  # the Node's cluster_id is this Cluster: no query to fetch it again
            subjects.add(f"application:{node.pk}")
        subjects |= {f"store:{store.pk}" for store in stores.values()}
        findings: dict[str, list[Finding]] = {}
        for finding in Finding.objects.filter(subject__in=subjects):
            findings.setdefault(finding.subject, []).append(finding)
        contexts = []
        for node in self.nodes:
            section = effective[node.pk]
            store = stores.get(section.app_id)
            group = [node, self.app]
            keys = {f"application:{a.pk}" for a in group} | {f"connection:{c.pk}" for c in self.connections}
            if store:
                keys.add(f"store:{store.pk}")
            pending = any(a.checks_requested_at for a in group) or bool(store and store.checks_requested_at)
            contexts.append(TlsContext(
                node, [], self.app, store, section.provider if section.present else None,
                next((a for a in group if a.pk == section.app_id), None),
                {k: v for k, v in findings.items() if k in keys}, self.connections, pending, self.sections))
        return contexts

    def of(self, subject: str) -> list[Finding]:
        return by_severity(self.findings.get(subject, []))

    def finding_groups(self) -> list[FindingGroup]:
        groups = [FindingGroup(f"{self.app.name}", self.of(f"application:{self.app.pk}"), self.app.get_absolute_url())]
        connection_findings = by_severity(
            f for c in self.connections for f in self.findings.get(f"connection:{c.pk}", []))
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
        if self.app.app_type == AppType.COBROWSE_CLUSTER and self.nodes:
            return self.cluster_readiness()
        reasons: list[str] = []
        warnings = 0
        subjects = [f"application:{self.app.pk}"]
        if self.holder.pk != self.app.pk:
            subjects.append(f"application:{self.holder.pk}")
        if self.store:
            subjects.append(f"store:{self.store.pk}")
        subjects += [f"connection:{c.pk}" for c in self.connections]
        codes = set()
        for subject in subjects:
            for finding in self.of(subject):
                codes.add(finding.code)
                if finding.severity == "error":
                    label = self.label(subject)
                    reasons.append(f"{label}: {finding.message}" if label else finding.message)
                elif finding.severity == "warning":
                    warnings += 1
        if not self.provider and "application.tls_disabled" not in codes:
            where = self.provider_on.name if self.provider_on else self.app.name
            state = "empty" if self.provider == "" else "not set"
            reasons.insert(0, f"TLS is disabled: provider is {state} in the security section of {where}.")
        elif self.provider and self.store is None:
            reasons.insert(0, "The console does not know the trusted store this application uses, so it cannot "
                              "tell whether it trusts the servers.")
        if not any(c.port.secured for c in self.connections):
            reasons.append(f"No connection of {self.holder.name} goes through a secure port.")
        return Readiness(ready=not reasons, pending=self.pending, reasons=list(dict.fromkeys(reasons)),
                         warnings=warnings)

    def cluster_readiness(self) -> Readiness:
        reasons: list[str] = []
        warnings = 0
        pending = self.pending
        for finding in self.of(f"application:{self.app.pk}"):
            if finding.severity == "error":
                reasons.append(f"{self.app.name}: {finding.message}")
        for node, context in zip(self.nodes, self.node_contexts(), strict=True):
            node_readiness = context.readiness()
            pending = pending or node_readiness.pending
            warnings += node_readiness.warnings
            reasons += [f"{node.name} — {reason}" for reason in node_readiness.reasons]
        return Readiness(ready=not reasons, pending=pending, reasons=list(dict.fromkeys(reasons)), warnings=warnings)

    def label(self, subject: str) -> str:
        kind, _, pk = subject.partition(":")
        if kind == "store" and self.store:
            return f"Trusted store {self.store.name}"
        if kind == "connection":
            connection = next((c for c in self.connections if str(c.pk) == pk), None)
            if connection:
                return f"Connection to {connection.port.application.name}:{connection.port.port_id}"
        if kind == "application":
            return "" if str(self.app.pk) == pk else self.holder.name
        return subject

