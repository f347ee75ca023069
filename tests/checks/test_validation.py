"""How validation stores its findings and which objects it looks at after a change."""

import pytest
from django.test import override_settings
from django.utils import timezone

from applications.models import Application, AppType, Option, PendingRestartChange
from security import validation
from security.models import Finding, TrustedStore
from tests.checks.world import codes, finding


def test_running_the_checks_twice_replaces_the_findings_instead_of_adding_to_them(world):
    store = world.store("Old", certs=("expired-ca.pem", "sha1-ca.pem"))

    world.validate(store)
    first = list(Finding.objects.filter(subject=f"store:{store.pk}").values_list("code", "detail_key"))
    world.validate(store)
    second = list(Finding.objects.filter(subject=f"store:{store.pk}").values_list("code", "detail_key"))

    assert sorted(first) == sorted(second)
    assert len(second) == len(set(second)) == 2


def test_fixing_the_object_removes_its_findings(world):
    world.connect(world.cluster, world.message_secure)  # a Node with no TLS connection to run is not TLS-ready
    node = world.security(world.node1, provider="PEM")
    assert "application.trusted_ca_missing" in world.validate(node)

    world.security(node, store=world.store("Genesys CA"))

    assert world.validate(node) == set()


def test_each_expired_certificate_of_a_store_is_its_own_finding(world):
    store = world.store("Old", certs=("expired-ca.pem", "ca.pem", "leaf-nonca.pem"))

    world.validate(store)

    assert Finding.objects.filter(subject=f"store:{store.pk}", code="store.expired").count() == 1
    assert "Co-browse Expired CA" in finding(store, "store.expired").message
    assert "Co-browse Test Leaf" in finding(store, "store.not_ca").message


@override_settings(CERTIFICATE_EXPIRY_WARNING_DAYS=10)
def test_the_expiry_warning_follows_the_setting(world, time_machine):
    store = world.store("Store")
    time_machine.move_to("2039-12-15T00:00:00Z")  # the root expires in 17 days

    assert "store.expiring_soon" not in world.validate(store)

    time_machine.move_to("2039-12-25T00:00:00Z")  # in 7 days
    assert "store.expiring_soon" in world.validate(store)


def test_stores_with_the_same_contents_are_parsed_once_but_each_gets_its_findings(world):
    stores = [world.store(f"Copy {i}", certs=("expired-ca.pem",)) for i in range(3)]
    cache = validation.ValidationCache()

    for store in stores:
        validation.validate_store(store_id=store.pk, cache=cache)

    assert cache.parsed == 1
    assert all("store.expired" in codes(store) for store in stores)


def test_the_password_of_the_application_is_checked_against_the_keystore_not_shown(world):
    store = world.store("Keystore", "JKS", password="s3cret-store")
    node = world.security(world.node1, store=store, password="wrong-one")

    world.validate(node)

    message = finding(node, "application.store_password_mismatch").message
    assert "s3cret-store" not in message and "wrong-one" not in message


def test_validating_clears_the_request_flag(world):
    store = world.store("Genesys CA")
    node = world.security(world.node1, store=store)
    Application.objects.filter(pk=node.pk).update(checks_requested_at=timezone.now())
    TrustedStore.objects.filter(pk=store.pk).update(checks_requested_at=timezone.now())

    world.validate(store)
    world.validate(node)

    assert Application.objects.get(pk=node.pk).checks_requested_at is None
    store.refresh_from_db()
    assert store.checks_requested_at is None and store.last_validated_at is not None


def test_a_pending_request_also_recomputes_the_restart_list(world):
    # The options changed while the broker was down: the restart task never ran.
    Option.objects.create(application=world.node1, section="security", name="provider", value="PEM")
    Application.objects.filter(pk=world.node1.pk).update(checks_requested_at=timezone.now())

    world.validate(world.node1)

    assert PendingRestartChange.objects.filter(application=world.node1, name="provider").exists()


def test_a_node_uses_the_clusters_section_when_it_has_none_of_its_own(world):
    world.connect(world.cluster, world.message_secure)
    world.security(world.cluster, store=world.store("Genesys CA"))

    assert "application.tls_disabled" not in world.validate(world.node1)


def test_under_scs_the_clusters_section_does_not_count_for_the_nodes(world):
    Application.objects.filter(pk=world.cluster.pk).update(scs_controlled=True)
    world.connect(world.cluster, world.message_secure)
    world.security(world.cluster, store=world.store("Genesys CA"))

    assert "application.tls_disabled" in world.validate(world.node1)
    assert "application.section_misplaced" in codes(world.cluster)


def test_a_cobrowse_server_from_8_5_001_has_no_security_section(world):
    server = world.app("Cobrowse_Server", AppType.COBROWSE_SERVER, "8.5.001.05", host=world.linux)
    world.security(server, store=world.store("Genesys CA"))

    assert "application.section_misplaced" in world.validate(server)
    assert "Co-browse Node" in finding(server, "application.section_misplaced").hint


def test_on_8_5_000_the_server_holds_both_the_section_and_the_connections(world):
    server = world.app("Cobrowse_Server_850", AppType.COBROWSE_SERVER, "8.5.000.12", host=world.linux)
    connection = world.connect(server, world.message_secure)
    world.security(server, store=world.store("Genesys CA"))

    assert world.validate(server) == set()
    assert codes(connection) == set()


def test_a_change_to_a_node_refreshes_the_clusters_findings_too(world):
    world.security(world.node1, store=world.store("Genesys CA"))
    world.security(world.node2, provider="JKS", trusted_ca="/opt/cb/other.jks", password="x")
    world.validate(world.node1)
    assert "application.nodes_inconsistent" in codes(world.cluster)

    world.security(world.node2, store=TrustedStore.objects.get(name="Genesys CA"))
    world.validate(world.node2)

    assert "application.nodes_inconsistent" not in codes(world.cluster)


def test_a_new_secure_port_on_a_server_flags_the_clients_still_on_the_old_one(world):
    chat = world.app("ChatServer", AppType.CHAT_SERVER, "8.5.104.02", host=world.core)
    connection = world.connect(world.cluster, world.port(chat, "default", 4120))
    world.validate(world.cluster)
    assert codes(connection) == set()

    world.port(chat, "secure", 4121, secured=True)
    world.validate(chat)  # what the port's save asks for

    assert codes(connection) == {"connection.insecure_port"}
    assert '"secure"' in finding(connection, "connection.insecure_port").hint


def test_a_probe_of_another_port_or_host_no_longer_counts(world):
    from security.models import ProbeResult

    store = world.store("Genesys CA")
    world.security(world.node1, store=store)
    world.security(world.node2, store=store)
    connection = world.connect(world.cluster, world.message_secure)
    trust = {"provider": "PEM", "store": store, "store_name": store.name, "store_digest": store.contents_digest}
    ProbeResult.objects.create(connection=connection, host="10.9.9.9", port_id="secure", port_number=4021,
                               outcome="untrusted", **trust)
    ProbeResult.objects.create(connection=connection, host=world.core.address, port_id="default", port_number=4020,
                               outcome="untrusted", **trust)

    assert world.validate(connection) == set()


@pytest.mark.parametrize("provider", ["PEM", "JKS", "MSCAPI"])
def test_a_well_configured_node_has_no_findings(world, provider):
    host = world.windows if provider == "MSCAPI" else world.linux
    node = world.app("Node", AppType.COBROWSE_NODE, "8.5.003.04", host=host, cluster=world.cluster)
    store = world.store("Genesys CA", provider, password="changeit" if provider == "JKS" else None)
    world.security(node, store=store, password="changeit" if provider == "JKS" else None)
    world.connect(world.cluster, world.message_secure)

    assert world.validate(store) == set()
    assert world.validate(node) == set()
