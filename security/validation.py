"""Run the checks on stores, applications and connections, and store what they find.

The findings of one object are replaced as a whole, in one transaction that first locks the
object's row: a worker killed half-way leaves the previous findings, never half of the new ones,
and two workers validating the same object take turns instead of colliding. The same transaction
clears the object's ``checks_requested_at`` (and, in a sweep, records the object as done).
"""

import logging
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from applications import restart
from applications.bulk import bulk_insert
from applications.models import COBROWSE_TYPES, Application, AppType, Connection, Port
from cobrowse_admin import secret_box
from security import finding_counts, host_counts, store_users
from security.checks import ERROR, Issue
from security.checks.application import ApplicationFacts, NodeConfig, StoreFacts, check_application, check_section
from security.checks.connection import ConnectionFacts
from security.checks.store import check_contents, check_file
from security.checks.verdict import (
    Endpoint,
    ProbeFacts,
    RunnerFacts,
    TrustConfig,
    connection_verdict,
    probe_staleness,
    worst_rank,
)
from security.crypto import CertificateError, build_jks, read_jks
from security.deployment import Runner, inherited_section, runners_for, runs_with, saved_sections, stores_for
from security.effective_tls import SecurityWorld, effective_client_tls_pairs
from security.models import (
    ApplicationCheck,
    ConnectionCheck,
    Finding,
    ProbeResult,
    Sweep,
    SweepItem,
    TrustedStore,
    finding_search_text,
)
from security.policy import application_policy_issues, connection_policy_issues
from security.stores import contents_digest, member_ders, store_password
from security.verdicts import endpoint_of, probe_config

logger = logging.getLogger(__name__)


@dataclass
class ValidationCache:
    """Work shared between objects of one sweep: stores with the same contents are parsed once."""

    contents: dict[str, list[Issue]] = field(default_factory=dict)
    files: dict[tuple, list[Issue]] = field(default_factory=dict)
    keystores: dict[tuple, bool] = field(default_factory=dict)
    store_errors: dict[int, tuple[Issue, ...]] = field(default_factory=dict)
    parsed: int = 0  # how many times contents were actually checked (tests look at it)


# What a connection's verdict is loaded with: its client (and the client's Cluster and host), its server's host.
CONNECTION_JOINS = ("client__cluster", "client__host", "port__application__host")
# What no check reads of them: a sweep loads 20,000 connections with five objects each, and their dates are
# the slowest values to load (``lighter``).
APPLICATION_UNREAD = ("version_key", "service_account", "working_directory", "command_line",
                      "command_line_arguments", "last_restarted_at", "created_at", "updated_at")
HOST_UNREAD = ("description", "created_at", "updated_at")
CONNECTION_UNREAD = ("protocol", "addp_local_timeout", "addp_remote_timeout", "addp_trace", "created_at",
                     *(f"{app}__{name}" for app in ("client", "client__cluster", "port__application")
                       for name in APPLICATION_UNREAD),
                     *(f"{host}__{name}" for host in ("client__host", "port__application__host")
                       for name in HOST_UNREAD))


def subject_of(obj) -> str:
    kind = {TrustedStore: "store", Application: "application", Connection: "connection"}[type(obj)]
    return f"{kind}:{obj.pk}"


def placement_of(obj) -> dict:
    """Where a finding's object is, as the findings page filters on it (``Finding.kind`` and after):
    an application's own type, host and Cluster, a connection's client's; a store is nowhere."""
    if isinstance(obj, TrustedStore):
        return {"kind": "store"}
    app = obj if isinstance(obj, Application) else obj.client
    cluster = app.pk if app.app_type == AppType.COBROWSE_CLUSTER else app.cluster_id
    return {"kind": "application" if app is obj else "connection", "app_type": app.app_type,
            "host_id": app.host_id, "cluster_id": cluster}


# What makes two findings the same (``created_at`` and the id aside; ``search`` follows from these).
FINDING_FIELDS = ("subject", "code", "detail_key", "severity", "message", "hint", "application_id",
                  "connection_id", "store_id", "kind", "app_type", "host_id", "cluster_id")
FINDING_DEFAULTS = {name: Finding._meta.get_field(name.removesuffix("_id")).get_default() for name in FINDING_FIELDS}
LINK_FIELD = {TrustedStore: "store_id", Application: "application_id", Connection: "connection_id"}
# What the review reads of a connection's check, in this order.
CHECK_FIELDS = ("worst", "insecure", "client_name", "server_name", "port_id")


def replace_findings_of(found: list[tuple[object, list[Issue]]], *, refresh: bool = True) -> None:
    """Replace the findings of each object; inside the transaction that locked them. Only the objects whose
    findings changed are written (one delete, one insert): a sweep over an estate that has not changed
    writes none, and a finding that stays keeps the time it was first found.
    ``refresh``: also the readiness of the applications they concern (a sweep does it once at its end)."""
    rows: list[dict] = []
    for obj, issues in found:
        subject = subject_of(obj)
        unique = {(i.code, i.detail_key): i for i in issues}  # one per code and detail, whatever the checks say
        where = {LINK_FIELD[type(obj)]: obj.pk, **placement_of(obj)}
        rows += [{**FINDING_DEFAULTS, "subject": subject, "code": i.code, "detail_key": i.detail_key[:128],
                  "severity": i.severity, "message": i.message, "hint": i.hint, **where,
                  "search": finding_search_text(i.message, i.hint, i.code)} for i in unique.values()]
    subjects = [subject_of(obj) for obj, _ in found]
    before: dict[str, set] = {}
    for values in Finding.objects.filter(subject__in=subjects).values_list(*FINDING_FIELDS):
        before.setdefault(values[0], set()).add(values)
    after: dict[str, set] = {}
    for row in rows:
        after.setdefault(row["subject"], set()).add(tuple(row[name] for name in FINDING_FIELDS))
    changed = {s for s in subjects if before.get(s, set()) != after.get(s, set())}
    if changed:
        # Only the objects that had findings: the statement costs even when it deletes nothing (the counts'
        # trigger runs for it), and a first validation of an estate has none to delete.
        stale = [s for s in changed if s in before]
        if stale:
            Finding.objects.filter(subject__in=stale).delete()
        # COPY on PostgreSQL: a chunk's few hundred findings without building an INSERT of 16 columns each.
        bulk_insert(Finding, [row for row in rows if row["subject"] in changed], copy_from=1)
    finding_counts.fold_after_commit()  # the counts per filter the findings page reads
    # The review sorts and filters on each connection's worst finding: written with the findings, and only
    # where it changed (a sweep over an estate that has not changed writes none). Compared as rows, a model
    # made only for a check to write (a sweep of the 5,000 estate built 20,000 of them to write none).
    checks = {obj.pk: (worst_rank(issues), any(i.code == "connection.insecure_port" for i in issues),
                       obj.client.name, obj.port.application.name, obj.port.port_id)
              for obj, issues in found if isinstance(obj, Connection)}
    if checks:
        before = {pk: tuple(row) for pk, *row in ConnectionCheck.objects.filter(
            connection_id__in=list(checks)).values_list("connection_id", *CHECK_FIELDS)}
        changed = [pk for pk, row in checks.items() if before.get(pk) != row]
        ConnectionCheck.objects.filter(connection_id__in=[pk for pk in changed if pk in before]).delete()
        # As rows, by id (COPY on PostgreSQL): no model per check, nor the reference cycle that
        # ``connection=obj`` would make (it also sets ``obj.tls_check``).
        bulk_insert(ConnectionCheck, [{"connection_id": pk, **dict(zip(CHECK_FIELDS, checks[pk], strict=True))}
                                      for pk in changed], copy_from=1)
    judged = {obj.pk for obj, _ in found if isinstance(obj, Application)} | {
        obj.client_id for obj, _ in found if isinstance(obj, Connection)}
    if judged and refresh:
        refresh_readiness(judged)


def refresh_all_readiness() -> None:
    """The readiness of every application, after a sweep has replaced the findings of all of them:
    in one pass, since a Node's readiness reads its Cluster's connections and a Cluster's its Nodes'
    (chunks by id would each pull in the Clusters of their Nodes, and those Clusters' other Nodes)."""
    with transaction.atomic():
        write_readiness(list(Application.objects.only("name", "app_type", "cluster_id", "checks_requested_at")))


def refresh_readiness(application_ids: set[int]) -> None:
    """Write the readiness of these applications, of their Clusters and of their Clusters' Nodes (a
    Node runs its Cluster's connections; a Cluster is ready when its Nodes are), as their panels
    compute it from the findings now stored: the application list reads it in one query."""

    clusters = set(Application.objects.filter(pk__in=application_ids, cluster__isnull=False).values_list(
        "cluster_id", flat=True)) | set(Application.objects.filter(
            pk__in=application_ids, app_type=AppType.COBROWSE_CLUSTER).values_list("pk", flat=True))
    write_readiness(list(Application.objects.filter(Q(pk__in=application_ids) | Q(pk__in=clusters)
                                                   | Q(cluster_id__in=clusters))
                         .only("name", "app_type", "cluster_id", "checks_requested_at")))


def write_readiness(apps: list[Application]) -> None:
    """Compute the readiness of these applications and write it where it changed."""
    from security.readiness import readiness_for

    readiness = readiness_for(apps)
    now = {app.pk: (readiness[app.pk].verdict if app.is_cobrowse else "", readiness[app.pk].errors,
                    readiness[app.pk].warnings) for app in apps}
    before = {pk: tuple(row) for pk, *row in ApplicationCheck.objects.filter(application_id__in=list(now)).values_list(
        "application_id", "verdict", "errors", "warnings")}
    changed = [pk for pk, row in now.items() if before.get(pk) != row]
    ApplicationCheck.objects.filter(application_id__in=[pk for pk in changed if pk in before]).delete()
    ApplicationCheck.objects.bulk_create([
        ApplicationCheck(application_id=pk, verdict=now[pk][0], errors=now[pk][1], warnings=now[pk][2])
        for pk in changed])
    host_counts.fold_after_commit()  # the hosts list's counts per host, kept by triggers on these rows
    store_users.fold_after_commit()  # and the stores' users (their options changed before these checks)


# Stores


def store_issues(store: TrustedStore, cache: ValidationCache) -> list[Issue]:
    ders: list[bytes] | None = None  # loaded only when these contents were not checked yet in this sweep
    digest = store.contents_digest or contents_digest(
        list(store.entries.values_list("certificate__fingerprint_sha256", flat=True)))
    if digest not in cache.contents:
        ders = member_ders(store)
        cache.parsed += 1
        cache.contents[digest] = check_contents(
            ders, now=timezone.now(), warning_days=settings.CERTIFICATE_EXPIRY_WARNING_DAYS)
    issues = list(cache.contents[digest])
    if any(i.code == "store.unreadable" for i in issues):
        return issues  # the file cannot be built from a damaged certificate: said once is enough
    password = store_password(store) if store.provider == "JKS" else ""
    key = (digest, store.provider, secret_box.digest(password) if password else "")
    if key not in cache.files:
        cache.files[key] = check_file(store.provider, member_ders(store) if ders is None else ders, password)
    return issues + cache.files[key]


def validate_store(*, store_id: int, cache: ValidationCache | None = None, sweep: Sweep | None = None) -> bool:
    """Validate one store. False when it no longer exists."""
    return validate_stores(store_ids=[store_id], cache=cache or ValidationCache(), sweep=sweep) == 1


def validate_stores(*, store_ids: list[int], cache: ValidationCache, sweep: Sweep | None = None) -> int:
    """Validate these stores in one transaction (a sweep validates them a chunk at a time: each in its own
    transaction was a lock, a findings comparison, a fold of the counts and a sweep item per store).
    Returns how many still exist; those gone are done all the same."""
    with transaction.atomic():
        stores = list(TrustedStore.objects.select_for_update(no_key=True).filter(pk__in=store_ids).order_by("pk"))
        replace_findings_of([(store, store_issues(store, cache)) for store in stores])
        TrustedStore.objects.filter(pk__in=[s.pk for s in stores]).update(last_validated_at=timezone.now(),
                                                                            checks_requested_at=None)
        if sweep is not None:
            SweepItem.objects.bulk_create([SweepItem(sweep=sweep, subject=f"store:{pk}") for pk in store_ids],
                                          ignore_conflicts=True)
    return len(stores)


# Applications


class SecureConnection(NamedTuple):
    """A secure connection as an application's facts list it: a row (a sweep reads a Cluster's with each
    chunk that holds one of its Nodes), in the order of the list (client, server, port ID, id)."""

    client_name: str
    server_name: str
    port_id: str
    pk: int
    number: int

    @property
    def label(self) -> str:
        return f"{self.client_name} → {self.server_name}:{self.port_id} ({self.number})"


def keystore_opens(store: TrustedStore, password: str, cache: ValidationCache) -> bool | None:
    """Does ``password`` open the keystore built for this JKS store? None when it cannot be built."""
    store_pw = store_password(store)
    if not store_pw:
        return None
    # The keystore depends only on the contents and the store's password: stores with identical
    # contents share one build.
    key = (store.contents_digest or f"store:{store.pk}", secret_box.digest(store_pw), secret_box.digest(password))
    if key not in cache.keystores:
        try:
            keystore = build_jks(member_ders(store), store_pw)
        except CertificateError:
            return None
        try:
            read_jks(keystore, password)
            cache.keystores[key] = True
        except CertificateError:
            cache.keystores[key] = False
    return cache.keystores[key]


def applications_facts(apps: list[Application], cache: ValidationCache) -> dict[int, ApplicationFacts]:
    """The facts of each application, loaded for all of them in a fixed number of queries.

    ``apps`` come with ``host`` and ``cluster`` joined."""
    cluster_ids = [a.pk for a in apps if a.app_type == AppType.COBROWSE_CLUSTER]
    nodes_of: dict[int, list[Application]] = {pk: [] for pk in cluster_ids}
    if cluster_ids:
        given = {a.pk: a for a in apps}
        for node in Application.objects.filter(cluster_id__in=cluster_ids).order_by("name"):
            # The Cluster is loaded already: a Node without a section of its own reads it (R1), one query
            # per Node otherwise (402 in a sweep of the 5,000-application estate).
            node.cluster = given[node.cluster_id]
            nodes_of[node.cluster_id].append(node)
    ids = ({a.pk for a in apps} | {n.pk for nodes in nodes_of.values() for n in nodes}
           | {a.cluster_id for a in apps if a.cluster_id})
    sections = saved_sections(ids)
    stores = stores_for({pk: section for pk, section in sections.items() if section.present})
    holders = {a.pk: [a.pk] + ([a.cluster_id] if a.app_type == AppType.COBROWSE_NODE and a.cluster_id else [])
               for a in apps}
    secure_of: dict[int, list[SecureConnection]] = {}
    for client_id, *row in (Connection.objects.filter(client_id__in={h for hs in holders.values() for h in hs},
                                                      port__secured=True)
                            .values_list("client_id", "client__name", "port__application__name", "port__port_id",
                                         "pk", "port__number")):
        secure_of.setdefault(client_id, []).append(SecureConnection(*row))
    facts = {}
    for app in apps:
        nodes = nodes_of.get(app.pk, [])
        own = sections[app.pk]
        store = stores.get(app.pk) if own.present else None
        store_facts = None
        if store is not None:
            opens = None
            if store.provider == "JKS" and own.provider == "JKS" and own.password_token:
                opens = keystore_opens(store, own.password, cache)
            store_facts = StoreFacts(store.name, store.provider,
                                     store.path_for(app.host.os_type if app.host else None), opens)
        secure = sorted(c for holder in holders[app.pk] for c in secure_of.get(holder, []))
        inherited = inherited_section(app, sections)
        node_configs = []
        for node in nodes:
            section = runs_with(node, sections)
            holder_store = stores.get(section.app_id)
            from_store = holder_store is not None and (not section.trusted_ca
                                                       or section.trusted_ca in holder_store.paths)
            node_configs.append(NodeConfig(node.name, section.provider or "", section.trusted_ca,
                                           section.password_digest, holder_store.name if from_store else ""))
        facts[app.pk] = ApplicationFacts(
            name=app.name,
            app_type=app.app_type,
            version=app.version,
            scs=app.uses_scs,
            host_os=app.host.os_type if app.host else None,
            host_name=app.host.name if app.host else "",
            section=own.facts,
            store=store_facts,
            inherited=inherited.facts if inherited else None,
            inherited_from=app.cluster.name if inherited and app.cluster else "",
            secure_connections=tuple(c.label for c in secure),
            serves_connections=not nodes,
            node_configs=tuple(node_configs),
        )
    return facts


def store_errors(store: TrustedStore, cache: ValidationCache) -> tuple[Issue, ...]:
    """The errors of a store, as its own validation finds them (once per store in a sweep)."""
    if store.pk not in cache.store_errors:
        cache.store_errors[store.pk] = tuple(i for i in store_issues(store, cache) if i.severity == ERROR)
    return cache.store_errors[store.pk]


def runner_facts(runner: Runner, cache: ValidationCache) -> RunnerFacts:
    """What ``connection_verdict`` needs to know of one application that runs connections, but the
    probes (``with_probe``): the same for all its connections, so computed once per application."""
    app, section, store = runner.app, runner.section, runner.store
    judged = app.app_type in COBROWSE_TYPES
    section_errors: tuple[Issue, ...] = ()
    if judged and section.present and section.provider:
        store_facts = None
        if store is not None:
            opens = None
            if store.provider == "JKS" and section.provider == "JKS" and section.password_token:
                opens = keystore_opens(store, section.password, cache)
            store_facts = StoreFacts(store.name, store.provider, store.path, opens)
        facts = ApplicationFacts(
            name=runner.section_from.name if runner.section_from else app.name, app_type=app.app_type,
            version=app.version, scs=app.uses_scs, host_os=app.host.os_type if app.host else None,
            section=section.facts, store=store_facts)
        section_errors = tuple(i for i in check_section(facts) if i.severity == ERROR)
    return RunnerFacts(
        key=runner.key,
        name=app.name,
        judged=judged,
        provider=section.provider if section.present else None,
        section_from=runner.section_from.name if runner.section_from else "",
        section_errors=section_errors,
        store_name=store.name if store else "",
        store_errors=store_errors(store, cache) if store is not None and judged else (),
    )


def with_probe(facts: RunnerFacts, trust: TrustConfig, endpoint: Endpoint, probes: list[ProbeResult]) -> RunnerFacts:
    """The runner's facts with the newest probe made with its trust configuration and host check against
    ``endpoint``; among those, the newest made for this runner (``used_by`` names it) when there is one: two
    Nodes with the same store and check may still send different target names."""
    fresh = [p for p in probes if not probe_staleness(
        host=p.host, port_id=p.port_id, port_number=p.port_number, config=probe_config(p), endpoint=endpoint,
        current=[trust], host_checked=p.host_checked)]
    fresh = next((p for p in fresh if facts.name in p.used_by.split(", ")), fresh[0] if fresh else None)
    if fresh is None:
        return facts
    return replace(facts, probe=ProbeFacts(fresh.outcome, fresh.at, fresh.detail, fresh.store_name, fresh.host,
                                           fresh.port_number))


def client_tls_per_runner(connections: list[Connection], runners: dict, world: SecurityWorld | None = None) -> dict:
    """The effective TLS of each connection as each of its runners runs it, by (connection id, runner id):
    one resolution that the checks and the TLS policy both read. ``world``: the clients read already."""
    return effective_client_tls_pairs([(c.pk, r.app.pk) for c in connections for r in runners[c.client_id]],
                                      connections=connections, world=world)


def connections_facts(connections: list[Connection], cache: ValidationCache | None = None, *,
                      runners: dict | None = None, per_runner: dict | None = None) -> dict[int, ConnectionFacts]:
    """The facts of each connection (``client__cluster``, ``client__host`` and ``port__application__host``
    joined), in a fixed number of queries however many there are. ``runners`` and ``per_runner``: what
    ``runners_for`` and ``client_tls_per_runner`` gave the caller for these connections, if it asked."""
    cache = cache or ValidationCache()
    server_ids = {c.port.application_id for c in connections}
    secure_ports: dict[int, list[tuple[str, int]]] = {}
    for app_id, port_id, number in Port.objects.filter(application_id__in=server_ids, secured=True).values_list(
            "application_id", "port_id", "number"):
        secure_ports.setdefault(app_id, []).append((port_id, number))
    for ports in secure_ports.values():
        ports.sort(key=lambda p: (p[0] != "secure", p[0]))
    if runners is None:
        runners = runners_for({c.client_id: c.client for c in connections}.values(), for_checks=True)
    # Every probe of a secure connection, newest first: each application takes the newest one made
    # with its current trust configuration against the connection's current endpoint.
    probes: dict[int, list[ProbeResult]] = {}
    # Whether a connection is secure: the effective tls of its client side (security.effective_tls, the one
    # place that knows where it is read: the target port's tls=1).
    # Each runner's own effective TLS (a Node's section and Host may ask for the host check, or another
    # target name): a runner's probe is the one made as that runner runs the connection. tls is read
    # from the port, so any runner's says whether the connection is secure.
    if per_runner is None:
        per_runner = client_tls_per_runner(connections, runners)
    secure = {c.pk: next((per_runner[(c.pk, r.app.pk)].secure for r in runners[c.client_id]
                          if (c.pk, r.app.pk) in per_runner), c.port.secured) for c in connections}
    secure_ids = [c.pk for c in connections if secure[c.pk]]
    if secure_ids:
        for probe in ProbeResult.objects.filter(connection_id__in=secure_ids).defer("chain_pem").order_by(
                "-at", "-id"):
            probes.setdefault(probe.connection_id, []).append(probe)
    once: dict[int, RunnerFacts] = {}

    def judged(runner: Runner) -> RunnerFacts:
        if runner.app.pk not in once:
            once[runner.app.pk] = runner_facts(runner, cache)
        return once[runner.app.pk]

    facts = {}
    for connection in connections:
        server = connection.port.application
        found = probes.get(connection.pk, [])

        def endpoint(runner: Runner, connection=connection) -> Endpoint:
            return endpoint_of(connection, per_runner.get((connection.pk, runner.app.pk)))

        facts[connection.pk] = ConnectionFacts(
            client_name=connection.client.name,
            client_type=connection.client.app_type,
            client_version=connection.client.version,
            server_name=server.name,
            server_type=server.app_type,
            port_id=connection.port.port_id,
            port_number=connection.port.number,
            secured=secure[connection.pk],
            server_secure_ports=tuple(secure_ports.get(server.pk, [])),
            runners=tuple(with_probe(judged(r), r.trust, endpoint(r), found) for r in runners[connection.client_id])
            if secure[connection.pk] else (),
        )
    return facts


def validate_connections_of(connections, cache: ValidationCache | None = None) -> None:
    """Replace the findings of these connections; inside the caller's transaction."""
    connections = list(connections)
    runners = runners_for({c.client_id: c.client for c in connections}.values(), for_checks=True)
    per_runner = client_tls_per_runner(connections, runners)
    facts = connections_facts(connections, cache, runners=runners, per_runner=per_runner)
    policy = connection_policy_issues(connections, resolved=per_runner)
    replace_findings_of([(c, connection_verdict(facts[c.pk]) + policy[c.pk]) for c in connections])


def validate_applications(*, application_ids: list[int], cache: ValidationCache, sweep: Sweep | None = None) -> int:
    """The findings of these applications and of their connections, in one transaction and a fixed
    number of queries however many there are (a sweep validates them a chunk at a time).
    Returns how many still exist."""
    with transaction.atomic():
        # NO KEY UPDATE, not FOR UPDATE: a Cluster's row is locked here with its Nodes', and a save on
        # one of them checks its foreign key to the Cluster at commit (KEY SHARE), which FOR UPDATE
        # would block while this waits for that Node: a deadlock. Validators and writers still take turns.
        apps = list(Application.objects.select_for_update(of=("self",), no_key=True).select_related("host", "cluster")
                    .filter(pk__in=application_ids).order_by("pk"))
        for app in apps:
            if app.checks_requested_at is not None:
                # The request may have come with an options change whose restart flag was never
                # computed (broker down): recomputing it is idempotent.
                restart.reconcile(application_id=app.pk)
        facts = applications_facts(apps, cache)
        connections = list(Connection.objects.select_for_update(of=("self",), no_key=True).filter(client__in=apps)
                           .select_related(*CONNECTION_JOINS).defer(*CONNECTION_UNREAD).order_by("pk"))
        # What the effective TLS reads of the applications, the clients' and the servers', read once for the
        # chunk: each resolution read its own (three per chunk).
        world = SecurityWorld({a.pk for a in apps} | {a.backup_server_id for a in apps if a.backup_server_id}
                              | {c.port.application_id for c in connections})
        # Each connection's effective TLS as each runner runs it, resolved once for the checks and the policy.
        runners = runners_for({c.client_id: c.client for c in connections}.values(), for_checks=True)
        per_runner = client_tls_per_runner(connections, runners, world)
        connection_facts = connections_facts(connections, cache, runners=runners, per_runner=per_runner)
        # The TLS policy, on the effective parameters: each application's ports and backup pair, each connection.
        app_policy = application_policy_issues(apps, world=world)
        connection_policy = connection_policy_issues(connections, resolved=per_runner, world=world)
        replace_findings_of([(app, check_application(facts[app.pk]) + app_policy[app.pk]) for app in apps]
                            + [(c, connection_verdict(connection_facts[c.pk]) + connection_policy[c.pk])
                               for c in connections],
                            refresh=sweep is None)
        # Only the rows that have a request: each row updated is a new row version for PostgreSQL, and the
        # hosts' readiness counts are folded over them by a trigger (security.host_counts).
        Application.objects.filter(pk__in=[a.pk for a in apps], checks_requested_at__isnull=False).update(
            checks_requested_at=None)
        if sweep is not None:
            SweepItem.objects.bulk_create([SweepItem(sweep=sweep, subject=f"application:{pk}")
                                           for pk in application_ids], ignore_conflicts=True)
    return len(apps)


def validate_one_application(*, application_id: int, cache: ValidationCache, sweep: Sweep | None = None) -> bool:
    """The application's own findings and those of its connections, in one transaction."""
    return validate_applications(application_ids=[application_id], cache=cache, sweep=sweep) == 1


def related_applications(app: Application) -> list[int]:
    """The application and those whose findings depend on it: its Cluster and the Cluster's Nodes."""
    ids = [app.pk]
    cluster_id = app.pk if app.app_type == AppType.COBROWSE_CLUSTER else app.cluster_id
    if cluster_id:
        ids.append(cluster_id)
        ids += list(Application.objects.filter(cluster_id=cluster_id).values_list("pk", flat=True))
    return list(dict.fromkeys(ids))


def validate_application(*, application_id: int, cache: ValidationCache | None = None) -> bool:
    """Validate an application after a change: itself, its Cluster group, and the connections to it."""
    cache = cache or ValidationCache()
    app = Application.objects.filter(pk=application_id).first()
    if app is None:
        return False
    validate_applications(application_ids=related_applications(app), cache=cache)
    for connection_id in Connection.objects.filter(port__application=app).values_list("pk", flat=True):
        validate_connection(connection_id=connection_id, cache=cache)
    return True


def validate_connection(*, connection_id: int, cache: ValidationCache | None = None) -> bool:
    with transaction.atomic():
        connection = (Connection.objects.select_for_update(of=("self",), no_key=True)
                      .select_related(*CONNECTION_JOINS).filter(pk=connection_id).first())
        if connection is None:
            return False
        validate_connections_of([connection], cache)
    return True


def validate_pending() -> int:
    """Run the checks requested while no task could be queued (broker down). Returns how many ran."""
    cache = ValidationCache()
    count = 0
    for store_id in TrustedStore.objects.filter(checks_requested_at__isnull=False).values_list("pk", flat=True):
        count += validate_store(store_id=store_id, cache=cache)
    for app_id in Application.objects.filter(checks_requested_at__isnull=False).values_list("pk", flat=True):
        count += validate_application(application_id=app_id, cache=cache)
    return count
