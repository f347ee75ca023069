"""Every finding code: one configuration that produces it, and the fixed one that does not.

The tests are parametrized over ``CODES`` itself, so a code added without its two cases fails here.
The clock is frozen at the certificate fixtures' reference date (2026-06-01).
"""

import pytest
import time_machine
from cryptography.fernet import Fernet

from applications.models import Application, AppType
from security.checks.codes import CODES
from security.models import Certificate, ProbeOutcome, ProbeResult, TrustedStore
from tests.checks.world import World, codes, finding

# Stores


def store_unreadable(w: World, fixed: bool) -> TrustedStore:
    store = w.store("Damaged", certs=("ca.pem", "intermediate.pem"))
    if not fixed:
        # What a damaged row looks like: the DER no longer parses.
        Certificate.objects.filter(common_name="Co-browse Test Intermediate CA").update(der=b"\x30\x03\x02\x01")
    return store


def store_jks_wrong_password(w: World, fixed: bool) -> TrustedStore:
    store = w.store("Keystore", "JKS", password="changeit")
    if not fixed:
        # Encrypted under another FIELD_ENCRYPTION_KEY (a key rotated without re-encrypting).
        other = Fernet(Fernet.generate_key()).encrypt(b"changeit").decode()
        TrustedStore.objects.filter(pk=store.pk).update(password_encrypted=other)
    return store


def store_empty(w: World, fixed: bool) -> TrustedStore:
    return w.store("Store", certs=("ca.pem",) if fixed else ())


def store_with(cert: str):
    def case(w: World, fixed: bool) -> TrustedStore:
        return w.store("Store", certs=("ca.pem",) if fixed else (cert,))

    return case


def store_expiring_soon(w: World, fixed: bool) -> TrustedStore:
    store = w.store("Store", certs=("ca.pem",))  # the root is valid until 2040-01-01
    if not fixed:
        # 17 days before the root expires: within the 30 days' warning.
        with time_machine.travel("2039-12-15T00:00:00Z", tick=False):
            w.validate(store)
    return store


# Applications


def node_pem(w: World, app=None, **kwargs):
    app = app or w.node1
    store = w.store("Genesys CA")
    return w.security(app, store=store, **kwargs)


def invalid_provider(w: World, fixed: bool):
    if fixed:
        return node_pem(w)
    # The source document itself writes "MSCAP"; a value imported from an old export can be that.
    return w.security(w.node1, provider="MSCAP")


def trusted_ca_missing(w: World, fixed: bool):
    return node_pem(w) if fixed else w.security(w.node1, provider="PEM")


def password_missing(w: World, fixed: bool):
    store = w.store("Keystore", "JKS", password="changeit")
    return w.security(w.node1, store=store, password="changeit" if fixed else None)


def trusted_ca_not_applicable(w: World, fixed: bool):
    node = w.app("Cobrowse_Node_W", AppType.COBROWSE_NODE, "8.5.003.04", host=w.windows, cluster=w.cluster)
    store = w.store("Windows CA", "MSCAPI")
    return w.security(node, store=store, trusted_ca=None if fixed else "C:\\certs\\ca.cer")


def password_not_applicable(w: World, fixed: bool):
    return node_pem(w, password=None if fixed else "changeit")


def mscapi_not_windows(w: World, fixed: bool):
    host = w.windows if fixed else w.linux
    node = w.app("Cobrowse_Node_M", AppType.COBROWSE_NODE, "8.5.003.04", host=host, cluster=w.cluster)
    return w.security(node, store=w.store("Windows CA", "MSCAPI"))


def trusted_ca_wrong_os(w: World, fixed: bool):
    # A Node on a Windows host whose trusted-ca is the store's Linux path (what "Apply to all Nodes"
    # used to write); fixed, it has the store's Windows path.
    node = w.app("Cobrowse_Node_W", AppType.COBROWSE_NODE, "8.5.003.04", host=w.windows, cluster=w.cluster)
    store = w.store("Genesys CA", windows_path="C:\\GCTI\\certs\\ca.pem")
    return w.security(node, store=store, trusted_ca=store.windows_path if fixed else store.path)


def store_unknown(w: World, fixed: bool):
    if fixed:
        w.store("Known", path="/opt/cb/certs/ca.pem")
    return w.security(w.node1, provider="PEM", trusted_ca="/opt/cb/certs/ca.pem")


def store_provider_mismatch(w: World, fixed: bool):
    store = w.store("Genesys CA", "PEM" if fixed else "JKS")
    return w.security(w.node1, store=store, provider="PEM", trusted_ca=store.path)


def store_password_mismatch(w: World, fixed: bool):
    store = w.store("Keystore", "JKS", password="the-store-password")
    return w.security(w.node1, store=store, password="the-store-password" if fixed else "an-old-password")


def section_misplaced(w: World, fixed: bool):
    # SCS controls this deployment: the Cluster's security section cannot be used (R1).
    cluster = w.app("Cluster_SCS", AppType.COBROWSE_CLUSTER, "8.5.003.04", host=w.linux, scs=True)
    node = w.app("Node_SCS", AppType.COBROWSE_NODE, "8.5.003.04", host=w.linux, cluster=cluster)
    target = node if fixed else cluster
    node_pem(w, app=target)
    return cluster


def tls_disabled(w: World, fixed: bool):
    w.connect(w.cluster, w.message_secure)
    if fixed:
        node_pem(w)
    return w.node1


def nodes_inconsistent(w: World, fixed: bool):
    pem = w.store("Genesys CA")
    jks = w.store("Keystore", "JKS", password="changeit")
    w.security(w.node1, store=pem)
    if fixed:
        w.security(w.node2, store=pem)
    else:
        w.security(w.node2, store=jks, password="changeit")
    return w.cluster


# Connections


def insecure_port(w: World, fixed: bool):
    return w.connect(w.cluster, w.message_secure if fixed else w.message_default)


def connection_misplaced(w: World, fixed: bool):
    # From 8.5.001 TLS connections belong on the Cluster, not on a Node (R2).
    return w.connect(w.cluster if fixed else w.node1, w.message_secure)


def config_server(w: World, fixed: bool):
    return w.connect(w.cluster, w.message_secure if fixed else w.config_secure)


def both_nodes(w: World, **kwargs):
    """The Cluster's two Nodes with the same section; the Cluster's connection to Message Server secure."""
    w.security(w.node1, **kwargs)
    w.security(w.node2, **kwargs)
    return w.connect(w.cluster, w.message_secure)


def probed(outcome: str, detail: str):
    def case(w: World, fixed: bool):
        store = w.store("Genesys CA")
        connection = both_nodes(w, store=store)
        # A probe made with the Nodes' trust configuration against the connection's endpoint: it counts.
        ProbeResult.objects.create(connection=connection, host=w.core.address, port_id="secure", port_number=4021,
                                   provider="PEM", store=store, store_name=store.name,
                                   store_digest=store.contents_digest,
                                   outcome=ProbeOutcome.OK if fixed else outcome, detail=detail)
        return connection

    return case


def no_secure_connection(w: World, fixed: bool):
    node_pem(w)
    w.connect(w.cluster, w.message_secure if fixed else w.message_default)
    return w.node1


def connection_tls_disabled(w: World, fixed: bool):
    return both_nodes(w, store=w.store("Genesys CA")) if fixed else w.connect(w.cluster, w.message_secure)


def client_misconfigured(w: World, fixed: bool):
    return both_nodes(w, store=w.store("Genesys CA")) if fixed else both_nodes(w, provider="PEM")


def trust_unknown(w: World, fixed: bool):
    if fixed:
        w.store("Known", path="/opt/cb/certs/ca.pem")
    return both_nodes(w, provider="PEM", trusted_ca="/opt/cb/certs/ca.pem")


def store_failing(w: World, fixed: bool):
    return both_nodes(w, store=w.store("Store", certs=("ca.pem",) if fixed else ()))


# The TLS policy (security.checks.policy): a Genesys client (Stat Server) of the Message Server.


def stat_server(w: World) -> Application:
    return w.app("StatServer", AppType.OTHER, "8.5.100.01", host=w.core)


def server_port(w: World, params: str, *, certificate: bool = True, mode: str = "default"):
    """A Message Server port with these transport parameters; its server has a certificate unless told."""
    if certificate:
        w.tls_options(w.message, certificate="/opt/genesys/certs/ms.pem", certificate_key="/opt/genesys/certs/ms.key")
    return w.port(w.message, "policy", 4030, params=params, mode=mode)


def port_protocol_below_minimum(w: World, fixed: bool):
    server_port(w, f"tls=1;sec-protocol={'TLSv12' if fixed else 'TLSv1'}")
    return w.message


def client_protocol_below_minimum(w: World, fixed: bool):
    # Set on the client's Host: the resolver finds it there.
    w.host_tls_options(w.core, sec_protocol="TLSv13" if fixed else "TLSv11", tls_target_name_check="host")
    return w.connect(stat_server(w), server_port(w, "tls=1"))


def client_no_name_check(w: World, fixed: bool):
    client = w.tls_options(stat_server(w), tls_target_name_check="host") if fixed else stat_server(w)
    return w.connect(client, server_port(w, "tls=1"))


def mutual_client_no_certificate(w: World, fixed: bool):
    port = server_port(w, "tls=1;tls-mutual=1;tls-crl=/opt/genesys/certs/crl.pem")
    client = stat_server(w)
    params = "tls-target-name-check=host" + (";certificate=/opt/stat/cert.pem;certificate-key=/opt/stat/key.pem"
                                              if fixed else "")
    return w.connect(client, port, params)


def mutual_no_crl(w: World, fixed: bool):
    if fixed:
        w.host_tls_options(w.core, tls_crl="/opt/genesys/certs/crl.pem")
    server_port(w, "tls=1;tls-mutual=1")
    return w.message


def port_cipher_not_allowed(w: World, fixed: bool):
    server_port(w, "tls=1;cipher-list=" + ("ECDHE-RSA-AES128-GCM-SHA256:!RC4" if fixed else "AES128-SHA:RC4-MD5"))
    return w.message


def client_cipher_not_allowed(w: World, fixed: bool):
    client = w.tls_options(stat_server(w), tls_target_name_check="host",
                           cipher_list="TLS_AES_128_GCM_SHA256" if fixed else "TLS_RSA_WITH_3DES_EDE_CBC_SHA")
    return w.connect(client, server_port(w, "tls=1"))


def server_no_certificate(w: World, fixed: bool):
    server_port(w, "tls=1", certificate=fixed)
    return w.message


def upgrade_port_misused(w: World, fixed: bool):
    # An upgrade-mode port is Configuration Server's: fixed, the Message Server's port is secure mode.
    port = server_port(w, "tls=1", mode="secure" if fixed else "upgrade")
    return w.connect(w.tls_options(stat_server(w), tls_target_name_check="host"), port)


def backup_mismatch(w: World, fixed: bool):
    backup = w.app("MessageServer_B", AppType.MESSAGE_SERVER, "8.5.100.03", host=w.linux)
    w.port(backup, "secure", 4021, params="tls=1" if fixed else "tls=1;tls-mutual=1")
    w.tls_options(w.message, certificate="/opt/genesys/certs/ms.pem")
    w.tls_options(backup, certificate="/opt/genesys/certs/ms.pem")
    w.message.backup_server = backup
    w.message.save()
    return w.message


CASES = {
    "store.unreadable": store_unreadable,
    "store.jks_wrong_password": store_jks_wrong_password,
    "store.empty": store_empty,
    "store.not_ca": store_with("leaf-nonca.pem"),
    "store.expired": store_with("expired-ca.pem"),
    "store.not_yet_valid": store_with("notyet-ca.pem"),
    "store.expiring_soon": store_expiring_soon,
    "store.weak_key": store_with("rsa1024-ca.pem"),
    "store.weak_signature": store_with("sha1-ca.pem"),
    "application.invalid_provider": invalid_provider,
    "application.trusted_ca_missing": trusted_ca_missing,
    "application.password_missing": password_missing,
    "application.trusted_ca_not_applicable": trusted_ca_not_applicable,
    "application.password_not_applicable": password_not_applicable,
    "application.mscapi_not_windows": mscapi_not_windows,
    "application.trusted_ca_wrong_os": trusted_ca_wrong_os,
    "application.store_unknown": store_unknown,
    "application.store_provider_mismatch": store_provider_mismatch,
    "application.store_password_mismatch": store_password_mismatch,
    "application.section_misplaced": section_misplaced,
    "application.tls_disabled": tls_disabled,
    "application.nodes_inconsistent": nodes_inconsistent,
    "application.no_secure_connection": no_secure_connection,
    "connection.insecure_port": insecure_port,
    "connection.misplaced": connection_misplaced,
    "connection.config_server": config_server,
    "connection.probe_untrusted": probed(ProbeOutcome.UNTRUSTED, "the store does not trust the certificate."),
    "connection.probe_expired": probed(ProbeOutcome.EXPIRED, "the server's certificate has expired."),
    "connection.probe_hostname_mismatch": probed(ProbeOutcome.HOSTNAME, "the certificate does not match."),
    "connection.probe_unreachable": probed(ProbeOutcome.TIMEOUT, "no TLS answer within 5 s."),
    "connection.tls_disabled": connection_tls_disabled,
    "connection.client_misconfigured": client_misconfigured,
    "connection.trust_unknown": trust_unknown,
    "connection.store_failing": store_failing,
    "policy.port_protocol_below_minimum": port_protocol_below_minimum,
    "policy.client_protocol_below_minimum": client_protocol_below_minimum,
    "policy.client_no_name_check": client_no_name_check,
    "policy.mutual_client_no_certificate": mutual_client_no_certificate,
    "policy.mutual_no_crl": mutual_no_crl,
    "policy.port_cipher_not_allowed": port_cipher_not_allowed,
    "policy.client_cipher_not_allowed": client_cipher_not_allowed,
    "policy.server_no_certificate": server_no_certificate,
    "policy.upgrade_port_misused": upgrade_port_misused,
    "policy.backup_mismatch": backup_mismatch,
}


# Every rule runs here, the TLS policy's too (tests/conftest.py turns it off elsewhere).
pytestmark = pytest.mark.tls_policy


@pytest.mark.parametrize("code", sorted(CODES))
def test_a_broken_configuration_produces_the_code(world, code):
    obj = CASES[code](world, fixed=False)

    # The expiring store was validated inside its case, on a clock of its own.
    produced = codes(obj) if code == "store.expiring_soon" else world.validate(obj)

    assert code in produced
    found = finding(obj, code)
    assert found.severity == CODES[code].severity
    assert found.message and found.hint and "\n" not in found.message


@pytest.mark.parametrize("code", sorted(CODES))
def test_the_fixed_configuration_does_not_produce_it(world, code):
    obj = CASES[code](world, fixed=True)

    assert code not in world.validate(obj)


def test_every_code_has_its_two_cases():
    assert set(CASES) == set(CODES)
