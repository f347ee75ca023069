"""The verdict of connections as pages show it, read from the stored findings.

Every page that says whether a connection's TLS will work (the review, its CSV, the readiness panel
of each application, the application list) builds a ``ConnectionView`` here: the findings of the
connection, the applications that run it (each Node of a Cluster client) and the verdict
``security.checks.verdict.verdict_of`` reads from those findings. No page reasons on its own.

Loading is in bulk: a fixed number of queries for any number of connections.
"""

import functools
from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import urlencode

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.timezone import localtime

from applications.models import Connection
from applications.widgets import esc
from security.checks.verdict import (
    Endpoint,
    TrustConfig,
    Verdict,
    probe_staleness,
    verdict_of,
)
from security.deployment import Runner, runners_for
from security.effective_tls import SecurityWorld, effective_client_tls_pairs
from security.models import ConnectionCheck, Finding, ProbeOutcome, ProbeResult

PROBE_OUTCOME_LABELS = dict(ProbeOutcome.choices)


class FindingRow(NamedTuple):
    """A stored finding as pages read it."""

    code: str
    severity: str
    message: str
    hint: str
    detail_key: str


@dataclass
class ProbeView:
    """The last probe of a connection, what it reached and used, and why it no longer holds (if so)."""

    probe: ProbeResult
    stale: list[str] = field(default_factory=list)

    @property
    def outcome_label(self) -> str:
        return PROBE_OUTCOME_LABELS.get(self.probe.outcome, self.probe.outcome)

    @property
    def reached(self) -> str:
        port = f"{self.probe.port_id} ({self.probe.port_number})" if self.probe.port_id else str(self.probe.port_number)
        return f"{self.probe.host}:{port}" if self.probe.host else port

    @property
    def trust(self) -> str:
        return probe_config(self.probe).describe() if self.probe.port_id else ""

    @property
    def ok(self) -> bool:
        return self.probe.outcome == ProbeOutcome.OK


STALE_BADGE = ' <span class="badge text-bg-warning probe-stale">stale</span>'


def probe_cell_html(probe: ProbeView | None) -> str:
    """The last probe as every page shows it: outcome, what it reached and used, and whether it is stale.
    Rendered here once for the review's fifty rows and the readiness panel alike, each value escaped once
    (``format_html`` wraps each in a lazy string: it was a tenth of the review's rows)."""
    if probe is None:
        return mark_safe('<span class="text-muted">never</span>')
    result = probe.probe
    badge = "text-bg-secondary" if probe.stale else ("text-bg-success" if probe.ok else "text-bg-danger")
    trust = probe.trust
    html = (f'<span class="badge probe-outcome {badge}" title="{esc(result.detail)}">{esc(probe.outcome_label)}</span>'
            f'{STALE_BADGE if probe.stale else ""}'
            f'<div class="text-muted">{localtime(result.at).strftime("%Y-%m-%d %H:%M")}: reached <span class="mono">'
            f'{esc(probe.reached)}</span>{esc(f", {trust}") if trust else ""} '
            f'<a class="probe-history-link" href="{esc(history_url(result.connection_id))}">history</a></div>')
    if probe.stale:
        html += f'<div class="probe-stale-why">No longer counts: {esc("; ".join(probe.stale))}. Probe again.</div>'
    return mark_safe(html)


def fetch_chain_url(probe: ProbeView | None) -> str:
    """When the last probe (still current) found the server's chain untrusted: the "fetch from a server"
    page pre-filled with the endpoint it reached, to import the CA the store lacks. Otherwise ""."""
    if probe is None or probe.stale or probe.probe.outcome != ProbeOutcome.UNTRUSTED or not probe.probe.host:
        return ""
    query = urlencode({"host": probe.probe.host, "port": probe.probe.port_number, "server_name": probe.probe.host})
    return f"{reverse('security:certificate_fetch')}?{query}"


@functools.cache
def history_url_parts() -> tuple[str, str]:
    marker = 987654321
    before, _, after = reverse("security:probe_history", args=[marker]).partition(str(marker))
    return before, after


def history_url(connection_id: int) -> str:
    """The connection's probe history page (the pattern reversed once: the review shows fifty rows)."""
    before, after = history_url_parts()
    return f"{before}{int(connection_id)}{after}"


def probe_config(probe: ProbeResult) -> TrustConfig:
    return TrustConfig(provider=probe.provider, store_id=probe.store_id, store_name=probe.store_name,
                       store_digest=probe.store_digest)


def endpoint_of(connection: Connection, effective=None) -> Endpoint:
    port = connection.port
    host = port.application.host
    from security.probe import checks_host_name

    return Endpoint(host.address if host else "", port.port_id, port.number, port.secured,
                    checks_host_name(connection, effective))


def made_for(probe: ProbeResult, runners: list[Runner]) -> Runner | None:
    """The runner a probe was made as (the first its ``used_by`` names; else the first runner): each
    Node of a Cluster may run the connection with its own host check and target name."""
    names = probe.used_by.split(", ")
    return next((r for r in runners if r.app.name in names), runners[0] if runners else None)


def probe_view(probe: ProbeResult | None, connection: Connection, runners: list[Runner],
               effective=None) -> ProbeView | None:
    """``effective``: the connection's effective TLS by runner id (``effective_client_tls_pairs``), when the
    caller has it; the probe is judged as the runner it was made for runs the connection."""
    if probe is None:
        return None
    if effective is None:
        effective = {runner: tls for (_pk, runner), tls in effective_client_tls_pairs(
            [(connection.pk, r.app.pk) for r in runners]).items()}
    runner = made_for(probe, runners)
    return ProbeView(probe, probe_staleness(
        host=probe.host, port_id=probe.port_id, port_number=probe.port_number, config=probe_config(probe),
        endpoint=endpoint_of(connection, effective.get(runner.app.pk) if runner else None),
        current=[r.trust for r in runners], host_checked=probe.host_checked))


@dataclass
class ConnectionView:
    connection: Connection
    runners: list[Runner]
    findings: list[FindingRow]
    checked: bool
    probe: ProbeView | None = None
    # The effective TLS by runner id, of the runners read: the first (``with_effective``) and the one the
    # last probe was made as (``made_for``).
    effective_by_runner: dict = field(default_factory=dict)
    # Each runner's key and name (``verdict_of`` reads them): made once per client, its connections share it.
    runner_names: dict[str, str] = field(default_factory=dict)

    @property
    def effective(self):
        """The effective TLS as the first runner runs it (``effective_client_tls``'s default), if resolved."""
        return self.effective_by_runner.get(self.runners[0].app.pk) if self.runners else None

    @property
    def verdict(self) -> Verdict:
        return self.verdict_for(None)

    def verdict_for(self, runner_key: str | None) -> Verdict:
        """The verdict over all the applications that run it, or for one of them (a Node's panel)."""
        return verdict_of(self.findings, secured=self.connection.port.secured, runners=self.runner_names,
                          checked=self.checked, runner=runner_key)


def is_checked(connection: Connection) -> bool:
    """Whether the connection was validated (it has a ``ConnectionCheck``): annotated by ``with_verdict_data``,
    else read."""
    validated = getattr(connection, "validated", None)
    if validated is not None:
        return validated
    try:
        return connection.tls_check is not None
    except ObjectDoesNotExist:
        return False


def with_verdict_data(qs: QuerySet[Connection], *, clients: bool = True) -> QuerySet[Connection]:
    """What ``connection_views`` reads from each connection, joined or annotated. Whether it was validated is
    an annotation, not its check joined: ``select_related`` of a reverse one-to-one links the two instances
    both ways, a reference cycle that kept each connection and all it holds until a full pass of the garbage
    collector (on a page of the review, the 50 rows' 400 model instances, in every request). ``clients=False``:
    the clients not joined, for a caller that reads them apart (``security.review.with_clients``)."""
    last_probe = ProbeResult.objects.filter(connection=OuterRef("pk")).order_by("-at", "-id")
    joined = ("client__cluster", "port__application__host") if clients else ("port__application__host",)
    return qs.select_related(*joined).annotate(
        last_probe_id=Subquery(last_probe.values("id")[:1]),
        validated=Exists(ConnectionCheck.objects.filter(connection_id=OuterRef("pk"))))


def connection_views(connections: list[Connection], *, with_effective: bool = False,
                     world: SecurityWorld | None = None) -> dict[int, ConnectionView]:
    """The view of each connection (loaded through ``with_verdict_data``) in a fixed number of queries, and
    the effective TLS as its first runner runs it with ``with_effective`` (the review shows it), and as the
    runner its last probe was made as (to judge the probe). The clients' Nodes and sections are read once (a
    ``SecurityWorld``, the caller's when it read it already), for the verdicts and the effective TLS alike."""
    clients = {c.client_id: c.client for c in connections}
    world = SecurityWorld.covering(world, clients.keys())
    runners = runners_for(clients.values(), world=world)
    findings: dict[int, list[FindingRow]] = {}
    # Rows, not models: a page of Clusters has a finding per Node of each.
    for connection_id, *row in Finding.objects.filter(connection_id__in_array={c.pk for c in connections}).order_by(
            "severity", "code", "detail_key").values_list("connection_id", *FindingRow._fields):
        findings.setdefault(connection_id, []).append(FindingRow(*row))
    probe_ids = [c.last_probe_id for c in connections if getattr(c, "last_probe_id", None)]
    probes = ProbeResult.objects.defer("chain_pem").in_bulk(probe_ids) if probe_ids else {}
    # The effective TLS of the runners someone reads, resolved at once: the first (the review shows it) and
    # the one a probe was made as (whether its host check is still that runner's). Not every Node of every
    # Cluster: a page of Clusters resolved ten times what it showed, the largest part of its time.
    wanted = []
    for c in connections:
        client_runners = runners[c.client_id]
        probe = probes.get(getattr(c, "last_probe_id", None))
        shown = client_runners[0] if with_effective and client_runners else None
        probed = made_for(probe, client_runners) if probe is not None else None
        wanted += [(c.pk, r.app.pk) for r in (shown, probed) if r is not None]  # a pair twice is resolved once
    read = {pk for pk, _ in wanted}
    resolved = [c for c in connections if c.pk in read]
    pairs = effective_client_tls_pairs(wanted, connections=resolved, world=world) if wanted else {}
    by_connection: dict[int, dict] = {}
    for (connection_id, runner_id), tls in pairs.items():
        by_connection.setdefault(connection_id, {})[runner_id] = tls
    # A page shows several connections of a client: its runners' names are read once.
    names = {pk: {r.key: r.app.name for r in client_runners} for pk, client_runners in runners.items()}
    views = {}
    for connection in connections:
        client_runners = runners[connection.client_id]
        effective = by_connection.get(connection.pk, {})
        views[connection.pk] = ConnectionView(
            connection=connection,
            runners=client_runners,
            findings=findings.get(connection.pk, []),
            checked=is_checked(connection),
            probe=probe_view(probes.get(getattr(connection, "last_probe_id", None)), connection, client_runners,
                             effective),
            effective_by_runner=effective,
            runner_names=names[connection.client_id],
        )
    return views
