"""A large environment for the benchmarks: ``seed_demo --scale N`` on a fresh database.

For N applications: N/50 hosts, 10·N options (one Node holds 200 of them), 4·N connections, N/10 real
certificates (one RSA root signing the others, with a few reused keys so thousands are made in a
second), N/25 trusted stores (a tenth as many distinct contents: identical stores are common), and
20·N audit events spread over a year. Every row is written with ``bulk_create``.

The shape follows a real deployment: Solution Control, Message, Chat and Configuration Servers with
a default and a secure port; Co-browse Clusters of about ten Nodes whose security sections point at
the stores (some assigned in the security form, some by path); a few applications with changes
pending a restart.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from applications import audit_chain
from applications.models import (
    Application,
    AppType,
    AuditEvent,
    Connection,
    Host,
    OperatingSystem,
    Option,
    PendingRestartChange,
    Port,
    RunningOption,
)
from applications.versions import version_key

BIG_APPLICATION = "scale-node-big"
BIG_OPTIONS = 200
BATCH = 2000
SERVER_TYPES = [AppType.MESSAGE_SERVER, AppType.CHAT_SERVER, AppType.CONFIG_SERVER, AppType.SCS]
NODE_VERSIONS = ["8.5.003.04", "8.5.003.11", "8.5.100.02", "8.5.001.09", "8.5.102.05"]
ACTIONS = ["update", "update", "update", "create", "delete", "restart", "import"]


class ScaleError(Exception):
    pass


def counts(n: int) -> dict[str, int]:
    return {
        "applications": n,
        "hosts": max(2, n // 50),
        "options": 10 * n,
        "connections": 4 * n,
        "certificates": max(4, n // 10),
        "stores": max(3, n // 25),
        "audit_events": 20 * n,
    }


def seed_scale(n: int, *, rng: random.Random | None = None, log=print) -> dict[str, int]:
    """Add the scale environment; refuses when one is there already. Returns the row counts."""
    if n < 20:
        raise ScaleError("--scale needs at least 20 applications")
    if Application.objects.filter(name__startswith="scale-").exists():
        raise ScaleError("the database already holds a scale environment: use a fresh database")
    rng = rng or random.Random(6)
    want = counts(n)
    with transaction.atomic():
        hosts = make_hosts(want["hosts"])
        apps = make_applications(n, hosts, rng)
        log(f"  {sum(len(group) for group in apps.values())} applications on {len(hosts)} hosts")
        ports = make_ports(apps)
        make_connections(apps, ports, want["connections"], rng)
        log(f"  {want['connections']} connections through {len(ports)} ports")
        stores = make_certificates_and_stores(want["certificates"], want["stores"], rng, log)
        make_options(apps, stores, want["options"], rng)
        log(f"  {want['options']} options")
        make_pending(apps, rng)
        make_audit(apps, want["audit_events"], rng)
        log(f"  {want['audit_events']} audit events")
    analyze()
    return want


def analyze() -> None:
    """Fresh statistics after the bulk load, as autovacuum would gather them a little later: without
    them PostgreSQL plans every query as if the tables were still empty."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def bulk(model, objects: Iterable, **kwargs) -> list:
    return model.objects.bulk_create(list(objects), batch_size=BATCH, **kwargs)


def make_hosts(count: int) -> list[Host]:
    hosts = []
    for i in range(count):
        windows = i % 5 == 4
        hosts.append(Host(
            name=f"scale-host-{i:04d}", address=f"10.{20 + i // 250}.{i % 250}.{10 + i % 7}",
            os_type=OperatingSystem.WINDOWS if windows else OperatingSystem.LINUX,
        ))
    return bulk(Host, hosts)


def new_app(name: str, app_type: str, version: str, host: Host, **fields) -> Application:
    return Application(name=name, app_type=app_type, version=version, version_key=version_key(version),
                       host=host, **fields)


def make_applications(n: int, hosts: list[Host], rng: random.Random) -> dict[str, list[Application]]:
    servers = max(4, n // 50)
    clusters = max(2, n // 12)
    others = n // 10
    nodes = n - servers - clusters - others
    made: dict[str, list[Application]] = {}
    made["servers"] = bulk(Application, (
        new_app(f"scale-{SERVER_TYPES[i % 4].value.replace('_', '-')}-{i:04d}", SERVER_TYPES[i % 4],
                "8.5.100.07", hosts[i % len(hosts)])
        for i in range(servers)))
    made["clusters"] = bulk(Application, (
        new_app(f"scale-cluster-{i:04d}", AppType.COBROWSE_CLUSTER, "8.5.003.04", hosts[i % len(hosts)],
                scs_controlled=(i % 7 == 6))
        for i in range(clusters)))
    node_list = []
    for i in range(nodes):
        name = BIG_APPLICATION if i == 0 else f"scale-node-{i:05d}"
        host = hosts[rng.randrange(len(hosts))]
        node_list.append(new_app(
            name, AppType.COBROWSE_NODE, NODE_VERSIONS[i % len(NODE_VERSIONS)], host,
            cluster=made["clusters"][i % clusters], enabled=(i % 40 != 39),
            service_account="Local System" if host.os_type == OperatingSystem.WINDOWS else "",
            working_directory=f"/opt/genesys/{name}"))
    made["nodes"] = bulk(Application, node_list)
    made["others"] = bulk(Application, (
        new_app(f"scale-cobrowse-server-{i:04d}", AppType.COBROWSE_SERVER, "8.5.000.12", hosts[i % len(hosts)])
        if i % 2 == 0 else new_app(f"scale-other-{i:04d}", AppType.OTHER, "8.1.200.05", hosts[i % len(hosts)])
        for i in range(others)))
    return made


def make_ports(apps: dict[str, list[Application]]) -> list[Port]:
    ports = []
    for i, server in enumerate(apps["servers"]):
        base = 4000 + 10 * i
        ports.append(Port(application=server, port_id="default", number=base, secured=False))
        ports.append(Port(application=server, port_id="secure", number=base + 1, secured=True, mutual_tls=i % 9 == 0))
    return bulk(Port, ports)


def spread_ports(client, k: int, useful: list[Port], ports: list[Port]):
    """The ports a client's k-th connection may take, in the order tried: a spread that depends on the
    client (most through useful, secure ports), then every port, so a free one is found whatever the ids
    the database handed out (on PostgreSQL they depend on what ran before)."""
    for attempt in range(len(ports)):
        pool = useful if (k + attempt) % 6 else ports
        yield pool[(client.pk * 7 + k * 13 + attempt) % len(pool)]
    yield from ports


def make_connections(apps, ports: list[Port], total: int, rng: random.Random) -> None:
    clients = apps["clusters"] + apps["nodes"] + apps["others"] + apps["servers"]
    useful = [p for p in ports if p.application.app_type != AppType.CONFIG_SERVER]
    connections = []
    for i in range(total):
        client = clients[i % len(clients)]
        connections.append((client, i // len(clients)))
    rows, seen = [], set()
    for client, k in connections:
        # Each client's k-th connection: a different port each time; most through secure ports.
        port = next((port for port in spread_ports(client, k, useful, ports)
                     if port.application_id != client.pk and (client.pk, port.pk) not in seen), None)
        if port is None:
            continue
        seen.add((client.pk, port.pk))
        addp = (client.pk + k) % 5 == 0
        rows.append(Connection(
            client=client, port=port, protocol="addp" if addp else "default",
            addp_local_timeout=30 if addp else None, addp_remote_timeout=60 if addp else None,
            addp_trace="off" if addp else "", transport_params="tls=1" if port.secured and k % 3 == 0 else ""))
    if len(rows) != total:
        raise ScaleError(f"only {len(rows)} distinct connections fit: add applications")
    bulk(Connection, rows)


def make_certificates_and_stores(n_certs: int, n_stores: int, rng: random.Random, log) -> list:
    from cobrowse_admin import secret_box
    from security.crypto.build import jks_aliases
    from security.crypto.parse import certificate_details, load_der_certificate
    from security.models import Certificate, Provider, StoreEntry, TrustedStore
    from security.stores import contents_digest

    ders = generate_certificates(n_certs, rng)
    certs = []
    for index, der in enumerate(ders):
        d = certificate_details(load_der_certificate(der))
        certs.append(Certificate(
            der=d.der, fingerprint_sha256=d.fingerprint_sha256, subject=d.subject, issuer=d.issuer,
            common_name=d.common_name, serial_hex=d.serial_hex, not_before=d.not_before, not_after=d.not_after,
            is_ca=d.is_ca, self_signed=d.self_signed, key_type=d.key_type, key_size=d.key_size,
            signature_hash=d.signature_hash or "", source_kind="pem" if index % 3 else "der",
            source_filename=f"scale-ca-{index:04d}.pem"))
    certs = bulk(Certificate, certs)
    log(f"  {len(certs)} certificates")

    # A tenth as many distinct contents as stores: the root and a handful of intermediates each.
    distinct = max(2, n_stores // 10)
    contents = []
    for k in range(distinct):
        members = [certs[0]] + rng.sample(certs[1:], min(len(certs) - 1, 4 + k % 12))
        contents.append((members, jks_aliases([bytes(c.der) for c in members]),
                         contents_digest([c.fingerprint_sha256 for c in members])))
    password_tokens = [secret_box.encrypt(f"store-pass-{k}") for k in range(4)]
    stores, entries = [], []
    for i in range(n_stores):
        provider = [Provider.PEM, Provider.JKS, Provider.PEM, Provider.JKS, Provider.MSCAPI][i % 5]
        members, aliases, digest = contents[i % distinct]
        suffix = {"PEM": "pem", "JKS": "jks"}.get(provider, "")
        stores.append(TrustedStore(
            name=f"scale-store-{i:04d}", provider=provider,
            path=f"/opt/genesys/trust/scale-store-{i:04d}.{suffix}" if suffix else "",
            windows_path=f"C:\\GCTI\\trust\\scale-store-{i:04d}.{suffix}" if suffix else "",
            password_encrypted=password_tokens[i % 4] if provider == Provider.JKS else "",
            contents_digest=digest))
    stores = bulk(TrustedStore, stores)
    for i, store in enumerate(stores):
        members, aliases, _digest = contents[i % distinct]
        entries += [StoreEntry(store=store, certificate=c, alias=a, position=p)
                    for p, (c, a) in enumerate(zip(members, aliases, strict=True))]
    bulk(StoreEntry, entries)
    log(f"  {len(stores)} trusted stores ({distinct} distinct contents, {len(entries)} entries)")
    from security.store_history import baseline

    baseline(actor="seed_demo", note="Demo data.")  # version 1 of each store, as the migration gives
    return stores


def generate_certificates(count: int, rng: random.Random) -> list[bytes]:
    """Real X.509 CA certificates: one RSA root, the rest issued by it with a few reused keys."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.serialization import Encoding
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    keys = [ec.generate_private_key(ec.SECP256R1()) for _ in range(6)]
    keys.append(rsa.generate_private_key(public_exponent=65537, key_size=1024))  # a weak one, for the checks

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Scale Benchmark Corp"),
                          x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    root_name = name("Scale Benchmark Root CA")
    root_ski = x509.SubjectKeyIdentifier.from_public_key(root_key.public_key())

    def build(subject, key, not_before, not_after, serial, ca=True):
        return (x509.CertificateBuilder().subject_name(subject).issuer_name(root_name)
                .public_key(key.public_key()).serial_number(serial)
                .not_valid_before(not_before).not_valid_after(not_after)
                .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(root_ski),
                               critical=False))

    root = build(root_name, root_key, now - dt.timedelta(days=3650), now + dt.timedelta(days=3650), 1)
    ders = [root.sign(root_key, hashes.SHA256()).public_bytes(Encoding.DER)]
    for i in range(1, count):
        # Mostly valid for years; some expired, some expiring within the warning window.
        if i % 25 == 0:
            not_after = now - dt.timedelta(days=rng.randint(1, 400))
        elif i % 25 == 1:
            not_after = now + dt.timedelta(days=rng.randint(1, 25))
        else:
            not_after = now + dt.timedelta(days=rng.randint(60, 3000))
        not_before = min(now, not_after) - dt.timedelta(days=rng.randint(400, 2000))
        builder = build(name(f"Scale Intermediate CA {i:04d}"), keys[i % len(keys)], not_before, not_after,
                        1000 + i, ca=(i % 50 != 7))
        ders.append(builder.sign(root_key, hashes.SHA256()).public_bytes(Encoding.DER))
    return ders


def make_options(apps, stores: list, total: int, rng: random.Random) -> None:
    from security.models import StoreAssignment

    everything = [a for group in apps.values() for a in group]
    big = next(a for a in apps["nodes"] if a.name == BIG_APPLICATION)
    rows: dict[int, list[tuple[str, str, str, bool]]] = {a.pk: [] for a in everything}
    file_stores = [s for s in stores if s.provider != "MSCAPI"]
    assignments = []
    for i, app in enumerate(everything):
        own = rows[app.pk]
        own.append(("log", "verbose", ["standard", "debug", "all", "none"][i % 4], False))
        if app.app_type in (AppType.COBROWSE_CLUSTER, AppType.COBROWSE_NODE):
            own.append(("cluster", "url", f"https://cobrowse-{app.cluster_id or app.pk}.example.com/cobrowse", False))
            if app.app_type == AppType.COBROWSE_NODE:
                own.append(("cluster", "serverUrl", f"http://{app.host.address}:8700/cobrowse", False))
                # Most Nodes hold the security section; one in ten inherits its Cluster's or has none.
                if i % 10:
                    store = file_stores[i % len(file_stores)]
                    own.append(("security", "provider", store.provider, False))
                    # The store's path on this Node's host: Windows hosts get its Windows path.
                    own.append(("security", "trusted-ca", store.path_for(app.host.os_type), False))
                    if store.provider == "JKS":
                        own.append(("security", "truststore-password", store.password_encrypted, True))
                    if i % 3 == 0:
                        assignments.append(StoreAssignment(application=app, store=store))
    for i in range(BIG_OPTIONS - len(rows[big.pk])):
        rows[big.pk].append((f"section-{i // 25:02d}", f"option-{i:03d}", f"value {i}", False))
    used = sum(len(r) for r in rows.values())
    others = [a for a in everything if a.pk != big.pk]
    k = 0
    while used < total:
        app = others[k % len(others)]
        rows[app.pk].append(("bench", f"setting-{len(rows[app.pk]):03d}", f"v{rng.randrange(1000)}", False))
        used += 1
        k += 1
    options, running = [], []
    for app_id, items in rows.items():
        for section, name, value, secret in items:
            options.append(Option(application_id=app_id, section=section, name=name, value=value, is_secret=secret))
            if not secret:
                running.append(RunningOption(application_id=app_id, section=section, name=name, value=value))
    bulk(Option, options)
    bulk(RunningOption, running)
    bulk(StoreAssignment, assignments)


def make_pending(apps, rng: random.Random) -> None:
    """One application in twenty has an options change its server has not picked up."""
    pending = []
    now = timezone.now()
    for i, app in enumerate(apps["nodes"] + apps["clusters"]):
        if i % 20 == 5:
            pending.append(PendingRestartChange(application=app, section="log", name="verbose",
                                                running_value="standard", new_value="debug",
                                                changed_by_name="operator", changed_at=now))
    bulk(PendingRestartChange, pending)


def make_audit(apps, total: int, rng: random.Random) -> None:
    everything = [a for group in apps.values() for a in group]
    start = timezone.now() - dt.timedelta(days=365)
    step = dt.timedelta(days=365) / max(total, 1)
    events = []
    for i in range(total):
        app = everything[rng.randrange(len(everything))]
        action = ACTIONS[i % len(ACTIONS)]
        events.append(AuditEvent(
            at=start + step * i, actor_name=["operator", "security", "admin", "seed_demo"][i % 4], action=action,
            object_type="option" if action in ("update", "create", "delete") else "application",
            object_id=str(app.pk), object_repr=f"[bench] setting-{i % 10:03d}", application=app,
            changes={"value": [f"v{i % 97}", f"v{(i + 1) % 97}"]}, options_revision=None))
    # Chained like any event (the events keep their own, past, times): verify_audit passes.
    with transaction.atomic():
        audit_chain.link(events)
        bulk(AuditEvent, events)
