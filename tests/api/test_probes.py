"""Live TLS probes over the API: a Security officer probes one connection or all, as the browser's
Probe button (``security.probe``); everyone reads the results. Real TLS servers on 127.0.0.1 with the
generated test certificates (tests/probe/conftest.py)."""

import pytest

from security.models import ProbeResult
from tests.certs.tls_server import closed_port
from tests.probe import conftest as probe_fixtures

# The probe tests' fixtures: a deployment whose Nodes trust the test root CA, and TLS servers.
probe_world = probe_fixtures.probe_world
serve = probe_fixtures.serve

pytestmark = pytest.mark.django_db


def through_port(world, port: int):
    world.message_secure.number = port
    world.message_secure.save()
    return world.connect(world.cluster, world.message_secure)


def test_a_security_officer_probes_a_connection_and_reads_the_result(api, probe_world, serve):
    with serve("trusted") as port:
        connection = through_port(probe_world, port)
        response = api("security").post("/api/v1/probes/", {"connection": connection.pk})
    assert response.status_code == 202, response.content
    assert response.json() == {"requested": [connection.pk], "refused": []}
    results = api("viewer").get(f"/api/v1/probes/?connection={connection.pk}").json()["results"]
    assert [(r["outcome"], r["port_number"], r["store_name"]) for r in results] == [("ok", port, "Genesys CA")]
    stored = ProbeResult.objects.get(connection=connection)
    one = api("viewer").get(f"/api/v1/probes/{stored.pk}/").json()
    assert one["chain_pem"].count("BEGIN CERTIFICATE") == 2 and one["used_by"] == stored.used_by


def test_an_untrusted_server_is_said_so(api, probe_world, serve):
    with serve("untrusted") as port:
        connection = through_port(probe_world, port)
        api("security").post("/api/v1/probes/", {"connection": connection.pk})
    assert api("viewer").get("/api/v1/probes/?outcome=untrusted").json()["results"][0]["connection"] == connection.pk
    assert api("viewer").get("/api/v1/probes/?outcome=ok").json()["count"] == 0


def test_a_connection_that_does_not_speak_tls_is_refused_with_the_reason(api, probe_world):
    connection = probe_world.connect(probe_world.cluster, probe_world.message_default)
    response = api("security").post("/api/v1/probes/", {"connection": connection.pk})
    assert response.status_code == 400 and response["Content-Type"] == "application/problem+json"
    assert "does not speak TLS" in response.json()["errors"]["connection"][0]
    assert api("security").post("/api/v1/probes/", {"connection": 999999}).status_code == 400
    assert api("security").post("/api/v1/probes/", {"connection": "7"}).status_code == 400
    assert not ProbeResult.objects.exists()


def test_probing_all_probes_every_connection_through_a_secure_port(api, probe_world):
    secured = through_port(probe_world, closed_port())
    probe_world.connect(probe_world.node1, probe_world.message_default)  # not TLS: not probed
    probe_world.config.host = None
    probe_world.config.save()
    homeless = probe_world.connect(probe_world.node1, probe_world.config_secure)
    response = api("security").post("/api/v1/probes/", {})
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["requested"] == [secured.pk]
    assert [r["connection"] for r in body["refused"]] == [homeless.pk] and "no host" in body["refused"][0]["reason"]
    assert list(ProbeResult.objects.values_list("connection_id", "outcome")) == [(secured.pk, "refused")]


@pytest.mark.parametrize("username", ["viewer", "operator"])
def test_only_a_security_officer_probes(api, probe_world, username):
    response = api(username).post("/api/v1/probes/", {})
    assert response.status_code == 403 and "Security officer" in response.json()["detail"]
