"""The readiness counts per host the database keeps (``HostReadinessCount``, written by triggers) equal a
fresh count over the applications and their stored verdicts after every kind of write that changes them:
checks run and run again, an application moved through its form, a history revert, a bulk update, an
application created, deleted (with its verdict, in either order), verdicts deleted in bulk, a sweep, and
random sequences of all of these. The hosts list's TLS column and its order "worst first", read from them,
equal what the verdicts themselves give. On SQLite and on PostgreSQL (``DATABASE_URL``)."""

import random
import threading
import time
from collections import Counter

import pytest
from django.db import connection, connections, transaction
from django.db.models import Count, Q
from django.urls import reverse

from applications import history, services
from applications.forms import ApplicationForm
from applications.history import application_snapshot, latest_number
from applications.models import Application, AppType, Host
from applications.revert import revert_application
from security import host_counts, sweeps
from security.models import ApplicationCheck, HostReadinessCount, HostReadinessCountChange
from tests.checks.world import World
from tests.conftest import require

HOSTS = reverse("applications:host_list")


def kept() -> dict[int, tuple[int, int, int, int]]:
    """The counts as readers see them (the counts plus the changes not yet folded), hosts with applications."""
    counts = host_counts.counts_of(list(Host.objects.values_list("pk", flat=True)) + [0, -1])
    return {host: tuple(c[name] for name in host_counts.COUNTS) for host, c in counts.items() if any(c.values())}


def counted() -> dict[int, tuple[int, int, int, int]]:
    rows = (Application.objects.filter(host__isnull=False).order_by().values("host_id").annotate(
        applications=Count("pk"),
        judged=Count("tls_readiness", filter=~Q(tls_readiness__verdict="")),
        ready=Count("tls_readiness", filter=Q(tls_readiness__verdict="ready")),
        not_ready=Count("tls_readiness", filter=Q(tls_readiness__verdict="not ready")))
            .values_list("host_id", "applications", "judged", "ready", "not_ready"))
    return {host: tuple(counts) for host, *counts in rows}


def assert_exact() -> None:
    assert kept() == counted()
    host_counts.fold()  # what runs after each writing transaction commits (PostgreSQL)
    assert not HostReadinessCountChange.objects.exists()
    assert {row.host_id: tuple(getattr(row, name) for name in host_counts.COUNTS)
            for row in HostReadinessCount.objects.all()} == counted()


@pytest.fixture
def estate(world: World, users) -> World:
    """A Cluster with two Nodes (one ready, one not), a lone server on another host, Genesys servers
    (no verdict) on a third; everything checked."""
    store = world.store("Genesys CA")
    world.security(world.node1, store=store)
    world.connect(world.cluster, world.message_secure)
    world.other_host = world.host("cb-linux-02", "linux", "10.0.1.12")
    world.loner = world.app("Lone_Server", AppType.COBROWSE_SERVER, "8.5.000.12", host=world.other_host)
    for obj in (store, world.cluster, world.node1, world.node2, world.loner, world.message):
        world.validate(obj)
    world.users = users
    return world


def move_through_the_form(app: Application, host: Host, actor) -> None:
    instance = Application.objects.get(pk=app.pk)
    data = {**{key: ("" if value is None else value) for key, value in application_snapshot(instance)["general"]
               .items()}, "host": host.pk}
    for flag in ("enabled", "scs_controlled"):
        if not data.get(flag):
            data.pop(flag, None)
    form = ApplicationForm(data=data, instance=instance)
    assert form.is_valid(), form.errors
    services.save_object(form=form, actor=actor)


def test_the_migration_filled_and_the_triggers_keep_the_counts_after_checks(estate):
    counts = counted()
    assert counts[estate.linux.pk][3] >= 1  # something not ready: the test sees the verdicts
    assert any(c[2] for c in counts.values())  # and something ready
    assert_exact()
    estate.security(estate.node2, provider="PEM", trusted_ca="/opt/genesys/certs/genesys-ca.pem")
    for obj in (estate.cluster, estate.node1, estate.node2, estate.loner):
        estate.validate(obj)
    assert_exact()


def test_the_counts_follow_an_application_moved_by_its_form_and_by_a_revert(estate):
    operator = estate.users["operator"]
    history.baseline()  # version 1 of each application, as the migration wrote on existing databases
    before = counted()
    move_through_the_form(estate.node1, estate.other_host, operator)
    assert counted() != before
    assert_exact()
    app = Application.objects.get(pk=estate.node1.pk)
    revert_application(application=app, to=latest_number(app.pk) - 1, actor=operator)
    assert Application.objects.get(pk=app.pk).host_id == estate.node1.host_id
    assert_exact()


def test_the_counts_follow_bulk_updates_creations_and_deletes(estate):
    Application.objects.filter(host=estate.linux).update(host=estate.other_host)
    assert_exact()
    Application.objects.filter(pk=estate.loner.pk).update(host=None)
    assert_exact()
    estate.app("New_Server", AppType.COBROWSE_SERVER, "8.5.000.12", host=estate.windows)
    assert_exact()
    ApplicationCheck.objects.filter(verdict="ready").update(verdict="not ready")
    assert_exact()
    ApplicationCheck.objects.filter(application=estate.node2).delete()
    assert_exact()
    services.delete_object(obj=Application.objects.get(pk=estate.node1.pk), actor=estate.users["operator"])
    assert_exact()


def test_an_application_deleted_before_its_verdict_leaves_the_counts_exact(estate):
    """Foreign keys are checked at commit: a transaction may delete the application first."""
    app = estate.app("Short_Lived", AppType.COBROWSE_SERVER, "8.5.000.12", host=estate.other_host)
    ApplicationCheck.objects.create(application=app, verdict="not ready")
    assert_exact()
    with transaction.atomic():
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("PRAGMA defer_foreign_keys = ON")
            cursor.execute("DELETE FROM applications_application WHERE id = %s", [app.pk])
            cursor.execute("DELETE FROM security_applicationcheck WHERE application_id = %s", [app.pk])
    assert_exact()


def test_the_counts_are_exact_after_a_sweep(estate):
    Application.objects.filter(pk=estate.loner.pk).update(host=estate.linux)
    sweep = sweeps.sweep_create(trigger="command", actor="test")
    sweeps.run_sweep(sweep.pk)
    assert_exact()


def test_random_sequences_of_changes_keep_the_counts_exact(estate):
    rng = random.Random(11)
    hosts = list(Host.objects.all()) + [None]
    verdicts = ["ready", "not ready", ""]
    for step in range(60):
        apps = list(Application.objects.all())
        app = rng.choice(apps)
        action = rng.choice(["move", "verdict", "unjudge", "create", "delete", "bulk"])
        if action == "move":
            Application.objects.filter(pk=app.pk).update(host=rng.choice(hosts))
        elif action == "verdict":
            ApplicationCheck.objects.update_or_create(application=app, defaults={"verdict": rng.choice(verdicts)})
        elif action == "unjudge":
            ApplicationCheck.objects.filter(application=app).delete()
        elif action == "create":
            new = estate.app(f"Random_{step}", AppType.COBROWSE_SERVER, "8.5.000.12", host=rng.choice(hosts))
            ApplicationCheck.objects.create(application=new, verdict=rng.choice(verdicts))
        elif action == "delete" and not app.nodes.exists():
            Application.objects.filter(pk=app.pk).delete()
        elif action == "bulk":
            Application.objects.filter(pk__in=[a.pk for a in rng.sample(apps, min(3, len(apps)))]).update(
                host=rng.choice(hosts))
        assert kept() == counted(), (step, action)
        if rng.random() < 0.3:
            host_counts.fold()
    assert_exact()


def test_the_hosts_list_shows_and_sorts_what_the_verdicts_give(client_as, estate):
    for n in range(3):  # more not ready on a host of its own
        host = estate.host(f"cb-more-{n}", "linux", f"10.0.2.{n}")
        for k in range(n + 1):
            app = estate.app(f"More_{n}_{k}", AppType.COBROWSE_SERVER, "8.5.000.12", host=host)
            ApplicationCheck.objects.create(application=app, verdict="not ready" if k else "ready")
    viewer = client_as("viewer")
    counts = counted()
    for sort in ("tls", "-tls"):
        page = viewer.get(HOSTS + f"?sort={sort}").context["page"]
        listed = list(page.object_list)
        not_ready = [counts.get(h.pk, (0, 0, 0, 0))[3] for h in listed]
        assert not_ready == sorted(not_ready, reverse=sort == "tls")
        for host in listed:
            applications, judged, ready, bad = counts.get(host.pk, (0, 0, 0, 0))
            if not judged:
                assert host.health is None
            else:
                assert (host.health.verdict, host.health.not_ready, host.health.judged) == (
                    "not ready" if bad else ("ready" if ready == judged else ""), bad, judged)
    assert Counter(h.pk for h in viewer.get(HOSTS + "?sort=tls").context["page"]) == Counter(
        Host.objects.values_list("pk", flat=True))


def test_the_counts_stay_exact_when_the_counts_are_emptied_before_what_they_count(estate):
    """Django's flush on SQLite deletes table by table (the triggers fire): counts emptied first must not
    come back as -1s that hide the next applications."""
    HostReadinessCount.objects.all().delete()
    HostReadinessCountChange.objects.all().delete()
    ApplicationCheck.objects.all().delete()
    Application.objects.filter(cluster__isnull=False).delete()
    Application.objects.all().delete()
    host_counts.fold()
    assert not HostReadinessCount.objects.filter(applications__lt=0).exists()
    HostReadinessCount.objects.all().delete()  # what a flush leaves, whichever table it empties first
    HostReadinessCountChange.objects.all().delete()
    app = estate.app("After_Flush", AppType.COBROWSE_SERVER, "8.5.000.12", host=estate.linux)
    ApplicationCheck.objects.create(application=app, verdict="not ready")
    assert kept() == counted() == {estate.linux.pk: (1, 1, 0, 1)}


@pytest.mark.django_db(transaction=True)
def test_verdicts_swapping_on_one_host_never_wait_nor_deadlock_and_keep_exact_counts(world):
    """Two servers on one host, their verdicts rewritten over and over in opposite phases, each as
    ``write_readiness`` does (a delete, then an insert) in its own transaction: both write the host's counts.
    The triggers only insert changes, so neither waits for the other (PostgreSQL)."""
    require(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL)")
    apps = [world.app(f"Server_{n}", AppType.COBROWSE_SERVER, "8.5.000.12", host=world.core) for n in "AB"]
    failures: list[BaseException] = []

    def rewrite_over_and_over(app, phase: int) -> None:
        try:
            for i in range(100):
                with transaction.atomic():
                    ApplicationCheck.objects.filter(application=app).delete()
                    time.sleep(0.001)  # the other transaction's write comes in between
                    ApplicationCheck.objects.create(application=app,
                                                    verdict="ready" if (i + phase) % 2 else "not ready")
                    host_counts.fold_after_commit()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=rewrite_over_and_over, args=(app, phase)) for phase, app in enumerate(apps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not failures
    assert kept()[world.core.pk][1:] == (2, 1, 1)  # judged, ready, not ready: one of each at the end
    assert_exact()
