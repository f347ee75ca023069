"""Probing many connections together (issue 15.1): one handshake per endpoint, each client's store
judging the chain offline, against real TLS servers on 127.0.0.1 that count the TCP connections
they accept (a handshake each)."""

import pytest
from django.test import override_settings
from django.urls import reverse

from applications.models import AppType
from security import sweeps
from security.models import ProbeResult
from security.probe import probe_connections
from tests.certs.tls_server import closed_port
from tests.checks.world import codes


def server_on(world, name: str, number: int):
    """A Message Server on 127.0.0.1 whose secure port is ``number``."""
    app = world.app(name, AppType.MESSAGE_SERVER, "8.5.100.03", host=world.core)
    return world.port(app, "secure", number, secured=True)


def clients(world, count: int, store):
    apps = []
    for i in range(count):
        app = world.app(f"Cobrowse_Server_{i:02d}", AppType.COBROWSE_SERVER, "8.5.000.10", host=world.linux)
        world.security(app, store=store)
        apps.append(app)
    return apps


@pytest.fixture
def store(probe_world):
    from security.models import TrustedStore

    return TrustedStore.objects.get(name="Genesys CA")


def outcome_of(connection) -> str:
    return ProbeResult.objects.filter(connection=connection).values_list("outcome", flat=True).get()


@override_settings(TLS_PROBE_TIMEOUT_SECONDS=1, PROBE_CONCURRENCY=8)
def test_twenty_clients_of_one_hung_endpoint_cost_one_handshake(probe_world, store, counted):
    with counted(None) as hung:
        port = server_on(probe_world, "Hung", hung.port)
        connections = [probe_world.connect(c, port) for c in clients(probe_world, 20, store)]
        run = probe_connections([c.pk for c in connections])

    assert hung.accepted == 1 and run.handshakes == 1
    assert [outcome_of(c) for c in connections] == ["timeout"] * 20
    assert all(codes(c) == {"connection.probe_unreachable"} for c in connections)


@override_settings(TLS_PROBE_TIMEOUT_SECONDS=2)
def test_every_kind_of_server_in_one_batch_each_reached_once(probe_world, store, counted):
    """Good, untrusted, expired, wrong host name (checked), mutual TLS (TLS 1.3 and 1.2), hung and
    refused endpoints, three clients each: one handshake per endpoint, one verdict per client."""
    kinds = {"good": ("trusted", {}), "untrusted": ("untrusted", {}), "expired": ("expired", {}),
             "wronghost": ("wronghost", {}), "mutual13": ("trusted", {"mutual": True}),
             "mutual12": ("trusted", {"mutual": True, "tls12": True}), "hung": (None, {})}
    expected = {"good": "ok", "untrusted": "untrusted", "expired": "expired", "wronghost": "hostname_mismatch",
                "mutual13": "ok", "mutual12": "ok", "hung": "timeout", "refused": "refused"}
    servers = {name: counted(kind, **options) for name, (kind, options) in kinds.items()}
    apps = clients(probe_world, 3, store)
    by_kind = {}
    for server in servers.values():
        server.__enter__()
    try:
        ports = {name: server_on(probe_world, name, server.port) for name, server in servers.items()}
        ports["refused"] = server_on(probe_world, "refused", closed_port())
        for name, port in ports.items():
            by_kind[name] = [probe_world.connect(app, port) for app in apps]
            if name == "wronghost":
                for c in by_kind[name]:
                    c.transport_params = "tls-target-name-check=host"
                    c.save()
        run = probe_connections([c.pk for group in by_kind.values() for c in group])
    finally:
        for server in servers.values():
            server.__exit__(None, None, None)

    assert run.handshakes == len(ports) == 8
    assert {name: server.accepted for name, server in servers.items()} == dict.fromkeys(servers, 1)
    assert {name: {outcome_of(c) for c in group} for name, group in by_kind.items()} == {
        name: {outcome} for name, outcome in expected.items()}
    # The chain each client was shown is recorded, also from the server that then wanted a client certificate.
    for name in ("good", "mutual13", "mutual12", "untrusted"):
        assert all(r.chain_pem.count("BEGIN CERTIFICATE") >= 1 for r in ProbeResult.objects.filter(
            connection__in=by_kind[name]))
    tls12 = ProbeResult.objects.filter(connection=by_kind["mutual12"][0]).get()
    assert "trusted store verifies" in tls12.detail


@override_settings(TLS_PROBE_TIMEOUT_SECONDS=2)
def test_clients_with_different_stores_share_the_handshake_and_get_their_own_verdict(probe_world, store, counted):
    other = probe_world.store("Other CA", certs=("other-ca.pem",))
    with counted("trusted") as server:
        port = server_on(probe_world, "Shared", server.port)
        trusting = clients(probe_world, 2, store)
        distrusting = probe_world.app("Cobrowse_Server_X", AppType.COBROWSE_SERVER, "8.5.000.10",
                                      host=probe_world.linux)
        probe_world.security(distrusting, store=other)
        cluster = probe_world.connect(probe_world.cluster, port)  # its Nodes trust Genesys CA
        connections = [probe_world.connect(c, port) for c in [*trusting, distrusting]]
        run = probe_connections([c.pk for c in [*connections, cluster]])

    assert server.accepted == 1 and run.handshakes == 1
    assert [outcome_of(c) for c in connections] == ["ok", "ok", "untrusted"]
    assert outcome_of(cluster) == "ok"
    assert "no path from CN=localhost" in ProbeResult.objects.get(connection=connections[2]).detail


@override_settings(PROBE_HISTORY=3)
def test_a_connection_keeps_its_last_results(client_as, probe_world, store, serve):
    with serve("trusted") as number:
        port = server_on(probe_world, "Kept", number)
        connection = probe_world.connect(clients(probe_world, 1, store)[0], port)
        for _ in range(5):
            probe_connections([connection.pk])
    kept = list(ProbeResult.objects.filter(connection=connection).order_by("-at", "-id"))
    assert len(kept) == 3
    # The store's contents change: every result it kept is stale, and the page says so.
    from security.stores import store_save

    store_save(store=store, certificates=[probe_world.cert("ca.pem"), probe_world.cert("other-ca.pem")],
               password=None, actor="tests")
    page = client_as("viewer").get(reverse("security:probe_history", args=[connection.pk]))
    html = page.content.decode()
    rows = page.context["history"].rows
    assert [r.result.pk for r in rows] == [r.pk for r in kept]
    assert all(r.view.stale == ["it used PEM with the store Genesys CA (whose certificates have changed since); "
                                "the client now uses PEM with the store Genesys CA"] for r in rows)
    assert html.count('data-stale="yes"') == 3 and "Co-browse Test Root CA" in html
    assert kept[0].store_digest[:16] in html


def test_probe_all_from_the_review_probes_every_secure_connection_in_one_batch(client_as, probe_world, store,
                                                                               counted):
    with counted("trusted") as server:
        port = server_on(probe_world, "All", server.port)
        connections = [probe_world.connect(c, port) for c in clients(probe_world, 4, store)]
        viewer = client_as("viewer").post(reverse("security:probe_all"))
        assert viewer.status_code == 403 and not ProbeResult.objects.exists()
        response = client_as("security").post(reverse("security:probe_all"), follow=True)

    assert server.accepted == 1
    assert [outcome_of(c) for c in connections] == ["ok"] * 4
    html = response.content.decode()
    assert "Probe of 4 connection(s) through a secure port requested" in html
    assert 'id="probe-all"' in html and "probe-history-link" in html


@override_settings(TLS_PROBE_IN_SWEEP=True)
def test_the_sweep_probes_in_one_batch(probe_world, store, counted):
    with counted("trusted") as server:
        port = server_on(probe_world, "Swept", server.port)
        connections = [probe_world.connect(c, port) for c in clients(probe_world, 3, store)]
        sweeps.run_sweep(sweeps.sweep_create(trigger="beat").pk)
    assert server.accepted == 1
    assert [outcome_of(c) for c in connections] == ["ok"] * 3
