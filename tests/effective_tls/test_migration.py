"""The port's secured / mutual TLS flags become tls=1 / tls-mutual=1 in its transport parameters: every
flag, every port, nothing lost, and the flags read the same afterwards."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("applications", "0014_audit_event_type_action_index")]
AFTER = [("applications", "0015_port_transport_params_mode_host_options")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_old_flags_become_transport_parameters_without_loss():
    old = migrate(BEFORE)
    Host = old.get_model("applications", "Host")
    Application = old.get_model("applications", "Application")
    Port = old.get_model("applications", "Port")
    Connection = old.get_model("applications", "Connection")
    host = Host.objects.create(name="core-01", address="10.0.0.5", os_type="linux")
    server = Application.objects.create(name="ConfigServer", app_type="config_server", version="8.5.1",
                                        version_key="x", host=host)
    client = Application.objects.create(name="Cluster", app_type="cobrowse_cluster", version="8.5.3",
                                        version_key="x", host=host)
    plain = Port.objects.create(application=server, port_id="default", number=2020)
    secure = Port.objects.create(application=server, port_id="secure", number=2021, secured=True)
    mutual = Port.objects.create(application=server, port_id="mutual", number=2022, secured=True, mutual_tls=True)
    Connection.objects.create(client=client, port=mutual, transport_params="tls-target-name-check=host")
    before = {p.pk: (p.port_id, p.number, p.secured, p.mutual_tls) for p in Port.objects.all()}

    new = migrate(AFTER)
    Port = new.get_model("applications", "Port")
    after = {p.pk: p for p in Port.objects.all()}
    assert {pk: (p.port_id, p.number, p.secured, p.mutual_tls) for pk, p in after.items()} == before
    assert (after[plain.pk].transport_params, after[plain.pk].mode) == ("", "default")
    assert (after[secure.pk].transport_params, after[secure.pk].mode) == ("tls=1", "secure")
    assert (after[mutual.pk].transport_params, after[mutual.pk].mode) == ("tls=1;tls-mutual=1", "secure")
    # The connection's own parameters are untouched.
    assert new.get_model("applications", "Connection").objects.get().transport_params == "tls-target-name-check=host"
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    # With today's code: the flags are views of the parameters, and read the same.
    from applications.models import Port as CurrentPort
    from security.effective_tls import effective_port_tls

    for pk, (_port_id, _number, secured, mutual_tls) in before.items():
        port = CurrentPort.objects.get(pk=pk)
        port.save()  # a save derives the flags again from the parameters: they must not move
        port.refresh_from_db()
        assert (port.secured, port.mutual_tls) == (secured, mutual_tls)
        effective = effective_port_tls(port)
        assert (effective.value("tls") == "1", effective.value("tls-mutual") == "1") == (secured, mutual_tls)
