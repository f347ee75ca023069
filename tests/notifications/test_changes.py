"""TLS changes read from the audit trail (a security section, a trusted store's members, password and
path, a port's TLS) and readiness turns (from the stored verdict the validation writes), each noticed
once; changes that are not about TLS are not."""

import hashlib

import pytest
import time_machine

from applications.forms import PortForm
from applications.options import OptionChange, options_apply
from applications.services import save_object
from notifications import service
from notifications.models import Notice
from security import probe, validation
from security.models import ApplicationCheck, TrustedStore
from security.stores import store_save
from tests.certs.make_certs import _issue
from tests.certs.tls_server import tls_server
from tests.notifications.conftest import SECRET
from tests.notifications.helpers import issue, utc
from tests.notifications.world import estate, webhook

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(receiver, links):
    e = estate()
    webhook(receiver.url, SECRET, events="security_change,readiness")
    service.run()
    return e


def changes(receiver) -> list[str]:
    return [r["body"]["subject"] for r in receiver.requests if r["body"]["kind"] == "security_change"]


def test_a_security_section_change_is_one_notice_with_what_changed(ready, receiver):
    options_apply(application=ready.node, actor="alice", changes=[
        OptionChange("security", "provider", ""), OptionChange("security", "trusted-ca", None)])
    options_apply(application=ready.node, actor="alice", changes=[OptionChange("general", "log-level", "debug")])
    assert service.run().sent == 1
    assert service.run().sent == 0
    [request] = receiver.requests
    body = request["body"]
    assert body["subject"] == "TLS settings changed: security section Cobrowse_Node_1 (update) by alice"
    assert sorted(e["object"] for e in body["events"]) == ["[security] provider", "[security] trusted-ca"]
    assert body["links"][0]["url"].endswith(f"/applications/{ready.node.pk}/")
    assert request["signed"]


def test_store_members_password_and_path_changes_are_noticed_and_the_password_never_shown(ready, receiver):
    store = TrustedStore.objects.get(pk=ready.store.pk)
    store.path = "/opt/cb/partner-2.pem"
    store_save(store=store, certificates=[ready.intermediate, ready.root], password=None, actor="bob")
    jks = store_save(store=TrustedStore(name="Java", provider="JKS", path="/opt/cb/java.jks"),
                     certificates=[ready.root], password="first-pass-1", actor="bob")
    jks = TrustedStore.objects.get(pk=jks.pk)
    store_save(store=jks, certificates=[ready.root], password="second-pass-2", actor="bob")
    store.description = "only a description"
    store_save(store=TrustedStore.objects.get(pk=store.pk), certificates=[ready.intermediate, ready.root],
               password=None, actor="bob")
    assert service.run().sent == 3
    assert changes(receiver) == [
        "TLS settings changed: trusted store Partner CA (update) by bob",
        "TLS settings changed: trusted store Java (create) by bob",
        "TLS settings changed: trusted store Java (update) by bob",
    ]
    first = receiver.requests[0]["body"]["events"][0]["changes"]
    assert first["path"] == ["/opt/cb/partner.pem", "/opt/cb/partner-2.pem"] and first["certificates"] == [1, 2]
    raw = b"".join(r["raw"] for r in receiver.requests)
    assert b"second-pass-2" not in raw and b"first-pass-1" not in raw
    assert receiver.requests[2]["body"]["events"][0]["changes"]["password"] == [None, "(secret changed)"]


def test_a_port_turned_not_secure_is_noticed(ready, receiver):
    port = ready.secure_port
    form = PortForm({"port_id": "secure", "number": port.number, "secured": "", "mutual_tls": "",
                     "why": "maintenance"}, instance=port, application=port.application)
    assert form.is_valid(), form.errors
    save_object(form=form, actor="carol")
    assert service.run().sent == 1
    [subject] = changes(receiver)
    assert subject == "TLS settings changed: TLS of the port MessageServer:secure (4021) (update) by carol"
    assert receiver.requests[0]["body"]["events"][0]["changes"]["secured"] == [True, False]


def test_a_tls_parameter_of_a_port_changed_is_noticed(ready, receiver):
    """The port stays secure; only its cipher-list (a transport parameter) changes: still a TLS change."""
    port = ready.secure_port
    params = f"{port.transport_params};cipher-list=ECDHE-RSA-AES256-GCM-SHA384".lstrip(";")
    form = PortForm({"port_id": "secure", "number": port.number, "secured": "on", "mutual_tls": "",
                     "mode": port.mode, "transport_params": params, "why": "ciphers"},
                    instance=port, application=port.application)
    assert form.is_valid(), form.errors
    save_object(form=form, actor="carol")
    assert service.run().sent == 1
    assert "transport_params" in receiver.requests[0]["body"]["events"][0]["changes"]


def test_ready_to_not_ready_and_back_once_each_and_the_presented_chain_is_watched(ready, receiver, tmp_path):
    """A real TLS server presents a leaf issued by the intermediate; the probe makes the Cluster's
    connection trusted, the validation says "ready"; TLS turned off then on again: two turns."""
    e = ready
    leaf = issue("localhost", utc(2031, 3, 1), issuer=e.issued["intermediate"], serial=31, ca=False)
    leaf = _issue("localhost", leaf.key, serial=31, not_before=utc(2020, 1, 1), not_after=utc(2031, 3, 1),
                  issuer=e.issued["intermediate"], ca=False, dns=["localhost"], ips=["127.0.0.1"])
    chain, key = tmp_path / "chain.pem", tmp_path / "key.pem"
    chain.write_bytes(leaf.pem + e.issued["intermediate"].pem)
    key.write_bytes(leaf.key_pem)
    store = TrustedStore.objects.get(pk=e.store.pk)
    store_save(store=store, certificates=[e.intermediate, e.root], password=None, actor="tests")
    e.world.security(e.world.node2, store=store)
    e.world.core.address = "127.0.0.1"
    e.world.core.save()
    node = e.node
    with tls_server(chain, key) as port_number:
        e.secure_port.number = port_number
        e.secure_port.save()
        results = probe.probe_connection(connection_id=e.connection.pk)
        assert {r.outcome for r in results} == {"ok"}, [(r.outcome, r.detail) for r in results]
    for app in (e.world.cluster, e.world.node1, e.world.node2):
        validation.validate_application(application_id=app.pk)
    assert ApplicationCheck.objects.get(application=node).verdict == "ready"
    service.run()  # the first verdict seen is not a turn
    options_apply(application=node, actor="dave", changes=[OptionChange("security", "provider", "")])
    validation.validate_application(application_id=node.pk)
    assert ApplicationCheck.objects.get(application=node).verdict == "not ready"
    assert service.run().notices >= 1 and service.run().notices == 0
    options_apply(application=node, actor="dave", changes=[OptionChange("security", "provider", "PEM")])
    validation.validate_application(application_id=node.pk)
    assert ApplicationCheck.objects.get(application=node).verdict == "ready"
    service.run()
    assert service.run().notices == 0
    readiness = [r["body"] for r in receiver.requests if r["body"]["kind"] == "readiness"]
    # The Node, and its Cluster (which it runs), turn: each once, then back once.
    assert [(r["application"]["name"], r["from"], r["to"]) for r in readiness] == [
        ("Cobrowse_Cluster", "ready", "not ready"), (node.name, "ready", "not ready"),
        ("Cobrowse_Cluster", "not ready", "ready"), (node.name, "not ready", "ready")]
    assert readiness[1]["subject"].startswith("Not TLS-ready: Cobrowse_Node_1 (")
    # The leaf the server presented is watched: its tier reached, the failing connection named.
    with time_machine.travel(utc(2031, 2, 20), tick=False):
        service.run()
    leaf_notice = Notice.objects.get(kind="expiry", fingerprint=hashlib.sha256(leaf.der).hexdigest())
    assert leaf_notice.tier == "14"
    assert [c["text"] for c in leaf_notice.payload["impact"]["connections"]] == [
        "Cobrowse_Cluster → MessageServer (secure)"]


def test_a_secure_port_added_is_noticed_a_plain_one_is_not(ready, receiver):
    server = ready.secure_port.application
    for port_id, number, secured in (("plain", 4030, ""), ("tls2", 4031, "on")):
        form = PortForm({"port_id": port_id, "number": number, "secured": secured, "why": "new listener"},
                        application=server)
        assert form.is_valid(), form.errors
        form.instance.application = server
        save_object(form=form, actor="erin")
    assert service.run().sent == 1
    assert changes(receiver) == ["TLS settings changed: TLS of the port MessageServer:tls2 (4031) (create) by erin"]
