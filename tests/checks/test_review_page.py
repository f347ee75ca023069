"""The connection port security review: one table of every connection, filters, CSV, pagination."""

import csv
import io

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.models import Application, AppType, Connection
from security.models import ConnectionCheck, ProbeResult
from security.review import review_queryset
from tests.checks.review_shown import shown_ids, shown_rows
from tests.checks.world import World

REVIEW = reverse("security:review")
EXPORT = reverse("security:review_export")


@pytest.fixture
def deployment(world: World):
    """Cluster → Message Server secure (probed: untrusted) and default; Node → Message secure (R2)."""
    store = world.store("Genesys CA")
    world.security(world.node1, store=store)
    world.security(world.node2, store=store)
    secure = world.connect(world.cluster, world.message_secure)
    insecure = world.connect(world.cluster, world.message_default)
    misplaced = world.connect(world.node1, world.message_secure)
    ProbeResult.objects.create(connection=secure, host=world.core.address, port_id="secure", port_number=4021,
                               provider="PEM", store=store, store_name=store.name, store_digest=store.contents_digest,
                               outcome="untrusted",
                               detail="the application's trusted store does not trust the server's certificate.")
    world.validate(world.cluster)
    world.validate(world.node1)
    world.secure, world.insecure, world.misplaced = secure, insecure, misplaced
    return world


def rows(response) -> list[int]:
    return shown_ids(response)


def test_the_review_lists_every_connection_with_what_decides_its_security(client_as, deployment):
    response = client_as("viewer").get(REVIEW)

    assert response.status_code == 200
    assert sorted(rows(response)) == sorted([deployment.secure.pk, deployment.insecure.pk, deployment.misplaced.pk])
    row = next(r for r in shown_rows(response) if r.connection == deployment.secure)
    # The Cluster's connection is run by each of its Nodes, each with its own section and store.
    assert [(c.name, c.provider, c.store.name) for c in row.runners] == [
        ("Cobrowse_Node_1", "PEM", "Genesys CA"), ("Cobrowse_Node_2", "PEM", "Genesys CA")]
    assert row.probe.probe.outcome == "untrusted" and not row.probe.stale
    assert [f.code for f in row.findings] == ["connection.probe_untrusted"] * 2
    assert row.verdict.failing == ("Cobrowse_Node_1", "Cobrowse_Node_2")
    html = response.content.decode()
    for text in ("Cobrowse_Cluster", "MessageServer", "secure", "10.0.0.5:4021", "not secure", "untrusted certificate",
                 "connection.misplaced"):
        assert text in html


@pytest.mark.parametrize("query, expected", [
    ("insecure=on", ["insecure"]),
    ("failing=on", ["secure", "misplaced"]),
])
def test_the_filters(client_as, deployment, query, expected):
    response = client_as("viewer").get(f"{REVIEW}?{query}")

    assert sorted(rows(response)) == sorted(getattr(deployment, name).pk for name in expected)


def test_insecure_only_leaves_out_servers_that_offer_no_secure_port(client_as, deployment):
    """J5: what still goes through a non-secure port *while a secure one exists*."""
    plain = deployment.app("Plain_Server", AppType.OTHER, "8.5.100.01", host=deployment.core)
    deployment.connect(deployment.cluster, deployment.port(plain, "default", 7000))

    response = client_as("viewer").get(f"{REVIEW}?insecure=on")

    assert rows(response) == [deployment.insecure.pk]


def test_the_cluster_filter_keeps_the_clusters_and_its_nodes_connections(client_as, deployment):
    other = deployment.app("Other_Cluster", AppType.COBROWSE_CLUSTER, "8.5.003.04", host=deployment.linux)
    deployment.connect(other, deployment.message_secure)

    response = client_as("viewer").get(f"{REVIEW}?cluster={deployment.cluster.pk}")

    assert sorted(rows(response)) == sorted([deployment.secure.pk, deployment.insecure.pk, deployment.misplaced.pk])


def test_the_csv_export_has_the_same_rows_and_filters(client_as, deployment):
    response = client_as("viewer").get(f"{EXPORT}?insecure=on")

    assert response["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert lines[0][:4] == ["client", "client type", "server", "server type"]
    assert len(lines) == 2
    assert lines[1][0] == "Cobrowse_Cluster" and lines[1][5:8] == ["default", "4020", "no"]
    assert "connection.insecure_port" in lines[1][14]


def test_a_name_that_looks_like_a_formula_stays_text_in_the_csv(client_as, deployment):
    evil = deployment.app("=HYPERLINK(1)", AppType.COBROWSE_CLUSTER, "8.5.003.04", host=deployment.linux)
    deployment.connect(evil, deployment.message_secure)

    response = client_as("viewer").get(EXPORT)

    text = b"".join(response.streaming_content).decode()
    assert "'=HYPERLINK(1)" in text


def test_the_page_is_paginated_and_its_query_count_does_not_grow_with_the_connections(client_as, world):
    viewer = client_as("viewer")
    store = world.store("Genesys CA")

    def add(count: int) -> None:
        start = Connection.objects.count()
        for i in range(start, start + count):
            cluster = world.app(f"Cluster_{i:03}", AppType.COBROWSE_CLUSTER, "8.5.003.04", host=world.linux)
            node = world.app(f"Node_{i:03}", AppType.COBROWSE_NODE, "8.5.003.04", host=world.linux, cluster=cluster)
            world.security(node, store=store)
            connection = world.connect(cluster, world.message_secure)
            ProbeResult.objects.create(connection=connection, host=world.core.address, port_number=4021, outcome="ok")
            world.validate(cluster)

    def queries() -> int:
        with CaptureQueriesContext(db_connection) as captured:
            assert viewer.get(REVIEW).status_code == 200
        return len(captured)

    add(3)
    few = queries()
    add(57)
    many = queries()

    assert many == few
    response = viewer.get(REVIEW)
    assert len(shown_ids(response)) == 50
    assert len(shown_ids(viewer.get(f"{REVIEW}?page=2"))) == 10


def test_anonymous_users_are_sent_to_the_login_page(client):
    response = client.get(REVIEW)

    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_rows_show_type_labels_and_each_probe_button_comes_back_to_the_filtered_page(client_as, deployment):
    html = client_as("security").get(f"{REVIEW}?failing=on").content.decode()

    assert "Co-browse Cluster 8.5.003" in html and "Message Server</div>" in html
    assert f'name="next" value="{REVIEW}?failing=on"' in html


def test_a_port_without_tls_offers_no_probe(client_as, deployment):
    html = client_as("security").get(f"{REVIEW}?insecure=on").content.decode()

    assert "no TLS to probe" in html and 'name="next"' not in html


def test_a_page_without_a_cluster_costs_the_queries_of_a_page_with_one(client_as, world):
    """The Nodes of a page's clients are asked for whether or not one of them is a Cluster: the count of
    a page does not depend on what it happens to show (benchmarks/pages.py, sorted by server, page N)."""
    viewer = client_as("viewer")
    store = world.store("Genesys CA")
    world.security(world.node1, store=store)
    world.connect(world.node1, world.message_secure)
    world.validate(world.node1)

    def queries() -> int:
        viewer.get(REVIEW)
        with CaptureQueriesContext(db_connection) as captured:
            assert viewer.get(REVIEW).status_code == 200
        return len(captured)

    without_cluster = queries()
    world.connect(world.cluster, world.message_secure)
    world.validate(world.cluster)

    assert any(len(row.runners) > 1 for row in shown_rows(viewer.get(REVIEW)))
    assert queries() == without_cluster


@pytest.mark.parametrize("validated", [55, 50, 30])
def test_pages_that_reach_the_connections_never_validated_keep_the_csv_order(client_as, world, validated):
    """The validated connections come first and those never validated after them, on a page that holds
    both and on a page that starts after the last validated one, in the order the CSV has."""
    from security import validation

    viewer = client_as("viewer")
    apps = [world.app(f"Client_{i:03}", AppType.COBROWSE_NODE, "8.5.003.04", host=world.linux) for i in range(70)]
    for app in apps:
        world.connect(app, world.message_secure)
    validation.validate_applications(application_ids=[a.pk for a in apps[:validated]],
                                     cache=validation.ValidationCache())

    assert ConnectionCheck.objects.count() == validated

    shown = rows(viewer.get(REVIEW)) + rows(viewer.get(f"{REVIEW}?page=2"))

    assert shown == list(review_queryset().values_list("pk", flat=True))
    assert len(shown) == 70


def test_a_client_deleted_between_the_pages_reads_leaves_its_connections_out(deployment):
    """The page reads its connections, then their clients: a client deleted in between (and its connections
    with it) is not an error, the page shows the others, as it would a moment later."""
    from security.review import with_clients, with_row_data

    loaded = list(with_row_data(Connection.objects.order_by("pk")))
    gone = deployment.misplaced.client_id  # a Node: its Cluster's connections stay
    Application.objects.filter(pk=gone).delete()

    kept = with_clients(loaded)

    assert [c.pk for c in kept] == [deployment.secure.pk, deployment.insecure.pk]
    assert [c.pk for c in loaded] == sorted([deployment.secure.pk, deployment.insecure.pk, deployment.misplaced.pk])
    assert all(c.client.pk == c.client_id and c.client.name for c in kept)
