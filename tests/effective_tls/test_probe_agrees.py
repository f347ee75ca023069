"""The probe reads the effective TLS: against a real TLS server on 127.0.0.1 presenting a certificate for
wrong.example, a connection whose effective tls-target-name is that name is verified, and one checking the
host name (tls-target-name-check=host, no target name) fails, in the resolver and in the probe alike."""

from security.effective_tls import effective_client_tls
from security.models import ProbeResult
from security.probe import probe_connection
from tests.checks.world import codes
from tests.effective_tls.conftest import set_host_option
from tests.probe.conftest import probe_world, serve  # noqa: F401


def listening(world, port: int, params: str = ""):
    world.message_secure.number = port
    world.message_secure.save()
    connection = world.connect(world.cluster, world.message_secure)
    connection.transport_params = params
    connection.save()
    return connection


def test_the_effective_target_name_is_the_name_the_probe_checks(probe_world, serve):  # noqa: F811
    with serve("wronghost") as port:
        connection = listening(probe_world, port, "tls-target-name-check=host")
        effective = effective_client_tls(connection)
        assert (effective.value("tls-target-name-check"), effective.value("tls-target-name")) == ("host", None)
        probe_connection(connection_id=connection.pk)
        assert ProbeResult.objects.get(connection=connection).outcome == "hostname_mismatch"
        assert codes(connection) == {"connection.probe_hostname_mismatch"}

        # The name set on the client's host (the Node that runs the connection): the resolver and the probe agree.
        set_host_option(probe_world.node1.host, "tls-target-name", "wrong.example")
        effective = effective_client_tls(connection)
        assert effective.value("tls-target-name") == "wrong.example"
        assert effective.parameters["tls-target-name"].source.level == "host"
        probe_connection(connection_id=connection.pk)
    latest = ProbeResult.objects.filter(connection=connection).order_by("-id").first()
    assert latest.outcome == "ok", latest.detail
    assert codes(connection) == set()
