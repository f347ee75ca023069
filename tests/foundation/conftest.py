"""A small environment of hosts, applications, ports, connections and options for the foundation tests."""

from types import SimpleNamespace

import pytest

from applications.models import Application, AppType, Connection, Host, OperatingSystem, Option, Port
from applications.restart import take_running_snapshot


@pytest.fixture
def env(db, users):
    linux = Host.objects.create(name="core-01", address="10.0.0.5", os_type=OperatingSystem.LINUX)
    windows = Host.objects.create(name="win-01", address="10.0.2.21", os_type=OperatingSystem.WINDOWS)
    cluster = Application.objects.create(
        name="Cobrowse_Cluster", app_type=AppType.COBROWSE_CLUSTER, version="8.5.003.04", host=linux
    )
    node = Application.objects.create(
        name="Cobrowse_Node_1", app_type=AppType.COBROWSE_NODE, version="8.5.003.04", host=windows, cluster=cluster
    )
    message = Application.objects.create(
        name="MessageServer", app_type=AppType.MESSAGE_SERVER, version="8.5.100.03", host=linux
    )
    chat = Application.objects.create(name="ChatServer", app_type=AppType.CHAT_SERVER, version="8.5.104.02", host=linux)
    message_default = Port.objects.create(application=message, port_id="default", number=4020)
    message_secure = Port.objects.create(application=message, port_id="secure", number=4021, secured=True)
    chat_default = Port.objects.create(application=chat, port_id="default", number=4120)
    connection = Connection.objects.create(client=cluster, port=message_secure)
    Option.objects.create(application=cluster, section="cluster", name="url", value="https://cb.example.com/cobrowse")
    Option.objects.create(application=cluster, section="log", name="verbose", value="standard")
    Option.objects.create(application=node, section="security", name="provider", value="PEM")
    # The Node runs on a Windows host: its trusted-ca is a Windows path.
    Option.objects.create(application=node, section="security", name="trusted-ca", value="C:\\cb\\ca.pem")
    for app in (cluster, node, message, chat):
        take_running_snapshot(app)
    return SimpleNamespace(
        linux=linux, windows=windows, cluster=cluster, node=node, message=message, chat=chat,
        message_default=message_default, message_secure=message_secure, chat_default=chat_default,
        connection=connection, users=users,
    )


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed():`` runs the on-commit work (the Celery tasks, eager here) of the block."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run
