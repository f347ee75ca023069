"""Run the checks on stores, applications and connections, and store what they find.

The findings of one object are replaced as a whole, in one transaction that first locks the
object's row: a worker killed half-way leaves the previous findings, never half of the new ones,
and two workers validating the same object take turns instead of colliding. The same transaction
clears the object's ``checks_requested_at`` (and, in a sweep, records the object as done).
"""

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from applications import restart
from applications.models import Application, AppType, Connection, Port
from cobrowse_admin import secret_box
from security.checks import Issue
from security.checks.application import ApplicationFacts, NodeConfig, StoreFacts, check_application
from security.checks.connection import ConnectionFacts, ProbeFacts, check_connection
from security.checks.store import check_contents, check_file
from security.crypto import CertificateError, build_jks, read_jks
from security.deployment import inherited_section, runs_with, saved_sections, stores_for
from security.models import Finding, ProbeResult, Sweep, SweepItem, TrustedStore
from security.stores import contents_digest, member_ders, store_password

logger = logging.getLogger(__name__)


@dataclass
class ValidationCache:
    """Work shared between objects of one sweep: stores with the same contents are parsed once."""

    contents: dict[str, list[Issue]] = field(default_factory=dict)
    files: dict[tuple, list[Issue]] = field(default_factory=dict)
    keystores: dict[tuple, bool] = field(default_factory=dict)
    parsed: int = 0  # how many times contents were actually checked (tests look at it)


def subject_of(obj) -> str:
    kind = {TrustedStore: "store", Application: "application", Connection: "connection"}[type(obj)]
    return f"{kind}:{obj.pk}"


def replace_findings(obj, issues: list[Issue]) -> None:
    """Replace the findings of ``obj``; call inside the transaction that locked ``obj``."""
    subject = subject_of(obj)
    links = {type(obj).__name__.lower().replace("trustedstore", "store"): obj}
    Finding.objects.filter(subject=subject).delete()
    unique = {(i.code, i.detail_key): i for i in issues}  # one per code and detail, whatever the checks say
    Finding.objects.bulk_create(
        Finding(subject=subject, code=i.code, detail_key=i.detail_key[:128], severity=i.severity,
                message=i.message, hint=i.hint, **links)
        for i in unique.values()
    )


def mark_done(sweep: Sweep | None, subject: str) -> None:
    if sweep is not None:
        SweepItem.objects.get_or_create(sweep=sweep, subject=subject)


# Stores


def store_issues(store: TrustedStore, cache: ValidationCache) -> list[Issue]:
    ders = member_ders(store)
    fingerprints = list(store.entries.values_list("certificate__fingerprint_sha256", flat=True))
    digest = store.contents_digest or contents_digest(fingerprints)
    if digest not in cache.contents:
        cache.parsed += 1
        cache.contents[digest] = check_contents(
            ders, now=timezone.now(), warning_days=settings.CERTIFICATE_EXPIRY_WARNING_DAYS)
    issues = list(cache.contents[digest])
    if any(i.code == "store.unreadable" for i in issues):
        return issues  # the file cannot be built from a damaged certificate: said once is enough
    password = store_password(store) if store.provider == "JKS" else ""
    key = (digest, store.provider, secret_box.digest(password) if password else "")
    if key not in cache.files:
        cache.files[key] = check_file(store.provider, ders, password)
    return issues + cache.files[key]


def validate_store(*, store_id: int, cache: ValidationCache | None = None, sweep: Sweep | None = None) -> bool:
    """Validate one store. False when it no longer exists."""
    cache = cache or ValidationCache()
    with transaction.atomic():
        store = TrustedStore.objects.select_for_update().filter(pk=store_id).first()
        if store is None:
            mark_done(sweep, f"store:{store_id}")
            return False
        replace_findings(store, store_issues(store, cache))
        TrustedStore.objects.filter(pk=store.pk).update(last_validated_at=timezone.now(), checks_requested_at=None)
        mark_done(sweep, subject_of(store))
    return True


# Applications


def connection_label(connection: Connection) -> str:
    port = connection.port
    return f"{connection.client.name} → {port.application.name}:{port.port_id} ({port.number})"


def keystore_opens(store: TrustedStore, password: str, cache: ValidationCache) -> bool | None:
    """Does ``password`` open the keystore built for this JKS store? None when it cannot be built."""
    store_pw = store_password(store)
    if not store_pw:
        return None
    key = (store.pk, store.contents_digest, secret_box.digest(store_pw), secret_box.digest(password))
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


def application_facts(app: Application, cache: ValidationCache) -> ApplicationFacts:
    nodes = list(app.nodes.order_by("name")) if app.app_type == AppType.COBROWSE_CLUSTER else []
    ids = {app.pk, *(n.pk for n in nodes)} | ({app.cluster_id} if app.cluster_id else set())
    sections = saved_sections(ids)
    own = sections[app.pk]
    store = stores_for({app.pk: own}).get(app.pk) if own.present else None
    store_facts = None
    if store is not None:
        opens = None
        if store.provider == "JKS" and own.provider == "JKS" and own.password_token:
            opens = keystore_opens(store, own.password, cache)
        store_facts = StoreFacts(store.name, store.provider, store.path, opens)
    holders = [app.pk] + ([app.cluster_id] if app.app_type == AppType.COBROWSE_NODE and app.cluster_id else [])
    secure = [connection_label(c) for c in Connection.objects.filter(client_id__in=holders, port__secured=True)
              .select_related("client", "port__application").order_by("client__name", "port__application__name")]
    inherited = inherited_section(app, sections)
    node_configs = []
    for node in nodes:
        section = runs_with(node, sections)
        node_configs.append(NodeConfig(node.name, section.provider or "", section.trusted_ca, section.password_digest))
    return ApplicationFacts(
        name=app.name,
        app_type=app.app_type,
        version=app.version,
        scs=app.uses_scs,
        host_os=app.host.os_type if app.host else None,
        section=own.facts,
        store=store_facts,
        inherited=inherited.facts if inherited else None,
        inherited_from=app.cluster.name if inherited and app.cluster else "",
        secure_connections=tuple(secure),
        serves_connections=not nodes,
        node_configs=tuple(node_configs),
    )


def connection_facts(connection: Connection) -> ConnectionFacts:
    server = connection.port.application
    secure_ports = [(p.port_id, p.number) for p in Port.objects.filter(application=server, secured=True)]
    secure_ports.sort(key=lambda p: (p[0] != "secure", p[0]))
    probe = None
    last = ProbeResult.objects.filter(connection=connection).select_related("store").first()
    host = server.host.address if server.host else ""
    # A probe counts only while it still describes the server's current host and a secure port of it.
    if last and last.host == host and last.port_number in {n for _, n in secure_ports}:
        probe = ProbeFacts(last.outcome, last.at, last.detail, last.store.name if last.store else "")
    return ConnectionFacts(
        client_name=connection.client.name,
        client_type=connection.client.app_type,
        client_version=connection.client.version,
        server_name=server.name,
        server_type=server.app_type,
        port_id=connection.port.port_id,
        port_number=connection.port.number,
        secured=connection.port.secured,
        server_secure_ports=tuple(secure_ports),
        probe=probe,
    )


def validate_connections_of(connections) -> None:
    """Replace the findings of these connections; inside the caller's transaction."""
    for connection in connections:
        replace_findings(connection, check_connection(connection_facts(connection)))


def validate_one_application(*, application_id: int, cache: ValidationCache, sweep: Sweep | None = None) -> bool:
    """The application's own findings and those of its connections, in one transaction."""
    with transaction.atomic():
        app = (Application.objects.select_for_update(of=("self",)).select_related("host", "cluster")
               .filter(pk=application_id).first())
        if app is None:
            mark_done(sweep, f"application:{application_id}")
            return False
        if app.checks_requested_at is not None:
            # The request may have come with an options change whose restart flag was never
            # computed (broker down): recomputing it is idempotent.
            restart.reconcile(application_id=app.pk)
        replace_findings(app, check_application(application_facts(app, cache)))
        connections = (Connection.objects.select_for_update(of=("self",)).filter(client=app)
                       .select_related("client", "port__application__host").order_by("pk"))
        validate_connections_of(connections)
        Application.objects.filter(pk=app.pk).update(checks_requested_at=None)
        mark_done(sweep, subject_of(app))
    return True


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
    for app_id in related_applications(app):
        validate_one_application(application_id=app_id, cache=cache)
    for connection_id in Connection.objects.filter(port__application=app).values_list("pk", flat=True):
        validate_connection(connection_id=connection_id)
    return True


def validate_connection(*, connection_id: int) -> bool:
    with transaction.atomic():
        connection = (Connection.objects.select_for_update(of=("self",))
                      .select_related("client", "port__application__host").filter(pk=connection_id).first())
        if connection is None:
            return False
        validate_connections_of([connection])
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
