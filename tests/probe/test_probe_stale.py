"""Probes that say what they tested, and go stale (issue 10.5), against real TLS servers on 127.0.0.1.

A probe result names the host and port it reached and the trust configuration it used; once any of
those differs from what the connection and its client have now, the result is shown as stale and no
longer decides findings or readiness.
"""

from django.urls import reverse

from security.models import ProbeResult
from security.probe import probe_connection
from security.readiness import readiness_for
from security.stores import store_save
from tests.checks.review_shown import shown_rows
from tests.checks.world import codes
from tests.probe.test_probe_connection import listening_on


def review_row(client, connection):
    response = client.get(reverse("security:review"))
    return next(r for r in shown_rows(response) if r.connection.pk == connection.pk), response.content.decode()


def node_readiness(world):
    return readiness_for([world.node1])[world.node1.pk]


def test_the_old_empty_store_probe_stops_deciding_once_stores_are_assigned(client_as, probe_world, serve):
    """Seen: after stores were assigned, "an empty trust store … does not trust" kept the Nodes not ready."""
    for node in (probe_world.node1, probe_world.node2):
        probe_world.security(node)  # no section yet: TLS disabled
    with serve("trusted") as port:
        connection = listening_on(probe_world, port)
        probe_connection(connection_id=connection.pk)
    result = ProbeResult.objects.get()
    assert "an empty trust store" in result.detail and result.provider == "" and result.store is None

    store = probe_world.store("Genesys CA 2")
    probe_world.security(probe_world.node1, store=store)
    probe_world.security(probe_world.node2, store=store)
    probe_world.validate(probe_world.cluster)

    assert codes(connection) == set()
    assert node_readiness(probe_world).ready
    row, html = review_row(client_as("security"), connection)
    assert row.verdict.state == "ready"
    assert row.probe.stale == ["it used TLS disabled; the client now uses PEM with the store Genesys CA 2"]
    assert "stale" in html and "No longer counts: it used TLS disabled" in html and "Probe again" in html


def test_a_store_whose_certificates_change_makes_the_probe_stale(client_as, probe_world, serve):
    with serve("untrusted") as port:
        connection = listening_on(probe_world, port)
        probe_connection(connection_id=connection.pk)
    assert codes(connection) == {"connection.probe_untrusted"}
    assert not node_readiness(probe_world).ready

    store = probe_world.cluster.nodes.first().store_assignment.store
    store_save(store=store, certificates=[probe_world.cert("ca.pem"), probe_world.cert("other-ca.pem")],
               password=None, actor="tests")
    probe_world.validate(probe_world.cluster)

    assert codes(connection) == set()
    assert node_readiness(probe_world).ready
    row, _ = review_row(client_as("viewer"), connection)
    assert row.probe.stale == ["it used PEM with the store Genesys CA (whose certificates have changed since); "
                               "the client now uses PEM with the store Genesys CA"]


def test_a_new_host_address_or_port_number_makes_the_probe_stale(client_as, probe_world, serve):
    with serve("untrusted") as port:
        connection = listening_on(probe_world, port)
        probe_connection(connection_id=connection.pk)
    probe_world.core.address = "127.0.0.2"
    probe_world.core.save()
    probe_world.validate(connection)

    assert codes(connection) == set()
    row, _ = review_row(client_as("viewer"), connection)
    assert row.probe.stale == ["it reached the host 127.0.0.1; the server's host is now 127.0.0.2"]

    probe_world.core.address = "127.0.0.1"
    probe_world.core.save()
    probe_world.message_secure.number = port + 1 if port < 65535 else port - 1
    probe_world.message_secure.save()
    probe_world.validate(connection)

    assert codes(connection) == set()
    row, _ = review_row(client_as("viewer"), connection)
    assert row.probe.stale == [f"it reached secure ({port}); the connection now goes through secure "
                               f"({probe_world.message_secure.number})"]


def test_nodes_that_differ_are_probed_each_with_their_own_store_and_judged_apart(client_as, probe_world, serve):
    other = probe_world.store("Other CA", certs=("other-ca.pem",))
    probe_world.security(probe_world.node2, store=other)
    with serve("trusted") as port:
        connection = listening_on(probe_world, port)
        probe_connection(connection_id=connection.pk)

    results = {r.store_name: r for r in ProbeResult.objects.all()}
    assert {name: r.outcome for name, r in results.items()} == {"Genesys CA": "ok", "Other CA": "untrusted"}
    assert results["Other CA"].used_by == "Cobrowse_Node_2"
    row, _ = review_row(client_as("viewer"), connection)
    assert row.verdict.state == "not_ready" and row.verdict.failing == ("Cobrowse_Node_2",)
    assert readiness_for([probe_world.node1])[probe_world.node1.pk].ready
    assert not readiness_for([probe_world.node2])[probe_world.node2.pk].ready
