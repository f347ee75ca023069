"""Impact preview: which connections lose (or gain) their trust path when a store's certificates change.

Before a CA leaves a store (a member removed in the store form, a store put back as an older version)
or joins one, the confirm page and the API's preview say, from the chains the probes last saw, which
connections would no longer be trusted, which would be, which would not change, and which cannot be
told (never probed, or the endpoint changed since its last chain was seen).

``impact`` is the pure part: (connections with the chain last seen, the store's certificates before,
after) → lost / gained / unchanged / unknown, every verdict from ``security.trust.will_trust`` (the one
judge, which probes use too). ``store_impact`` is the thin loader: which connections run with the store
(``security.probe.connection_runs``: which store each client uses, and the name each of its Nodes checks
and whether, from its own effective TLS), and the latest chain each was shown (``ProbeResult``).

A chain seen by a probe stays evidence while the probe reached the endpoint the connection has now:
what a server presents does not depend on the client's store, so a result made stale only by a store
change (its digest) still tells what the server presents. A result whose host, port or TLS changed
since is not used (``checks.verdict.probe_staleness`` on the endpoint alone).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.db.models import Q

from security.trust import TrustVerdict, will_trust

NOT_PROBED = "not probed — unknown"


@dataclass(frozen=True)
class SeenConnection:
    """One connection run with the store: what its last probe saw and what it checks."""

    connection_id: int
    label: str  # "client → server:port_id (number)"
    client_id: int
    server_id: int
    apps: tuple[tuple[int, str], ...]  # (id, name) of the applications that run it with the store
    chain_der: tuple[bytes, ...] = ()  # () when no usable chain was seen
    host_name: str = ""
    check_host: bool = False
    seen_at: dt.datetime | None = None
    unknown_why: str = NOT_PROBED  # why there is no chain, when there is none


@dataclass(frozen=True)
class ImpactRow:
    seen: SeenConnection
    before: TrustVerdict | None = None
    after: TrustVerdict | None = None

    @property
    def reason(self) -> str:
        if self.after is None:
            return self.seen.unknown_why
        return self.after.reason


@dataclass
class Impact:
    lost: list[ImpactRow] = field(default_factory=list)
    gained: list[ImpactRow] = field(default_factory=list)
    unchanged: list[ImpactRow] = field(default_factory=list)
    unknown: list[ImpactRow] = field(default_factory=list)

    @property
    def connections(self) -> int:
        return len(self.lost) + len(self.gained) + len(self.unchanged) + len(self.unknown)


def impact(seen: Iterable[SeenConnection], before: Sequence[bytes], after: Sequence[bytes], *,
           at: dt.datetime | None = None) -> Impact:
    """Judge each connection's last chain against the store ``before`` and ``after`` (DER lists). Pure."""
    result = Impact()
    for connection in seen:
        if not connection.chain_der:
            result.unknown.append(ImpactRow(connection))
            continue
        verdicts = [will_trust(connection.chain_der, store, host_name=connection.host_name,
                               check_host=connection.check_host, at=at) for store in (before, after)]
        row = ImpactRow(connection, *verdicts)
        if verdicts[0].trusted and not verdicts[1].trusted:
            result.lost.append(row)
        elif verdicts[1].trusted and not verdicts[0].trusted:
            result.gained.append(row)
        else:
            result.unchanged.append(row)
    return result


# -- the loader -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    pk: int
    name: str
    fingerprint: str


@dataclass
class StoreImpact:
    """What a change of a store's certificates does: to its connections, its applications, its contents."""

    store_id: int
    store_name: str
    impact: Impact
    removed: list[Member]
    added: list[Member]
    after: list[Member]
    restart: list[tuple[int, str]]  # (id, name) of the applications that read the store: restart to take it
    after_known: bool = True  # False: the section names a typed path, whose contents the console does not know
    restart_why: str = ("read the store's file and take the new contents when restarted (once the file is "
                        "replaced on the host)")

    @property
    def changes_contents(self) -> bool:
        return bool(self.removed or self.added)

    def as_json(self) -> dict:
        def verdict(v: TrustVerdict | None):
            return None if v is None else {"trusted": v.trusted, "reason": v.reason}

        def row(r: ImpactRow) -> dict:
            s = r.seen
            return {"connection": s.connection_id, "label": s.label, "client": s.client_id, "server": s.server_id,
                    "applications": [{"id": pk, "name": name} for pk, name in s.apps],
                    "chain_seen_at": s.seen_at.isoformat() if s.seen_at else None,
                    "host_checked": s.check_host, "before": verdict(r.before), "after": verdict(r.after),
                    "reason": r.reason}

        def members(items: list[Member]) -> list[dict]:
            return [{"certificate": m.pk, "name": m.name, "fingerprint_sha256": m.fingerprint} for m in items]

        return {
            "store": self.store_id, "store_name": self.store_name,
            "lost": [row(r) for r in self.impact.lost], "gained": [row(r) for r in self.impact.gained],
            "unchanged": [row(r) for r in self.impact.unchanged], "unknown": [row(r) for r in self.impact.unknown],
            "removed": members(self.removed), "added": members(self.added), "after": members(self.after),
            "restart": [{"id": pk, "name": name} for pk, name in self.restart], "after_known": self.after_known,
        }


def candidate_clients(store) -> list:
    """The applications that may run with the store: its users (``applications_using``), their Nodes
    (which inherit a Cluster's section) and their Clusters (whose connections their Nodes run), with
    ``cluster`` joined. ``trusts_of`` then says which really do."""
    from django.db.models import Q

    from applications.models import Application
    from security.stores import applications_using

    users = applications_using(store)
    if not users:
        return []
    clusters = Application.objects.filter(pk__in=users, cluster__isnull=False).values_list("cluster_id", flat=True)
    return list(Application.objects.select_related("cluster").filter(
        Q(pk__in=users) | Q(pk__in=list(clusters)) | Q(cluster_id__in=users)).order_by("name", "pk"))


def runners_with_store(store) -> list[tuple[int, str]]:
    """(id, name) of the applications that run with the store (each Node of a Cluster set from it): the
    ones that read its file, so need a restart to take new contents."""
    from security.probe import trusts_of

    found = {app.pk: app.name for groups in trusts_of(candidate_clients(store)).values() for trust in groups
             if trust.store and trust.store.pk == store.pk for app in trust.apps}
    return sorted(found.items(), key=lambda item: (item[1], item[0]))


def connections_with_store(store) -> list[tuple]:
    """The secure connections some application runs with the store (``trusts_of``), with how they run it
    (``probe.connection_runs``: the applications, and the name each checks and whether): [(connection,
    ConnectionRun)], one per distinct way (the Nodes of a Cluster may differ), in a fixed number of queries."""
    from applications.models import Connection
    from security.probe import connection_runs
    from security.validation import CONNECTION_JOINS

    clients = [app.pk for app in candidate_clients(store)]
    if not clients:
        return []
    connections = list(Connection.objects.select_related(*CONNECTION_JOINS).filter(client_id__in=clients,
                                                                                 port__secured=True)
                       .order_by("client__name", "port__application__name", "port__port_id", "pk"))
    runs = connection_runs(connections)
    return [(connection, how) for connection in connections for how in runs[connection.pk]
            if how.store and how.store.pk == store.pk]


def last_chains(connections) -> dict[int, tuple]:
    """connection id → (chain DER, seen at) of its newest result whose chain is still evidence (same
    endpoint as now), or (why unknown, None)."""
    from security.checks.verdict import probe_staleness
    from security.models import ProbeResult
    from security.verdicts import endpoint_of, probe_config

    by_id = {c.pk: c for c in connections}
    chosen: dict[int, int] = {}  # connection id → the result whose chain is read
    stale_why: dict[int, str] = {}
    # The results without their chains first (a connection keeps PROBE_HISTORY of them), then one chain each.
    results = (ProbeResult.objects.filter(connection_id__in=list(by_id)).exclude(chain_pem="")
               .only("connection_id", "at", "host", "port_id", "port_number", "provider", "store_id",
                     "store_name", "store_digest").order_by("connection_id", "-at", "-id"))
    for result in results:
        if result.connection_id in chosen:
            continue
        connection = by_id[result.connection_id]
        stale = probe_staleness(host=result.host, port_id=result.port_id, port_number=result.port_number,
                                config=probe_config(result), endpoint=endpoint_of(connection), current=[])
        if stale:
            stale_why.setdefault(result.connection_id, f"unknown: its last chain is stale ({'; '.join(stale)})")
            continue
        chosen[result.connection_id] = result.pk
    found: dict[int, tuple] = {}
    for connection_id, at, pem in ProbeResult.objects.filter(pk__in=list(chosen.values())).values_list(
            "connection_id", "at", "chain_pem"):
        try:
            certs = x509.load_pem_x509_certificates(pem.encode())
        except ValueError:
            continue
        found[connection_id] = (tuple(c.public_bytes(Encoding.DER) for c in certs), at)
    return {pk: found.get(pk) or (stale_why.get(pk, NOT_PROBED), None) for pk in by_id}


def seen_connections(store) -> list[SeenConnection]:
    pairs = connections_with_store(store)
    chains = last_chains(list({c.pk: c for c, _how in pairs}.values()))
    seen = []
    for connection, how in pairs:
        port = connection.port
        server = port.application
        label = f"{connection.client.name} → {server.name}:{port.port_id} ({port.number})"
        chain, at = chains[connection.pk]
        common = dict(connection_id=connection.pk, label=label, client_id=connection.client_id, server_id=server.pk,
                      apps=tuple((a.pk, a.name) for a in how.apps), check_host=how.check_host,
                      host_name=how.server_name)
        if at is None:
            seen.append(SeenConnection(**common, unknown_why=chain))
        else:
            seen.append(SeenConnection(**common, chain_der=chain, seen_at=at))
    return seen


def store_impact(store, after_certificates: Sequence) -> StoreImpact:
    """The impact of giving ``store`` (as stored now) the certificates ``after_certificates`` (library
    ``Certificate`` objects, in their order)."""
    from security.models import Certificate

    current = list(Certificate.objects.filter(entries__store=store).order_by("entries__position", "entries__id"))
    before_ids = {c.pk for c in current}
    after_ids = {c.pk for c in after_certificates}
    judged = impact(seen_connections(store), [bytes(c.der) for c in current],
                    [bytes(c.der) for c in after_certificates])
    return StoreImpact(
        store_id=store.pk, store_name=store.name, impact=judged,
        removed=[member(c) for c in current if c.pk not in after_ids],
        added=[member(c) for c in after_certificates if c.pk not in before_ids],
        after=[member(c) for c in after_certificates],
        # Every application that reads the store's file, a secure connection or not: only when it changes.
        restart=runners_with_store(store) if before_ids != after_ids else [],
    )


def member(cert) -> Member:
    return Member(cert.pk, str(cert), cert.fingerprint_sha256)



# -- a security section switching the store an application runs with ---------------------------------

TYPED_UNKNOWN = "unknown: the path is typed, so the console does not know what the file holds"


def section_impact(app, *, provider: str, store, typed_path: str = "") -> StoreImpact | None:
    """The impact of saving ``app``'s security section with ``provider`` and ``store`` (or a typed path):
    each connection run with this section (the application's own, or its Nodes' that inherit it) judged
    against the store it runs with now and the one it would run with (TLS disabled: an empty store).
    None when the certificates the section trusts would not change."""
    from applications.models import Application
    from security.deployment import runners_for
    from security.effective_tls import effective_client_tls_pairs
    from security.probe import checks_host_name, target_name
    from security.stores import member_ders

    clients = list(Application.objects.select_related("cluster").filter(
        Q(pk=app.pk) | Q(pk=app.cluster_id or 0) | Q(cluster_id=app.pk)).order_by("name", "pk"))
    affected = []  # (client id, runner) run with this section now or after the save
    for client_id, runners in runners_for(clients, for_checks=True).items():
        for runner in runners:
            own = runner.section.present and runner.section.app_id == runner.app.pk
            if runner.app.pk == app.pk or (runner.app.cluster_id == app.pk and not own):
                affected.append((client_id, runner))
    if not affected:
        return None
    after_known = not (provider and store is None)  # a typed path: its contents are not known
    after_ids = [] if not provider or store is None else list(store.entries.order_by("position", "id")
                                                              .values_list("certificate_id", flat=True))
    after = [] if not provider or store is None else member_ders(store)

    def before_of(runner):
        if not runner.section.present or not runner.section.provider:
            return "none"
        return runner.store.pk if runner.store is not None else "typed"

    groups: dict = {}
    for client_id, runner in affected:
        groups.setdefault(before_of(runner), []).append((client_id, runner))
    befores: dict = {}  # the certificates each group trusts now; None: not known (a typed path)
    for key, items in groups.items():
        if key == "none":
            befores[key] = []
        elif key == "typed":
            befores[key] = None
        else:
            befores[key] = member_ders(next(r.store for _c, r in items if r.store is not None))
    changes = any(not after_known or befores[key] is None or sorted(befores[key]) != sorted(after) for key in groups)
    if not changes:
        return None

    from applications.models import Connection
    from security.validation import CONNECTION_JOINS

    client_ids = {c for c, _r in affected}
    connections = list(Connection.objects.select_related(*CONNECTION_JOINS).filter(
        client_id__in=client_ids, port__secured=True).order_by("client__name", "port__application__name",
                                                              "port__port_id", "pk"))
    chains = last_chains(connections)
    # Each runner's own effective TLS: a Node's section and Host may ask for the host check or another name.
    effective = effective_client_tls_pairs([(c.pk, r.app.pk) for c in connections for client_id, r in affected
                                            if client_id == c.client_id])
    result = Impact()
    for key, items in groups.items():
        runners_of_client: dict[int, list] = {}
        for client_id, runner in items:
            runners_of_client.setdefault(client_id, []).append(runner)
        seen, unknown = [], []
        for connection in connections:
            ways: dict[tuple[bool, str], list] = {}  # (host checked, name checked) → the applications
            for runner in runners_of_client.get(connection.client_id, []):
                tls = effective[(connection.pk, runner.app.pk)]
                ways.setdefault((checks_host_name(connection, tls), target_name(connection, tls)), []).append(
                    runner.app)
            server = connection.port.application
            chain, at = chains[connection.pk]
            for (check_host, host_name), apps in ways.items():
                row = SeenConnection(connection_id=connection.pk, client_id=connection.client_id,
                                     server_id=server.pk,
                                     label=f"{connection.client.name} → {server.name}:{connection.port.port_id} "
                                           f"({connection.port.number})", apps=tuple((a.pk, a.name) for a in apps),
                                     check_host=check_host, host_name=host_name,
                                     chain_der=chain if at else (), seen_at=at,
                                     unknown_why=NOT_PROBED if at else chain)
                if at and (key == "typed" or not after_known):
                    unknown.append(ImpactRow(SeenConnection(**{**row.__dict__, "chain_der": (),
                                                               "unknown_why": TYPED_UNKNOWN})))
                else:
                    seen.append(row)
        part = impact(seen, befores[key] or [], after)
        result.lost += part.lost
        result.gained += part.gained
        result.unchanged += part.unchanged
        result.unknown += part.unknown + unknown
    from security.models import Certificate

    before_ids = {cid for key in groups if key not in ("none", "typed")
                  for cid in Certificate.objects.filter(entries__store_id=key).values_list("pk", flat=True)}
    after_certs = list(Certificate.objects.in_bulk(after_ids).values()) if after_ids else []
    after_certs.sort(key=lambda c: after_ids.index(c.pk))
    removed = Certificate.objects.filter(pk__in=before_ids - set(after_ids)).order_by("common_name", "pk")
    name = store.name if store is not None else ("no store: TLS disabled" if not provider else "a typed path")
    return StoreImpact(
        store_id=store.pk if store is not None else None, store_name=f"{app.name} (after: {name})", impact=result,
        removed=[member(c) for c in removed], added=[member(c) for c in after_certs if c.pk not in before_ids],
        after=[member(c) for c in after_certs],
        restart=sorted({(r.app.pk, r.app.name) for _c, r in affected}, key=lambda item: (item[1], item[0])),
        after_known=after_known, restart_why="take the new security section when restarted",
    )
