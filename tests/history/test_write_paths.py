"""Every write path makes exactly one version when it changes something, and none when it does not."""

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from applications import history, services
from applications.forms import ApplicationForm, ConnectionForm, PortForm
from applications.models import ApplicationVersion, Connection, Port
from applications.options import OptionChange, options_apply
from applications.options_io import apply_import
from applications.revert import revert_application
from security.certificates import import_certificates
from security.crypto import read_upload
from security.models import StoreVersion
from security.section import cluster_apply, security_section_set
from security.stores import store_save


def certificate(cert_files, name):
    parsed = read_upload(cert_files[name].read_bytes())
    der = parsed.certificates[0].public_bytes(Encoding.DER)
    result = import_certificates(items=[(der, parsed.kind, name)], actor="tests")
    return (result.created + result.already_present)[0]


def count(app) -> int:
    return ApplicationVersion.objects.filter(application=app).count()


def general_form(app, **changes):
    data = {**history.application_snapshot(app)["general"], **changes}
    data = {k: ("" if v is None else v) for k, v in data.items() if v is not False}
    return ApplicationForm(data=data, instance=type(app).objects.get(pk=app.pk))


def save_general(world, change: bool):
    form = general_form(world.node_a, service_account="svc-cobrowse" if change else "")
    assert form.is_valid(), form.errors
    services.save_object(form=form, actor=world.users["operator"], note="why not")


def save_options(world, change: bool):
    value = "debug" if change else "standard"
    options_apply(application=world.node_a, changes=[OptionChange("log", "verbose", value)],
                  actor=world.users["operator"], note="more logs")


def import_cfg(world, change: bool):
    value = b"debug" if change else b"standard"
    apply_import(application=world.node_a, data=b"[log]\nverbose=" + value + b"\n",
                 actor=world.users["operator"], expected_revision=world.node_a.options_revision, filename="x.cfg")


def save_port(world, change: bool):
    port = Port.objects.filter(application=world.node_a, port_id="default").first() or Port(application=world.node_a)
    if not change and port.pk is None:
        return
    form = PortForm(data={"port_id": "default", "number": 8700}, instance=port, application=world.node_a)
    assert form.is_valid(), form.errors
    services.save_object(form=form, actor=world.users["operator"])


def save_connection(world, change: bool):
    existing = Connection.objects.filter(client=world.node_a).first()
    if not change and existing is None:
        return
    form = ConnectionForm(data={"server": world.config_server.pk, "port_id": "secure", "protocol": "default",
                                "transport_params": ""}, instance=existing or Connection(client=world.node_a),
                          client=world.node_a)
    assert form.is_valid(), form.errors
    services.save_object(form=form, actor=world.users["operator"])


def security_section(world, change: bool):
    security_section_set(application=world.node_a, provider="PEM" if change else "",
                         store=world.pem if change else None, actor=world.users["security"], note="TLS on")


def apply_to_nodes(world, change: bool):
    if change:
        cluster_apply(cluster=world.cluster, provider="PEM", store=world.pem, actor=world.users["security"])
    else:
        cluster_apply(cluster=world.cluster, provider="", store=None, actor=world.users["security"])


WRITES = [save_general, save_options, import_cfg, save_port, save_connection, security_section, apply_to_nodes]


@pytest.mark.parametrize("write", WRITES, ids=lambda w: w.__name__)
def test_a_write_that_changes_something_makes_exactly_one_version(world, write):
    before = count(world.node_a)
    write(world, True)
    assert count(world.node_a) == before + 1
    latest = history.latest_version(world.node_a)
    assert latest.number == before + 1
    assert latest.summary and latest.summary != "no change"


@pytest.mark.parametrize("write", WRITES, ids=lambda w: w.__name__)
def test_a_write_that_changes_nothing_makes_no_version(world, write):
    before = count(world.node_a)
    write(world, False)
    assert count(world.node_a) == before


def test_the_note_is_kept_with_the_version_and_the_audit_event(world):
    save_options(world, True)
    latest = history.latest_version(world.node_a)
    assert latest.note == "more logs" and latest.source == "options"
    assert world.node_a.audit_events.filter(object_type="option").latest("id").message == "more logs"


def test_deleting_a_port_is_a_version_of_its_application_and_of_its_clients(world):
    save_connection(world, True)
    port = world.cs_secure
    before_server, before_client = count(world.config_server), count(world.node_a)
    services.delete_object(obj=port, actor=world.users["operator"])
    assert count(world.config_server) == before_server + 1
    assert count(world.node_a) == before_client + 1


def test_a_clone_starts_with_version_one(world):
    clone = services.clone_application(source=world.node_a, name="CB_Node_A2", actor=world.users["security"])
    assert list(ApplicationVersion.objects.filter(application=clone).values_list("number", flat=True)) == [1]


def test_a_revert_is_one_version_whatever_it_touches(world):
    save_general(world, True)
    save_options(world, True)
    save_port(world, True)
    to = 1
    before = count(world.node_a)
    version = revert_application(application=world.node_a, to=to, actor=world.users["operator"], note="undo")
    assert count(world.node_a) == before + 1
    assert version.note == "revert to 1: undo" and version.source == "revert"
    assert revert_application(application=world.node_a, to=to, actor=world.users["operator"]) is None
    assert count(world.node_a) == before + 1


def test_store_edits_make_one_version_each_and_none_without_a_change(world, cert_files):
    officer = world.users["security"]
    store = world.jks
    before = StoreVersion.objects.filter(store=store).count()
    store_save(store=store, certificates=[], password=None, actor=officer)
    assert StoreVersion.objects.filter(store=store).count() == before
    store_save(store=store, certificates=[], password="another-Pass-123", actor=officer, note="rotated")
    assert StoreVersion.objects.filter(store=store).count() == before + 1
    latest = StoreVersion.objects.filter(store=store).latest("number")
    assert latest.note == "rotated"
    assert "another-Pass-123" not in str(latest.snapshot)
    ca = certificate(cert_files, "ca.pem")
    store_save(store=store, certificates=[ca], password=None, actor=officer)
    assert StoreVersion.objects.filter(store=store).count() == before + 2
    store_save(store=store, certificates=[ca], password=None, actor=officer)
    assert StoreVersion.objects.filter(store=store).count() == before + 2
