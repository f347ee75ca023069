"""A Cluster client's connection as each of its Nodes runs it: ``effective_client_tls_pairs`` reads each
Node's own section and its own Host, keyed by (connection id, Node id), in a fixed number of queries."""

from types import SimpleNamespace

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.models import Application, AppType, Connection, Host
from security.effective_tls import effective_client_tls, effective_client_tls_many, effective_client_tls_pairs
from tests.effective_tls.conftest import set_app_option, set_host_option


@pytest.fixture
def cluster_world(tls_world):
    """A Cluster (8.5.003, no SCS) whose Nodes A and B run on two hosts, connected to the secure port."""
    host_b = Host.objects.create(name="cb-linux-02", address="10.0.0.3", os_type="linux")
    cluster = Application.objects.create(name="Cobrowse_Cluster", app_type=AppType.COBROWSE_CLUSTER,
                                         version="8.5.003.04", host=tls_world.client_host)
    node_a = Application.objects.create(name="Node_A", app_type=AppType.COBROWSE_NODE, version="8.5.003.04",
                                        cluster=cluster, host=tls_world.client_host)
    node_b = Application.objects.create(name="Node_B", app_type=AppType.COBROWSE_NODE, version="8.5.003.04",
                                        cluster=cluster, host=host_b)
    connection = Connection.objects.create(client=cluster, port=tls_world.port)
    set_host_option(host_b, "tls-target-name-check", "host")
    return SimpleNamespace(base=tls_world, host_b=host_b, cluster=cluster, node_a=node_a, node_b=node_b,
                           connection=connection)


def test_each_node_reads_its_own_host(cluster_world):
    w = cluster_world
    pk = w.connection.pk
    found = effective_client_tls_pairs([(pk, w.node_a.pk), (pk, w.node_b.pk), (pk, None)])
    assert set(found) == {(pk, w.node_a.pk), (pk, w.node_b.pk), (pk, None)}
    assert found[(pk, w.node_a.pk)].value("tls-target-name-check") is None
    b = found[(pk, w.node_b.pk)].parameters["tls-target-name-check"]
    assert (b.value, b.source.label) == ("host", "Host cb-linux-02")
    # No runner: the first Node by name, as effective_client_tls and the _many wrapper read it.
    assert found[(pk, None)] == found[(pk, w.node_a.pk)] == effective_client_tls(pk)
    assert effective_client_tls_many([pk], runners={pk: w.node_b.pk})[pk] == found[(pk, w.node_b.pk)]
    assert effective_client_tls(pk, runner=w.node_b.pk) == found[(pk, w.node_b.pk)]


def test_each_node_reads_its_own_section(cluster_world):
    w = cluster_world
    set_app_option(w.node_b, "provider", "PEM")  # a section of its own (R1 lets a Node hold one)
    set_app_option(w.node_b, "tls-target-name", "chat.example")
    pk = w.connection.pk
    found = effective_client_tls_pairs([(pk, w.node_a.pk), (pk, w.node_b.pk)])
    assert found[(pk, w.node_a.pk)].value("tls-target-name") is None
    assert found[(pk, w.node_b.pk)].parameters["tls-target-name"].source.label == "Application Node_B"


def test_the_pairs_cost_the_same_queries_for_one_pair_or_many(cluster_world):
    w = cluster_world
    nodes = [w.node_a, w.node_b]
    for i in range(8):
        cluster = Application.objects.create(name=f"C{i}", app_type=AppType.COBROWSE_CLUSTER, version="8.5.003.04")
        for j in range(3):
            host = Host.objects.create(name=f"h{i}-{j}", address=f"10.1.{i}.{j}", os_type="linux")
            set_host_option(host, "tls-target-name", f"n{i}-{j}.example")
            nodes.append(Application.objects.create(name=f"C{i}N{j}", app_type=AppType.COBROWSE_NODE,
                                                    version="8.5.003.04", cluster=cluster, host=host))
        Connection.objects.create(client=cluster, port=w.base.port)
    pairs = [(c.pk, n.pk) for c in Connection.objects.filter(client__app_type=AppType.COBROWSE_CLUSTER).order_by("pk")
             for n in nodes if n.cluster_id == c.client_id]
    assert len(pairs) == 2 + 8 * 3

    def queries(given) -> tuple[int, dict]:
        with CaptureQueriesContext(db_connection) as captured:
            found = effective_client_tls_pairs(given)
        return len(captured), found

    one, _ = queries(pairs[:1])
    many, found = queries(pairs)
    assert one == many <= 6
    assert len(found) == len(pairs)
    assert {found[p].value("tls-target-name") for p in pairs[2:]} == {f"n{i}-{j}.example" for i in range(8)
                                                                      for j in range(3)}


def test_the_page_says_which_node_it_shows_and_offers_the_others(cluster_world, client_as):
    w = cluster_world
    browser = client_as("viewer")
    url = reverse("security:connection_tls", args=[w.connection.pk])
    page = browser.get(url).content.decode()
    assert "as Node_A runs it" in page
    assert f"?runner={w.node_b.pk}" in page  # the Nodes differ: the other one is offered
    page = browser.get(f"{url}?runner={w.node_b.pk}").content.decode()
    assert "as Node_B runs it" in page and "Host cb-linux-02" in page
    # A runner that is not one of the Cluster's Nodes, or not a number: the first Node, no error.
    for bad in ("999999", "abc", str(w.base.client.pk)):
        response = browser.get(f"{url}?runner={bad}")
        assert response.status_code == 200 and "as Node_A runs it" in response.content.decode()


def test_the_page_of_nodes_that_agree_offers_no_choice(cluster_world, client_as):
    w = cluster_world
    set_host_option(w.host_b, "tls-target-name-check", None)
    page = client_as("viewer").get(reverse("security:connection_tls", args=[w.connection.pk])).content.decode()
    assert "as Node_A runs it" in page and "?runner=" not in page


def test_the_api_answers_as_the_node_asked_for(cluster_world, api):
    w = cluster_world
    client = api("viewer")
    url = f"/api/v1/connections/{w.connection.pk}/effective-tls/"
    assert client.get(url).json()["parameters"]["tls-target-name-check"]["value"] is None
    check = client.get(f"{url}?runner={w.node_b.pk}").json()["parameters"]["tls-target-name-check"]
    assert (check["value"], check["source"], check["object"]) == ("host", "host", "cb-linux-02")
    for bad in ("abc", "999999", str(w.base.client.pk)):
        response = client.get(f"{url}?runner={bad}")
        assert response.status_code == 400 and "runner" in response.json()["errors"], bad


def test_a_page_resolves_the_node_it_shows_and_the_node_its_probe_was_made_as_not_every_node(cluster_world):
    """The review shows the first Node's effective TLS, and a probe is judged as the Node it was made as: those
    are resolved, not the effective TLS of every Node of every Cluster on the page (ten times the work)."""
    from security.models import ProbeResult
    from security.verdicts import connection_views, with_verdict_data

    w = cluster_world
    node_c = Application.objects.create(name="Node_C", app_type=AppType.COBROWSE_NODE, version="8.5.003.04",
                                        cluster=w.cluster, host=w.host_b)

    def resolved(with_effective):
        views = connection_views(list(with_verdict_data(Connection.objects.filter(pk=w.connection.pk))),
                                 with_effective=with_effective)
        return views[w.connection.pk]

    view = resolved(True)
    assert [r.app.name for r in view.runners] == ["Node_A", "Node_B", "Node_C"]
    assert set(view.effective_by_runner) == {w.node_a.pk}
    assert view.effective == effective_client_tls(w.connection.pk)
    assert resolved(False).effective_by_runner == {}

    ProbeResult.objects.create(connection=w.connection, host="10.0.0.2", port_id=w.base.port.port_id,
                               port_number=w.base.port.number, outcome="ok", used_by="Node_B", host_checked=True)
    view = resolved(True)
    assert set(view.effective_by_runner) == {w.node_a.pk, w.node_b.pk}
    # Judged as Node B runs it (its host checks the host name, as the probe did): not stale.
    assert view.probe is not None and view.probe.stale == []
    assert set(resolved(False).effective_by_runner) == {w.node_b.pk}
    assert node_c.pk not in view.effective_by_runner


def test_the_command_shows_the_connection_as_a_given_node_runs_it(cluster_world):
    import json
    from io import StringIO

    from django.core.management import CommandError, call_command

    w = cluster_world

    def shown(*args) -> dict:
        out = StringIO()
        call_command("tls_effective", "--connection", str(w.connection.pk), *args, "--json", stdout=out)
        return json.loads(out.getvalue())["parameters"]["tls-target-name-check"]

    assert shown()["value"] is None  # the first Node by name: Node_A, whose host does not ask for it
    assert shown("--runner", "Node_B") == {"value": "host", "source": "host", "object": "cb-linux-02"}
    assert shown("--runner", str(w.node_b.pk))["value"] == "host"
    table = StringIO()
    call_command("tls_effective", "--connection", str(w.connection.pk), "--runner", "Node_B", stdout=table)
    assert "as Node_B runs it" in table.getvalue()
    with pytest.raises(CommandError, match="is not a Node of Cobrowse_Cluster .its Nodes: Node_A, Node_B."):
        call_command("tls_effective", "--connection", str(w.connection.pk), "--runner", "Node_C")
    with pytest.raises(CommandError, match="--runner goes with --connection"):
        call_command("tls_effective", "--port", str(w.base.port.pk), "--runner", "Node_B")
