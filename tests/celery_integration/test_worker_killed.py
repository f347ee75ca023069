"""A worker killed (SIGKILL) in the middle of a sweep: the sweep is delivered again to a new worker
and finishes with exactly the findings a clean sweep gives, none lost and none twice."""

import time

import pytest

from applications.models import Application, AppType, Connection, Option
from applications.versions import version_key
from security import sweeps
from security.models import Finding, StoreAssignment, Sweep, SweepItem, SweepStatus
from security.tasks import validate_everything
from tests.celery_integration.conftest import wait_until
from tests.checks.world import World

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]

CLUSTERS = 60  # each with two Nodes: enough work that the kill lands in the middle of the sweep


def build(world: World) -> None:
    """Clusters of two Nodes each, configured well or badly, in bulk."""
    good = world.store("Genesys CA")
    expired = world.store("Old CA", certs=("expired-ca.pem",))
    weak = world.store("Weak CA", certs=("rsa1024-ca.pem", "sha1-ca.pem"))
    stores = [good, expired, weak]
    version = "8.5.003.04"
    clusters = Application.objects.bulk_create(
        Application(name=f"Cluster_{i:03}", app_type=AppType.COBROWSE_CLUSTER, version=version,
                    version_key=version_key(version), host=world.linux)
        for i in range(CLUSTERS))
    nodes = Application.objects.bulk_create(
        Application(name=f"Node_{i:03}_{n}", app_type=AppType.COBROWSE_NODE, version=version,
                    version_key=version_key(version), host=world.linux, cluster=cluster)
        for i, cluster in enumerate(clusters) for n in (1, 2))
    options, assignments = [], []
    for index, node in enumerate(nodes):
        if index % 5 == 4:
            continue  # TLS disabled on this Node
        store = stores[index % 3]
        options.append(Option(application=node, section="security", name="provider", value=store.provider))
        options.append(Option(application=node, section="security", name="trusted-ca", value=store.path))
        assignments.append(StoreAssignment(application=node, store=store))
    Option.objects.bulk_create(options)
    StoreAssignment.objects.bulk_create(assignments)
    Connection.objects.bulk_create(
        Connection(client=cluster, port=world.message_secure if i % 4 else world.message_default)
        for i, cluster in enumerate(clusters))


def findings() -> list[tuple]:
    return sorted(Finding.objects.values_list("subject", "code", "detail_key", "severity", "message"))


def test_a_sweep_whose_worker_is_killed_finishes_on_the_next_worker_with_every_finding_once(
        broker, workers, cert_files):
    world = World(cert_files)
    build(world)
    # What a clean sweep finds (in this process, the same service the task calls).
    sweeps.run_sweep(sweeps.sweep_create(trigger="command").pk)
    expected = findings()
    assert len(expected) > 50
    # Make the stored findings wrong: half of them lost, and stale ones everywhere else.
    Finding.objects.filter(pk__in=list(Finding.objects.order_by("pk").values_list("pk", flat=True)[::2])).delete()
    Finding.objects.bulk_create(
        Finding(subject=f"application:{app.pk}", code="application.tls_disabled", detail_key="stale",
                severity="error", message="stale", application=app)
        for app in Application.objects.all())

    first = workers.start(broker.url, name="first")
    sweep = sweeps.sweep_create(trigger="ui", actor="tests")
    total = len(sweeps.sweep_plan())
    validate_everything.delay(sweep.pk)
    sent_at = time.monotonic()
    wait_until(lambda: SweepItem.objects.filter(sweep=sweep).count() >= 10, timeout=30,
               what="the first worker to be under way", interval=0.01)
    first.kill()
    done_when_killed = SweepItem.objects.filter(sweep=sweep).count()
    sweep.refresh_from_db()
    assert sweep.status == SweepStatus.RUNNING and done_when_killed < total, (done_when_killed, total)

    # The message was never acknowledged: a worker starting after the visibility timeout gets it again.
    time.sleep(max(0.0, 1.2 - (time.monotonic() - sent_at)))
    second = workers.start(broker.url, name="second", env={"CELERY_VISIBILITY_TIMEOUT": "1"})
    wait_until(lambda: Sweep.objects.get(pk=sweep.pk).finished, timeout=60, what="the sweep to finish")

    sweep.refresh_from_db()
    assert sweep.status == SweepStatus.DONE, sweep.message
    assert SweepItem.objects.filter(sweep=sweep).count() == sweep.total == total
    assert findings() == expected
    assert Finding.objects.count() == len(expected)
    assert "validate_everything[" in second.output()
