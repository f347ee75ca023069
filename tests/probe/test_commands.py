"""``manage.py will_trust`` and ``manage.py probe``: exit 0 / 1 with the reason / 2 on bad input."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from security.models import ProbeResult
from tests.probe.chains import DAY, NOW, issue
from tests.probe.test_probe_connection import listening_on


def run(*args) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command(*args, stdout=out)
    except CommandError as exc:
        return exc.returncode, str(exc)
    return 0, out.getvalue()


@pytest.fixture
def chain_file(tmp_path, cert_files):
    return str(cert_files["server-chain.pem"])


def test_will_trust_says_yes_for_each_node_of_a_cluster(probe_world, chain_file):
    code, out = run("will_trust", "Cobrowse_Cluster", "--chain", chain_file)
    assert code == 0
    assert out.startswith("Cobrowse_Node_1, Cobrowse_Node_2 (Genesys CA): trusted: CN=localhost")


def test_will_trust_says_no_with_the_reason(probe_world, cert_files, tmp_path):
    other = probe_world.store("Other CA", certs=("other-ca.pem",))
    probe_world.security(probe_world.node2, store=other)
    code, message = run("will_trust", "Cobrowse_Cluster", "--chain", str(cert_files["server-chain.pem"]))
    assert code == 1 and "\n" not in message
    assert message.startswith("not trusted: Cobrowse_Node_2 with the store Other CA: no path from CN=localhost")

    code, message = run("will_trust", "Cobrowse_Node_1", "--chain", str(cert_files["server-chain.pem"]),
                        "--host", "elsewhere.example")
    assert code == 1 and "does not match the host name elsewhere.example" in message
    assert run("will_trust", "Cobrowse_Node_1", "--chain", str(cert_files["server-chain.pem"]),
               "--host", "localhost")[0] == 0


def test_will_trust_judges_at_a_given_moment(probe_world, tmp_path):
    from security.models import TrustedStore
    from security.stores import store_save

    root = issue("Moment Root", ca=True)
    leaf = issue("localhost", issuer=root, san=["localhost"], not_after=NOW + 10 * DAY)
    chain = tmp_path / "chain.pem"
    chain.write_bytes(leaf.pem)
    root_file = tmp_path / "root.pem"
    root_file.write_bytes(root.pem)
    probe_world.cert_files["moment-root.pem"] = root_file
    store = TrustedStore.objects.get(name="Genesys CA")
    store_save(store=store, certificates=[probe_world.cert("moment-root.pem")], password=None, actor="tests")

    assert run("will_trust", "Cobrowse_Node_1", "--chain", str(chain))[0] == 0
    code, message = run("will_trust", "Cobrowse_Node_1", "--chain", str(chain), "--at",
                        (NOW + 20 * DAY).date().isoformat())
    assert code == 1 and "expired on" in message


def test_will_trust_refuses_bad_input_in_one_line(probe_world, tmp_path, chain_file):
    garbage = tmp_path / "garbage.pem"
    garbage.write_bytes(b"nothing here")
    for args, expected in (
        (("Nobody", "--chain", chain_file), 'no application named "Nobody"'),
        (("Cobrowse_Node_1", "--chain", str(tmp_path / "missing.pem")), "does not exist"),
        (("Cobrowse_Node_1", "--chain", str(garbage)), "holds no certificate"),
        (("Cobrowse_Node_1", "--chain", chain_file, "--at", "yesterday"), '--at "yesterday" is not a date'),
    ):
        code, message = run("will_trust", *args)
        assert (code, "\n" in message) == (2, False), message
        assert expected in message


def test_will_trust_says_tls_disabled(probe_world, chain_file):
    probe_world.security(probe_world.node1)
    code, message = run("will_trust", "Cobrowse_Node_1", "--chain", chain_file)
    assert code == 1 and "runs with TLS disabled" in message


@override_settings(TLS_PROBE_TIMEOUT_SECONDS=2)
def test_probe_command_selects_and_reports(probe_world, serve):
    with serve("untrusted") as port:
        connection = listening_on(probe_world, port)
        code, message = run("probe", "--connection", str(connection.pk))
        assert code == 1 and message == "1 probe result(s) not trusted"
        assert ProbeResult.objects.get().outcome == "untrusted"
    with serve("trusted") as port:
        probe_world.message_secure.number = port
        probe_world.message_secure.save()
        code, out = run("probe", "--application", "Cobrowse_Cluster")
        assert code == 0
        assert "1 connection(s) probed through 1 handshake(s)" in out
        assert "OK   #" in out and "for Cobrowse_Node_1, Cobrowse_Node_2 with Genesys CA: trusted" in out
        assert run("probe", "--all")[0] == 0


def test_probe_command_refuses_bad_input(probe_world):
    for args, expected in ((("--connection", "abc"), "is not a connection id"),
                           (("--connection", "99999"), "no connection with id 99999"),
                           (("--application", "Nobody"), 'no application named "Nobody"'),
                           (("--application", "Cobrowse_Node_1"), "has no connection through a secure port")):
        code, message = run("probe", *args)
        assert code == 2 and expected in message, message
    default = probe_world.connect(probe_world.cluster, probe_world.message_default)
    code, message = run("probe", "--connection", str(default.pk))
    assert code == 2 and "does not speak TLS" in message
