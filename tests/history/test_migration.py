"""The data migrations give every existing application and trusted store version 1, secrets as tokens."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from cobrowse_admin import secret_box

BEFORE = [("applications", "0010_audit_chain_existing_events"), ("security", "0007_findings_page")]
AFTER = [("applications", "0012_application_versions_baseline"), ("security", "0009_store_versions_baseline")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_existing_applications_and_stores_get_version_1():
    old = migrate(BEFORE)
    Host = old.get_model("applications", "Host")
    Application = old.get_model("applications", "Application")
    Option = old.get_model("applications", "Option")
    Port = old.get_model("applications", "Port")
    Connection = old.get_model("applications", "Connection")
    Store = old.get_model("security", "TrustedStore")
    host = Host.objects.create(name="core-01", address="10.0.0.5", os_type="linux")
    server = Application.objects.create(name="MessageServer", app_type="message_server", version="8.5.1",
                                        version_key="x", host=host)
    node = Application.objects.create(name="Node", app_type="cobrowse_node", version="8.5.3", version_key="x",
                                      host=host)
    secure = Port.objects.create(application=server, port_id="secure", number=4021, secured=True)
    Connection.objects.create(client=node, port=secure)
    token = secret_box.encrypt("Kept-Secret-99")
    Option.objects.create(application=node, section="security", name="truststore-password", value=token,
                          is_secret=True)
    Option.objects.create(application=node, section="security", name="provider", value="JKS")
    Store.objects.create(name="CA", provider="JKS", path="/opt/ca.jks", password_encrypted=token)

    new = migrate(AFTER)
    Version = new.get_model("applications", "ApplicationVersion")
    StoreVersion = new.get_model("security", "StoreVersion")
    versions = {v.application.name: v for v in Version.objects.select_related("application")}
    assert set(versions) == {"MessageServer", "Node"} and {v.number for v in versions.values()} == {1}
    snapshot = versions["Node"].snapshot
    assert snapshot["options"]["security"]["provider"] == "JKS"
    assert snapshot["options"]["security"]["truststore-password"]["secret"] == token
    assert snapshot["connections"][f"{server.pk}:secure"]["server"] == "MessageServer"
    assert versions["MessageServer"].snapshot["ports"]["secure"] == {"number": 4021, "secured": True,
                                                                    "mutual_tls": False}
    assert "Kept-Secret-99" not in str(snapshot)
    (store_version,) = StoreVersion.objects.all()
    assert store_version.number == 1 and store_version.snapshot["password"]["secret"] == token
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
