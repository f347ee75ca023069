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


def test_the_probe_command_waits_for_the_worker_and_prints_its_results(broker, workers, probe_world, counted):
    import io

    from django.core.management import call_command
    from django.core.management.base import CommandError

    workers.start(broker.url, name="prober-cli", env={"TLS_PROBE_TIMEOUT_SECONDS": "2"})
    store = TrustedStore.objects.get(name="Genesys CA")
    apps = clients(probe_world, 3, store)
    with counted("trusted") as good, counted("untrusted") as bad:
        for name, server in (("good", good), ("bad", bad)):
            port = server_on(probe_world, name, server.port)
            for app in apps:
                probe_world.connect(app, port)
        out = io.StringIO()
        queued = io.StringIO()
        call_command("probe", "--application", apps[0].name, stdout=queued)  # without --wait: queued only
        assert "Probe of 2 connection(s) queued on the workers" in queued.getvalue()
        wait_until(lambda: ProbeResult.objects.count() >= 2, timeout=60, what="the first batch")
        with pytest.raises(CommandError) as refused:
            call_command("probe", "--all", "--wait", "--timeout", "60", stdout=out)

    assert refused.value.returncode == 1 and str(refused.value) == "3 probe result(s) not trusted"
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("6 connection(s) probed on the workers in ")
    assert sum(line.startswith("OK ") for line in lines) == 3 and sum(line.startswith("FAIL") for line in lines) == 3
    # Two batches, one handshake per endpoint each.
    assert (good.accepted, bad.accepted) == (2, 2)
