"""The data migration that encrypts the secrets in clear, run forwards and backwards on a real database."""

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from cobrowse_admin import secret_box

CLEAR = "Legacy-Clear-Pass-5"


def migration_and_parent():
    executor = MigrationExecutor(connection)
    (key,) = [k for k in executor.loader.graph.nodes if k[0] == "applications" and k[1] == "0003_secrets_by_name"]
    (parent,) = [d for d in executor.loader.graph.node_map[key].parents if d.key[0] == "applications"]
    return key, parent.key


@pytest.fixture
def migrator(transactional_db):
    """Migrate ``applications`` to a state; puts every app back on its latest migration afterwards."""
    executor = MigrationExecutor(connection)

    def to(target):
        executor.loader.build_graph()
        executor.migrate([target])
        return executor.loader.project_state([target]).apps

    yield to
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_secrets_in_clear_are_encrypted_digested_and_masked_and_decrypted_back(migrator):
    mine, before = migration_and_parent()
    apps = migrator(before)
    Application = apps.get_model("applications", "Application")
    Option = apps.get_model("applications", "Option")
    RunningOption = apps.get_model("applications", "RunningOption")
    PendingRestartChange = apps.get_model("applications", "PendingRestartChange")
    AuditEvent = apps.get_model("applications", "AuditEvent")
    message = Application.objects.create(name="MessageServer", app_type="message_server", version="8.5.100.03",
                                         version_key="x")
    node = Application.objects.create(name="Node", app_type="cobrowse_node", version="8.5.003.04", version_key="x")
    token = secret_box.encrypt("Node-Pass-1")
    Option.objects.create(application=node, section="security", name="truststore-password", value=token,
                          is_secret=True)
    Option.objects.create(application=message, section="security", name="truststore-password", value=CLEAR)
    Option.objects.create(application=message, section="db", name="Admin-PWD", value=CLEAR)
    Option.objects.create(application=message, section="log", name="verbose", value="debug")
    RunningOption.objects.create(application=message, section="db", name="Admin-PWD", value=CLEAR)
    PendingRestartChange.objects.create(application=message, section="db", name="Admin-PWD", running_value=CLEAR,
                                        new_value=CLEAR + "2")
    AuditEvent.objects.create(actor_name="operator", action="update", object_type="option",
                              object_repr="[db] Admin-PWD", application=message, changes={"value": [CLEAR, "x"]})
    store = SessionStore()
    Session.objects.create(
        session_key="k" * 32, expire_date="2099-01-01T00:00:00Z",
        session_data=store.encode({"_auth_user_id": "7", f"cfg-import-{message.pk}": {"data": "W3NlY3VyaXR5XQ=="}}))
    AuditEvent.objects.create(actor_name="operator", action="restart", object_type="application",
                              application=message, changes={"[db] Admin-PWD": [None, CLEAR], "[log] verbose":
                                                            ["standard", "debug"]})

    apps = migrator(mine)
    Option = apps.get_model("applications", "Option")
    rows = {(o.application.name, o.section, o.name): o for o in Option.objects.select_related("application")}
    for key in (("MessageServer", "security", "truststore-password"), ("MessageServer", "db", "Admin-PWD")):
        assert rows[key].is_secret and CLEAR not in rows[key].value
        assert secret_box.decrypt(rows[key].value) == CLEAR
    assert rows[("Node", "security", "truststore-password")].value == token  # already encrypted: untouched
    assert rows[("MessageServer", "log", "verbose")].value == "debug"
    running = apps.get_model("applications", "RunningOption").objects.get(name="Admin-PWD")
    assert running.value == secret_box.digest(CLEAR)
    pending = apps.get_model("applications", "PendingRestartChange").objects.get(name="Admin-PWD")
    assert pending.is_secret and CLEAR not in f"{pending.running_value} {pending.new_value}"
    events = apps.get_model("applications", "AuditEvent").objects
    assert CLEAR not in str(list(events.values_list("changes", flat=True)))
    assert events.get(action="restart").changes["[log] verbose"] == ["standard", "debug"]
    session = Session.objects.get(session_key="k" * 32)
    assert store.decode(session.session_data) == {"_auth_user_id": "7"}  # the preview gone, the login kept

    apps = migrator(before)
    Option = apps.get_model("applications", "Option")
    rows = {(o.application.name, o.section, o.name): o for o in Option.objects.select_related("application")}
    assert (rows[("MessageServer", "db", "Admin-PWD")].value, rows[("MessageServer", "db", "Admin-PWD")].is_secret) \
        == (CLEAR, False)
    assert rows[("MessageServer", "security", "truststore-password")].value == CLEAR
    assert rows[("Node", "security", "truststore-password")].value == token  # encrypted before, encrypted still
