"""The counts of findings the database keeps (``FindingCount``, written by triggers) equal a fresh count of
the findings after every kind of write: checks run and run again, an application moved to another host,
deletes of a connection, a Node, a Cluster (its Nodes' findings lose their Cluster), a store, findings
updated or deleted in bulk, and a sweep. The findings page's counts, read from them, equal counts made
over the findings themselves for each filter. On SQLite and on PostgreSQL (``DATABASE_URL``): each has its
own triggers."""

import threading
import time
from collections import Counter

import pytest
from django.db import connection, connections, transaction
from django.db.models import Count

from applications import services
from applications.models import Application, AppType, Connection
from security import finding_counts, sweeps, validation
from security.checks import Issue
from security.findings import (
    DIMENSIONS,
    SEVERITIES,
    Facets,
    FindingFilters,
    FindingsOrder,
    condition,
    counts_by_severity,
    facets,
    findings_queryset,
    kept_counts,
    kept_counts_postgresql,
)
from security.models import Finding, FindingCount, FindingCountChange, FindingFacetCount
from security.stores import store_delete
from tests.checks.world import World
from tests.conftest import require

KEY = ("severity", "kind", "app_type", "host_id", "cluster_id")


def kept() -> Counter:
    """The counts as readers see them: the counts plus the changes not yet folded into them."""
    total = Counter()
    for rows in (FindingCount.objects, FindingCountChange.objects):
        for *key, n in rows.values_list(*KEY, "n"):
            total[tuple(key)] += n
    return Counter({key: n for key, n in total.items() if n})


def counted() -> Counter:
    groups = Finding.objects.order_by().values_list(*KEY).annotate(n=Count("pk"))
    return Counter({(severity, kind, app_type, host or 0, cluster or 0): n
                    for severity, kind, app_type, host, cluster, n in groups})


def assert_exact() -> None:
    assert kept() == counted()
    assert all(n >= 0 for n in kept().values())
    finding_counts.fold()  # what runs after each writing transaction commits (PostgreSQL)
    assert not FindingCountChange.objects.exists()
    assert Counter({tuple(key): n for *key, n in FindingCount.objects.values_list(*KEY, "n") if n}) == counted()
    assert_facets_are_the_sums_of_the_counts()


def assert_facets_are_the_sums_of_the_counts() -> None:
    """``FindingFacetCount`` after a fold: the counts summed per host and per Cluster, no zero or negative
    row (PostgreSQL; on SQLite nothing writes it)."""
    kept_facets = Counter({tuple(key): n for *key, n in FindingFacetCount.objects.values_list(
        "dimension", "severity", "kind", "app_type", "value", "n")})
    if connection.vendor != "postgresql":
        assert not kept_facets
        return
    sums = Counter()
    for severity, kind, app_type, host, cluster, n in FindingCount.objects.values_list(*KEY, "n"):
        sums["host", severity, kind, app_type, host] += n
        sums["cluster", severity, kind, app_type, cluster] += n
    assert kept_facets == +sums
    assert all(n > 0 for n in kept_facets.values())


def counted_facets(filters: FindingFilters) -> Facets:
    """Each filter's counts made over the findings, one query per filter (what ``facets`` must equal)."""
    result = Facets()
    for name in DIMENSIONS:
        column = {"host": "host_id", "cluster": "cluster_id"}.get(name, name)
        for value, n in Finding.objects.filter(condition(filters, without=name)).order_by().values_list(
                column).annotate(n=Count("pk")):
            getattr(result, name)[(value or None) if name == "app_type" else value] += n
    result.total = Finding.objects.filter(condition(filters)).count()
    return result


def assert_facets_exact(filters: FindingFilters) -> None:
    read, made = facets(filters), counted_facets(filters)
    for name in DIMENSIONS:
        assert +getattr(read, name) == +getattr(made, name), name
    assert read.total == made.total


@pytest.fixture
def estate(world: World, users) -> World:
    """Stores, a Cluster with two Nodes (one without a trust store: errors), a Cluster connected through
    a port that is not secure (warnings), a lone server on another host; everything checked."""
    world.expired = world.store("Old CA", certs=("expired-ca.pem",))
    world.good = world.store("Good CA")
    world.security(world.node1, provider="PEM")
    world.insecure = world.connect(world.cluster, world.message_default)
    world.node_link = world.connect(world.node2, world.config_secure)
    world.other_host = world.host("cb-linux-02", "linux", "10.0.1.12")
    world.loner = world.app("Lone_Server", AppType.COBROWSE_SERVER, "8.5.000.12", host=world.other_host)
    world.connect(world.loner, world.message_default)
    for obj in (world.expired, world.good, world.cluster, world.node1, world.node2, world.loner,
                *Connection.objects.all()):
        world.validate(obj)
    world.users = users
    return world


def test_the_counts_are_exact_after_checks_run_and_run_again(estate):
    assert Finding.objects.count() > 5
    assert_exact()
    for obj in (estate.cluster, estate.node1, estate.loner, estate.expired):
        estate.validate(obj)
    assert_exact()
    estate.security(estate.node1, provider="JSSE")  # the Node's errors change
    estate.validate(estate.node1)
    assert_exact()


def test_the_counts_are_exact_after_an_application_moves_to_another_host(estate):
    before = counted()
    Application.objects.filter(pk=estate.loner.pk).update(host=estate.linux)
    estate.validate(estate.loner)
    assert counted() != before  # the findings moved with it
    assert_exact()


def test_the_counts_are_exact_after_deletes_and_their_cascades(estate):
    operator = estate.users["operator"]
    services.delete_object(obj=estate.insecure, actor=operator)  # a connection: its findings go
    assert_exact()
    services.delete_object(obj=Application.objects.get(pk=estate.node1.pk), actor=operator)  # its findings too
    assert_exact()
    cluster_findings = Finding.objects.filter(cluster_id=estate.cluster.pk).exclude(application=estate.cluster)
    assert cluster_findings.exists()
    # The Cluster: its own findings go; its Nodes' stay, their Cluster set to NULL (an update).
    services.delete_object(obj=Application.objects.get(pk=estate.cluster.pk), actor=operator)
    assert not Finding.objects.filter(cluster_id=estate.cluster.pk).exists()
    assert_exact()
    store_delete(store=estate.expired, actor=estate.users["security"])
    assert_exact()
    services.delete_object(obj=Application.objects.get(pk=estate.loner.pk), actor=operator)
    services.delete_object(obj=estate.other_host, actor=operator)
    assert_exact()


def test_the_counts_are_exact_after_bulk_updates_and_deletes(estate):
    Finding.objects.filter(severity="warning").update(severity="info")
    assert_exact()
    Finding.objects.filter(kind="connection").update(host=None, app_type="other")
    assert_exact()
    Finding.objects.filter(kind="store").delete()
    assert_exact()
    Finding.objects.all().delete()
    assert kept() == Counter()
    assert_exact()


def test_the_counts_stay_exact_when_the_counts_are_emptied_before_the_findings(estate):
    """Django's flush on SQLite deletes table by table (the triggers fire): counts emptied first must not
    come back as -1s that hide the next findings (found by a browser test run after another)."""
    assert Finding.objects.exists()
    FindingCount.objects.all().delete()
    FindingFacetCount.objects.all().delete()
    FindingCountChange.objects.all().delete()
    Finding.objects.all().delete()
    finding_counts.fold()
    assert all(n >= 0 for n in kept().values())
    assert not FindingFacetCount.objects.filter(n__lte=0).exists()
    FindingCount.objects.all().delete()  # what a flush leaves, whichever table it empties first
    FindingFacetCount.objects.all().delete()
    FindingCountChange.objects.all().delete()
    estate.validate(estate.node1)
    assert Finding.objects.exists()
    assert kept() == counted()
    assert_exact()


def test_the_counts_are_exact_after_a_sweep(estate):
    sweep = sweeps.sweep_create(trigger="command", actor="test")
    sweeps.run_sweep(sweep.pk)
    assert_exact()


@pytest.mark.parametrize("filters", [
    {}, {"severity": "error"}, {"kind": "connection"}, {"app_type": AppType.COBROWSE_NODE},
    {"severity": "warning", "kind": "connection"}, {"host": "linux"}, {"cluster": "cluster"},
    {"host": "linux", "cluster": "cluster", "severity": "error"}, {"text": "trust"}, {"text": "Lone_Server"},
    {"text": "Old CA", "kind": "store"}, {"text": "secure", "host": "core"},
])
def test_the_page_counts_equal_counts_over_the_findings(estate, filters):
    objects = {"linux": estate.linux.pk, "core": estate.core.pk, "cluster": estate.cluster.pk}
    filters = FindingFilters(**{k: objects.get(v, v) if k in ("host", "cluster") else v for k, v in filters.items()})
    assert_facets_exact(filters)


@pytest.mark.parametrize("folded", [False, True], ids=["changes not folded yet", "folded"])
@pytest.mark.parametrize("filters", [{}, {"severity": "error", "kind": "connection"}, {"host": "linux"},
                                     {"cluster": "cluster", "app_type": AppType.COBROWSE_NODE},
                                     {"host": "linux", "cluster": "cluster"},
                                     {"host": "linux", "cluster": "cluster", "severity": "error"},
                                     {"host": "core", "kind": "connection", "app_type": AppType.COBROWSE_CLUSTER}])
def test_postgresql_reads_the_kept_counts_and_their_sums_as_sqlite_reads_the_counts(estate, filters, folded):
    """PostgreSQL reads the sums per host and per Cluster (``FindingFacetCount``) where no host or Cluster is
    chosen, the chosen one's counts otherwise; each with the changes not yet folded (a test's transaction
    never commits: until ``fold`` every count is a change)."""
    require(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL)")
    objects = {"linux": estate.linux.pk, "core": estate.core.pk, "cluster": estate.cluster.pk}
    filters = FindingFilters(**{k: objects.get(v, v) if k in ("host", "cluster") else v for k, v in filters.items()})
    if folded:
        finding_counts.fold()
        assert FindingFacetCount.objects.exists() and not FindingCountChange.objects.exists()
        estate.security(estate.node1, provider="JSSE")  # and some changes on top of the folded counts
        estate.validate(estate.node1)
        assert FindingCountChange.objects.exists()
    else:
        assert FindingCountChange.objects.exists() and not FindingFacetCount.objects.exists()

    def nonzero(rows):
        return sorted((name, value, n) for name, value, n in rows if n)

    assert nonzero(kept_counts_postgresql(filters)) == nonzero(kept_counts(filters))
    assert nonzero(kept_counts(filters))
    assert_facets_exact(filters)
    # The API's counts per severity, read from the same sums or the chosen Cluster's counts.
    kept = findings_queryset(filters)
    assert counts_by_severity(filters) == {s: kept.filter(severity=s).count() for s in SEVERITIES}


@pytest.mark.parametrize("filters", [{"text": "trust"}, {"text": "secure", "severity": "warning"},
                                     {"text": "Lone_Server"}, {"text": "Old CA", "kind": "store"}, {"text": "e"}])
def test_a_text_search_lists_the_findings_in_the_page_order_whatever_the_page_size(estate, filters):
    filters = FindingFilters(**filters)
    expected = list(findings_queryset(filters).values_list("id", flat=True))
    assert expected
    order = FindingsOrder(filters, facets(filters).matched_by_severity(filters))
    assert order.count() == len(expected)
    assert order[0:len(expected)] == expected
    for size in (1, 2, 3):
        pages = [order[start:start + size] for start in range(0, len(expected), size)]
        assert [pk for page in pages for pk in page] == expected


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_validations_swapping_severities_on_one_host_never_deadlock_and_keep_exact_counts(world):
    """Two servers on one host, their findings replaced over and over in opposite phases (one goes from an
    error to a warning while the other goes from a warning to an error): the counts of both groups are
    written by both transactions. Had the triggers updated the counts, each transaction would lock one
    count in its delete and the other in its insert, in opposite orders (31 deadlocks in 400 pairs)."""
    require(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL)")
    first = world.app("Server_A", AppType.COBROWSE_SERVER, "8.5.000.12", host=world.core)
    second = world.app("Server_B", AppType.COBROWSE_SERVER, "8.5.000.12", host=world.core)
    error, warning = Issue("application.invalid_provider", "m"), Issue("store.expiring_soon", "m")
    assert (error.severity, warning.severity) == ("error", "warning")
    failures: list[BaseException] = []

    def replace_over_and_over(app, phase: int) -> None:
        try:
            for i in range(150):
                with transaction.atomic():
                    Application.objects.select_for_update().filter(pk=app.pk).first()
                    validation.replace_findings_of([(app, [error] if (i + phase) % 2 else [warning])], refresh=False)
                    time.sleep(0.001)  # the other transaction's delete comes in between
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=replace_over_and_over, args=(app, phase))
               for app, phase in ((first, 0), (second, 1))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not failures
    assert Finding.objects.filter(application__in=[first, second]).count() == 2
    assert_exact()
