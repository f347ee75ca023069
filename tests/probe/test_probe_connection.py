"""Probing a connection configured in the console: the store it uses, what is recorded, the findings."""

import pytest
from django.test import override_settings
from django.urls import reverse

from security import sweeps
from security.models import ProbeResult, TrustedStore
from security.probe import NothingToProbe, probe_connection
from tests.certs.tls_server import closed_port
from tests.checks.world import codes


def listening_on(world, port: int):
    world.message_secure.number = port
    world.message_secure.save()
    return world.connect(world.cluster, world.message_secure)


def test_a_security_officer_probes_from_the_review_and_sees_the_result(client_as, probe_world, serve):
    officer = client_as("security")
    with serve("trusted") as port:
        connection = listening_on(probe_world, port)
        response = officer.post(reverse("security:probe", args=[connection.pk]),
                                {"next": reverse("security:review")}, follow=True)

    result = ProbeResult.objects.get(connection=connection)
    assert (result.outcome, result.host, result.port_id, result.port_number) == ("ok", "127.0.0.1", "secure", port)
    # What it used: the Nodes' store (they run the Cluster's connections), with the digest of its contents.
    assert result.store.name == result.store_name == "Genesys CA" and result.provider == "PEM"
    assert result.store_digest == result.store.contents_digest and len(result.store_digest) == 64
    assert result.used_by == "Cobrowse_Node_1, Cobrowse_Node_2"
    assert result.chain_pem.count("BEGIN CERTIFICATE") == 2
    assert "trusted" in response.content.decode()
    assert codes(connection) == set()


def test_an_untrusted_server_becomes_a_finding_until_the_store_trusts_its_ca(probe_world, serve):
    with serve("untrusted") as port:
        connection = listening_on(probe_world, port)
        probe_connection(connection_id=connection.pk)
        assert codes(connection) == {"connection.probe_untrusted"}

        store = TrustedStore.objects.get(name="Genesys CA")
        from security.stores import store_save

        store_save(store=store, certificates=[probe_world.cert("ca.pem"), probe_world.cert("other-ca.pem")],
                   password=None, actor="tests")
        probe_connection(connection_id=connection.pk)

    assert codes(connection) == set()
    assert list(ProbeResult.objects.filter(connection=connection).values_list("outcome", flat=True)) == [
        "ok", "untrusted"]


def test_expired_and_wrong_host_certificates_become_findings(probe_world, serve):
    for kind, params, code in (("expired", "", "connection.probe_expired"),
                               ("wronghost", "tls-target-name-check=host", "connection.probe_hostname_mismatch")):
        with serve(kind) as port:
            connection = listening_on(probe_world, port)
            connection.transport_params = params
            connection.save()
            probe_connection(connection_id=connection.pk)
        assert codes(connection) == {code}
        connection.delete()


def test_the_host_name_is_checked_only_when_the_connection_asks_for_it(probe_world, serve):
    """Genesys checks the server's name only with tls-target-name-check=host (its default: no check)."""
    with serve("wronghost") as port:
        connection = listening_on(probe_world, port)
        probe_connection(connection_id=connection.pk)
        first = ProbeResult.objects.get(connection=connection)
        assert (first.outcome, first.host_checked) == ("ok", False)
        assert codes(connection) == set()

        connection.transport_params = "tls-target-name-check=host"
        connection.save()
        probe_world.validate(connection)
        # The old result no longer says what the client would do: it decides nothing.
        from security.verdicts import probe_view

        assert probe_view(first, connection, []).stale == [
            "it did not check the host name; the connection now asks for it (tls-target-name-check=host)"]
        probe_connection(connection_id=connection.pk)

    latest = ProbeResult.objects.filter(connection=connection).first()
    assert (latest.outcome, latest.host_checked) == ("hostname_mismatch", True)
    assert "does not match the host name 127.0.0.1" in latest.detail
    assert codes(connection) == {"connection.probe_hostname_mismatch"}


def test_a_refused_port_is_a_warning(probe_world):
    connection = listening_on(probe_world, closed_port())

    probe_connection(connection_id=connection.pk)

    assert codes(connection) == {"connection.probe_unreachable"}


def test_a_connection_through_a_port_without_tls_is_never_probed_under_its_name(client_as, probe_world, serve):
    """Seen: a probe of ChatServer default 4120 probed secure 4121 and showed it on the 4120 row."""
    with serve("trusted") as port:
        probe_world.message_secure.number = port
        probe_world.message_secure.save()
        connection = probe_world.connect(probe_world.cluster, probe_world.message_default)
        with pytest.raises(NothingToProbe, match=r"MessageServer:default \(4020\) does not speak TLS"):
            probe_connection(connection_id=connection.pk)
        response = client_as("security").post(reverse("security:probe", args=[connection.pk]), follow=True)

    assert not ProbeResult.objects.exists()
    page = response.content.decode()
    assert "Not probed: MessageServer:default (4020) does not speak TLS" in page
    assert f"Connect through secure ({port}) and probe that connection." in page


def test_only_the_host_and_port_configured_in_the_console_are_probed(client_as, probe_world):
    connection = listening_on(probe_world, closed_port())

    client_as("security").post(reverse("security:probe", args=[connection.pk]),
                               {"host": "192.0.2.1", "port": "22", "next": "https://evil.example/"})

    result = ProbeResult.objects.get()
    assert (result.host, result.port_number) == ("127.0.0.1", probe_world.message_secure.number)


@override_settings(TLS_PROBE_IN_SWEEP=True)
def test_the_sweep_can_probe_every_secure_connection(probe_world, serve):
    with serve("trusted") as port:
        connection = listening_on(probe_world, port)
        sweeps.run_sweep(sweeps.sweep_create(trigger="beat").pk)

    assert ProbeResult.objects.get(connection=connection).outcome == "ok"
