"""A real worker on Redis probes a batch concurrently (issue 15.1): "Probe all" sends one task; the
worker makes one handshake per endpoint, however many clients use it, and judges each client's store."""

import pytest
from django.urls import reverse

from security.models import ProbeResult, TrustedStore
from tests.celery_integration.conftest import wait_until
from tests.probe import conftest as probe_fixtures
from tests.probe.test_probe_batch import clients, server_on

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]

probe_world = probe_fixtures.probe_world
counted = probe_fixtures.counted


def test_probe_all_runs_on_the_worker_one_handshake_per_endpoint(broker, workers, probe_world, counted, client_as):
    worker = workers.start(broker.url, name="prober", env={"TLS_PROBE_TIMEOUT_SECONDS": "2",
                                                          "PROBE_CONCURRENCY": "16"})
    store = TrustedStore.objects.get(name="Genesys CA")
    apps = clients(probe_world, 10, store)
    servers = {"good": counted("trusted"), "untrusted": counted("untrusted"), "hung": counted(None)}
    for server in servers.values():
        server.__enter__()
    try:
        connections = {}
        for name, server in servers.items():
            port = server_on(probe_world, name, server.port)
            connections[name] = [probe_world.connect(app, port) for app in apps]
        response = client_as("security").post(reverse("security:probe_all"), follow=True)
        assert "Probe of 30 connection(s) through a secure port requested" in response.content.decode()
        wait_until(lambda: ProbeResult.objects.count() >= 30, timeout=60, what="the worker's 30 probe results")
    finally:
        for server in servers.values():
            server.__exit__(None, None, None)

    assert {name: server.accepted for name, server in servers.items()} == {"good": 1, "untrusted": 1, "hung": 1}
    outcomes = {name: sorted(ProbeResult.objects.filter(connection__in=group).values_list("outcome", flat=True))
                for name, group in connections.items()}
    assert outcomes == {"good": ["ok"] * 10, "untrusted": ["untrusted"] * 10, "hung": ["timeout"] * 10}
    log = worker.output()
    assert "security.tasks.probe_batch" in log and "Probed 30 connection(s) through 3 handshake(s)" in log
