"""Pages and the sweep load what they need in a number of queries that does not grow with the deployment."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications.models import AppType
from security import validation
from security.readiness import TlsContext, readiness_for
from tests.checks.world import World


def queries(action) -> int:
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured)


def add_nodes(w: World, count: int, store) -> None:
    for i in range(count):
        node = w.app(f"Extra_Node_{i}", AppType.COBROWSE_NODE, "8.5.003.04", host=w.linux, cluster=w.cluster)
        w.security(node, store=store)


def test_a_clusters_tls_verdict_costs_the_same_queries_with_two_or_eight_nodes(client_as, world):
    store = world.store("Genesys CA")
    world.security(world.node1, store=store)
    world.connect(world.cluster, world.message_secure)
    client = client_as("viewer")
    client.get(world.cluster.get_absolute_url())
    small = queries(lambda: client.get(world.cluster.get_absolute_url()))

    add_nodes(world, 6, store)

    assert queries(lambda: client.get(world.cluster.get_absolute_url())) == small


def security_reads(client, url: str) -> tuple[int, int]:
    """The page's reads of applications for TLS (``SecurityWorld``'s: its rows carry ``host__name``) and of
    security sections."""
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    sql = [q["sql"] for q in captured.captured_queries]
    return (sum('AS "host__name"' in q and "applications_application" in q for q in sql),
            sum("FROM \"applications_option\"" in q and "'security'" in q for q in sql))


def test_the_general_tab_reads_the_applications_and_sections_behind_its_verdict_once(client_as, world):
    # One SecurityWorld for the panel's sections and its lines' verdicts: each read them (20 queries where
    # 19 now for an application, 21 where 20 for a Cluster).
    store = world.store("Genesys CA")
    world.security(world.node1, store=store)
    world.security(world.node2, provider="PEM")
    world.connect(world.cluster, world.message_secure)
    world.connect(world.node1, world.message_default)
    world.connect(world.config, world.message_secure)
    world.validate(world.cluster)
    client = client_as("viewer")
    for app in (world.cluster, world.node1, world.config):
        assert security_reads(client, app.get_absolute_url()) == (1, 1), app.name


def test_node_verdicts_loaded_together_are_the_verdicts_each_node_gets_alone(world):
    good = world.store("Genesys CA")
    world.security(world.node1, store=good)
    world.security(world.node2, provider="JKS", trusted_ca="/nowhere.jks", password="x")
    world.security(world.cluster, provider="PEM")
    world.connect(world.cluster, world.message_secure)
    world.validate(world.cluster)
    world.validate(good)

    nodes = list(world.cluster.nodes.select_related("cluster").order_by("name"))
    loaded = readiness_for(nodes, lines=True)
    together = [summary(loaded[node.pk]) for node in nodes]
    alone = [summary(TlsContext.load(node).readiness()) for node in nodes]

    assert together == alone
    assert not together[1][0] and together[1][1]


def summary(readiness):
    return (readiness.ready, readiness.reasons, readiness.warnings,
            [(line.connection.pk, line.verdict) for line in readiness.connections])


def test_validating_applications_costs_the_same_queries_for_three_or_twelve(world):
    store = world.store("Genesys CA")
    world.security(world.node1, store=store)
    world.connect(world.cluster, world.message_secure)
    world.connect(world.node1, world.message_default)
    few = [world.cluster.pk, world.node1.pk, world.node2.pk]
    cache = validation.ValidationCache()
    validation.validate_applications(application_ids=few, cache=cache)
    small = queries(lambda: validation.validate_applications(application_ids=few, cache=cache))

    add_nodes(world, 9, store)
    for node in world.cluster.nodes.all():
        world.connect(node, world.message_secure)
    many = list(world.cluster.nodes.values_list("pk", flat=True)) + [world.cluster.pk]

    assert len(many) == 12
    # The checks and readiness rows are written only where they changed: compare runs that change nothing
    # (the first validation of the new Nodes writes theirs, in a fixed number of queries too).
    first = queries(lambda: validation.validate_applications(application_ids=many, cache=cache))
    assert queries(lambda: validation.validate_applications(application_ids=many, cache=cache)) == small
    # A delete and an insert of each kind of check, and of the findings (written only where they changed too).
    assert first <= small + 5


def test_findings_that_did_not_change_are_not_written_again(world):
    """A validation that finds what the last one found writes no finding: each keeps its row and the time
    it was first found; an object whose findings changed gets exactly its new ones."""
    from security.models import Finding

    world.connect(world.cluster, world.message_secure)  # no section anywhere: TLS disabled, an error
    apps = [world.cluster.pk, world.node1.pk, world.node2.pk]
    cache = validation.ValidationCache()
    validation.validate_applications(application_ids=apps, cache=cache)
    first = dict(Finding.objects.values_list("pk", "created_at"))
    assert first
    validation.validate_applications(application_ids=apps, cache=cache)
    assert dict(Finding.objects.values_list("pk", "created_at")) == first

    world.security(world.node1, store=world.store("Genesys CA"))  # Node 1 now has a section and a store
    validation.validate_applications(application_ids=apps, cache=validation.ValidationCache())
    after = set(Finding.objects.values_list("pk", "subject", "code"))
    kept = {pk for pk, _subject, _code in after} & first.keys()
    assert kept and kept != first.keys()  # some findings stayed as they were, others were replaced
    recomputed = {(subject, code) for _pk, subject, code in after}
    Finding.objects.all().delete()
    validation.validate_applications(application_ids=apps, cache=validation.ValidationCache())
    assert set(Finding.objects.values_list("subject", "code")) == recomputed


def test_validating_a_cluster_costs_the_same_queries_with_three_or_thirty_nodes_without_sections(world):
    """Nodes without a section of their own inherit their Cluster's (R1): the Cluster is read once, not once
    per Node."""
    store = world.store("Genesys CA")
    world.security(world.cluster, store=store)
    world.connect(world.cluster, world.message_secure)
    world.app("Extra_Node", AppType.COBROWSE_NODE, "8.5.003.04", host=world.linux, cluster=world.cluster)
    cache = validation.ValidationCache()
    validation.validate_applications(application_ids=[world.cluster.pk], cache=cache)
    three = queries(lambda: validation.validate_applications(application_ids=[world.cluster.pk], cache=cache))

    for i in range(27):
        world.app(f"More_Node_{i}", AppType.COBROWSE_NODE, "8.5.003.04", host=world.linux, cluster=world.cluster)
    assert world.cluster.nodes.count() == 30
    validation.validate_applications(application_ids=[world.cluster.pk], cache=cache)

    assert queries(lambda: validation.validate_applications(application_ids=[world.cluster.pk], cache=cache)) == three
