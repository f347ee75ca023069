"""The migration that gives a trusted store a path for Windows hosts moves the Windows paths there, and back."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("security", "0003_certificate_key_type_longer")]
AFTER = [("security", "0004_store_windows_path")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_windows_paths_move_to_the_windows_field_and_back():
    old_apps = migrate(BEFORE)
    Store = old_apps.get_model("security", "TrustedStore")
    Store.objects.create(name="Linux", provider="PEM", path="/opt/genesys/ca.pem")
    Store.objects.create(name="Drive", provider="JKS", path="C:\\GCTI\\trust.jks")
    Store.objects.create(name="UNC", provider="PEM", path="\\\\fs01\\certs\\ca.pem")
    Store.objects.create(name="Windows store", provider="MSCAPI", path="")

    new_apps = migrate(AFTER)
    Store = new_apps.get_model("security", "TrustedStore")
    paths = {s.name: (s.path, s.windows_path) for s in Store.objects.all()}
    assert paths == {"Linux": ("/opt/genesys/ca.pem", ""), "Drive": ("", "C:\\GCTI\\trust.jks"),
                     "UNC": ("", "\\\\fs01\\certs\\ca.pem"), "Windows store": ("", "")}

    old_apps = migrate(BEFORE)
    Store = old_apps.get_model("security", "TrustedStore")
    assert dict(Store.objects.values_list("name", "path")) == {
        "Linux": "/opt/genesys/ca.pem", "Drive": "C:\\GCTI\\trust.jks", "UNC": "\\\\fs01\\certs\\ca.pem",
        "Windows store": ""}
    migrate(executor_leaf())


def executor_leaf():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()
