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
    assert first <= small + 4  # a delete and an insert of each kind of check
