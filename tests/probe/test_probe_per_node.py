"""A Cluster client's connection runs on each of its Nodes, and each Node reads its own section and its own
Host's options: a probe judges each Node with its own effective host-name check and target name, against
real TLS servers on 127.0.0.1 (one handshake per distinct endpoint and server name)."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.urls import reverse

from applications.models import AppType, OperatingSystem
from security.checks.verdict import runner_key
from security.models import ProbeResult
from security.probe import probe_connections
from security.verdicts import connection_views, with_verdict_data
from tests.certs.tls_server import tls_server
from tests.checks.world import codes, finding
from tests.probe.test_probe_connection import listening_on


@pytest.fixture
def two_hosts(probe_world):
    """Node 2 moves to a host of its own (Node 1 stays on cb-linux-01)."""
    probe_world.linux2 = probe_world.host("cb-linux-02", OperatingSystem.LINUX, "10.0.1.12")
    probe_world.node2.host = probe_world.linux2
    probe_world.node2.save()
    return probe_world


def results(connection) -> dict[str, ProbeResult]:
    return {r.used_by: r for r in ProbeResult.objects.filter(connection=connection)}


@override_settings(TLS_PROBE_TIMEOUT_SECONDS=2)
def test_a_node_whose_host_checks_the_host_name_gets_its_own_result(two_hosts, counted, client_as):
    w = two_hosts
    w.host_tls_options(w.linux2, tls_target_name_check="host")
    with counted("wronghost") as server:  # a certificate for wrong.example, reached as 127.0.0.1
        connection = listening_on(w, server.port)
        run = probe_connections([connection.pk])

    # Both Nodes send the same server name: the one handshake serves both.
    assert server.accepted == 1 and run.handshakes == 1
    found = results(connection)
    assert set(found) == {"Cobrowse_Node_1", "Cobrowse_Node_2"}
    node1, node2 = found["Cobrowse_Node_1"], found["Cobrowse_Node_2"]
    assert (node1.outcome, node1.host_checked) == ("ok", False), node1.detail
    assert (node2.outcome, node2.host_checked) == ("hostname_mismatch", True), node2.detail
    assert "does not match the host name 127.0.0.1" in node2.detail
    # The finding is Node 2's alone; Node 1's result still holds for Node 1 (not stale against Node 2's check).
    assert codes(connection) == {"connection.probe_hostname_mismatch"}
    assert finding(connection, "connection.probe_hostname_mismatch").detail_key == runner_key(w.node2.pk)
    view = connection_views(list(with_verdict_data(type(connection).objects.filter(pk=connection.pk))))[connection.pk]
    assert view.probe is not None and view.probe.stale == []
    assert view.verdict.failing == ("Cobrowse_Node_2",)
    # The history says how each Node runs it, and neither result is stale.
    page = client_as("viewer").get(reverse("security:probe_history", args=[connection.pk])).content.decode()
    assert ("Cobrowse_Node_1 runs it with PEM with the store Genesys CA; host name check: no." in page)
    assert ("Cobrowse_Node_2 runs it with PEM with the store Genesys CA; host name check: yes, against 127.0.0.1 "
            "(tls-target-name-check=host)." in page)
    assert "probe-stale" not in page and page.count('data-stale="no"') == 2


@override_settings(TLS_PROBE_TIMEOUT_SECONDS=2)
def test_a_node_with_its_own_target_name_sends_it_and_is_checked_against_it(two_hosts, cert_files):
    w = two_hosts
    w.host_tls_options(w.linux2, tls_target_name_check="host", tls_target_name="wrong.example")
    w.host_tls_options(w.linux, tls_target_name_check="host")
    sent: list = []
    with tls_server(cert_files["wronghost-server.pem"], cert_files["wronghost-server.key.pem"],
                    server_names=sent) as port:
        connection = listening_on(w, port)
        run = probe_connections([connection.pk])

    # Two server names (127.0.0.1, which is sent as no SNI, and wrong.example): a handshake each.
    assert run.handshakes == 2 and sent.count("wrong.example") == 1
    found = results(connection)
    assert found["Cobrowse_Node_1"].outcome == "hostname_mismatch"
    assert found["Cobrowse_Node_2"].outcome == "ok" and found["Cobrowse_Node_2"].host_checked
    assert finding(connection, "connection.probe_hostname_mismatch").detail_key == runner_key(w.node1.pk)


def run_will_trust(*args) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("will_trust", *args, stdout=out)
    except CommandError as exc:
        return exc.returncode, str(exc)
    return 0, out.getvalue()


def test_will_trust_judges_each_node_as_it_runs_the_connection(two_hosts, cert_files):
    w = two_hosts
    w.host_tls_options(w.linux2, tls_target_name_check="host")
    w.core.address = "localhost"  # the name server-chain.pem carries
    w.core.save()
    connection = listening_on(w, 4021)
    wrong = str(cert_files["wronghost-server.pem"])

    code, message = run_will_trust("Cobrowse_Cluster", "--chain", wrong, "--connection", str(connection.pk))
    assert code == 1 and message.startswith("not trusted: Cobrowse_Node_2 with the store Genesys CA:")
    assert "does not match the host name localhost" in message and "Cobrowse_Node_1" not in message
    assert run_will_trust("Cobrowse_Node_1", "--chain", wrong, "--connection", str(connection.pk))[0] == 0
    code, out = run_will_trust("Cobrowse_Node_2", "--chain", str(cert_files["server-chain.pem"]),
                               "--connection", str(connection.pk))
    assert code == 0 and out.startswith("Cobrowse_Node_2 (Genesys CA): trusted")

    w.app("Elsewhere", AppType.OTHER, "8.5.100.01", host=w.core)
    for args, expected in (
        (("Elsewhere", "--chain", wrong, "--connection", str(connection.pk)), "Elsewhere runs no connection"),
        (("Cobrowse_Cluster", "--chain", wrong, "--connection", "999999"), "runs no connection 999999"),
        (("Cobrowse_Cluster", "--chain", wrong, "--connection", str(connection.pk), "--host", "x"), "not both"),
    ):
        code, message = run_will_trust(*args)
        assert (code, "\n" in message) == (2, False) and expected in message, message
