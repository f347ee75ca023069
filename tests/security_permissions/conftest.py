"""The foundation's environment and on-commit helper, plus the security objects the URLs need."""

import socket
from types import SimpleNamespace

import pytest

from applications.models import Application, AppType, Connection, Host, OperatingSystem, Port
from security import certificates as cert_service
from security.models import Provider, TrustedStore
from security.stores import store_save
from security.sweeps import sweep_create
from tests.foundation.conftest import committed, env  # noqa: F401  (fixtures reused as they are)


def closed_local_port() -> int:
    """A loopback port nothing listens on: a probe there is refused at once, never a network wait."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def security_env(env, cert_files, settings):  # noqa: F811
    """Real objects for every id in ``security.urls``: a certificate in a JKS store, a Configuration
    Server with its secure port (setenv), a Cluster connection to a loopback secure port (probe), a sweep."""
    settings.TLS_PROBE_TIMEOUT_SECONDS = 2
    officer = env.users["security"]
    der = cert_files["ca.crt"].read_bytes()
    certificate = cert_service.import_certificates(items=[(der, "der", "ca.crt")], actor=officer).created[0]
    store = store_save(store=TrustedStore(name="Genesys CA (JKS)", provider=Provider.JKS,
                                          path="/opt/genesys/cobrowse/certs/truststore.jks"),
                       certificates=[certificate], password="keystore-pass-123", actor=officer)
    core = Host.objects.create(name="genesys-core-01", address="10.0.0.9", os_type=OperatingSystem.LINUX)
    config_server = Application.objects.create(name="ConfigServer", app_type=AppType.CONFIG_SERVER,
                                               version="8.5.100.07", host=core)
    Port.objects.create(application=config_server, port_id="default", number=2020)
    Port.objects.create(application=config_server, port_id="secure", number=2021, secured=True)
    loopback = Host.objects.create(name="loopback", address="127.0.0.1", os_type=OperatingSystem.LINUX)
    local_chat = Application.objects.create(name="LocalChatServer", app_type=AppType.CHAT_SERVER,
                                            version="8.5.104.02", host=loopback)
    local_secure = Port.objects.create(application=local_chat, port_id="secure", number=closed_local_port(),
                                       secured=True)
    probe_connection = Connection.objects.create(client=env.cluster, port=local_secure)
    return SimpleNamespace(
        base=env, certificate=certificate, store=store, config_server=config_server,
        probe_connection=probe_connection, sweep=sweep_create(trigger="ui", actor=officer),
    )
