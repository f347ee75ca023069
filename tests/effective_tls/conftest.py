"""A small world for the effective TLS: a client and a server on their own hosts, a secure port."""

from types import SimpleNamespace

import pytest

from applications.models import Application, AppType, Connection, Host, HostOption, Option, Port
from tests.api.conftest import api, tokens  # noqa: F401  (the API client per role)


@pytest.fixture
def tls_world(db):
    client_host = Host.objects.create(name="cb-linux-01", address="10.0.0.1", os_type="linux")
    server_host = Host.objects.create(name="gen-linux-02", address="10.0.0.2", os_type="linux")
    client = Application.objects.create(name="Stat_Server", app_type=AppType.OTHER, version="8.5.100.01",
                                        host=client_host)
    server = Application.objects.create(name="Chat_Server", app_type=AppType.CHAT_SERVER, version="8.5.100.01",
                                        host=server_host)
    port = Port.objects.create(application=server, port_id="secure", number=4121, transport_params="tls=1")
    plain = Port.objects.create(application=server, port_id="default", number=4120)
    connection = Connection.objects.create(client=client, port=port)
    return SimpleNamespace(client_host=client_host, server_host=server_host, client=client, server=server,
                           port=port, plain=plain, connection=connection)


def set_app_option(app, name, value):
    if value is None:
        Option.objects.filter(application=app, section="security", name=name).delete()
    else:
        Option.objects.update_or_create(application=app, section="security", name=name,
                                        defaults={"value": value, "is_secret": False})


def set_host_option(host, name, value):
    if value is None:
        HostOption.objects.filter(host=host, section="security", name=name).delete()
    else:
        HostOption.objects.update_or_create(host=host, section="security", name=name, defaults={"value": value})
