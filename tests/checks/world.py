"""A small Genesys deployment built in the database for the checks tests, one helper per object.

Certificates come from the generated fixture files (``cert_files``) through the library's own
import service; stores are saved through the store service, as the pages do.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding

from applications.models import Application, AppType, Connection, Host, HostOption, OperatingSystem, Option, Port
from cobrowse_admin import secret_box
from security import validation
from security.certificates import import_certificates
from security.crypto import read_upload
from security.models import Certificate, Finding, StoreAssignment, TrustedStore
from security.stores import store_save


class World:
    def __init__(self, cert_files: dict[str, Path]):
        self.cert_files = cert_files
        self.linux = self.host("cb-linux-01", OperatingSystem.LINUX, "10.0.1.11")
        self.windows = self.host("cb-win-01", OperatingSystem.WINDOWS, "10.0.2.21")
        self.core = self.host("genesys-core-01", OperatingSystem.LINUX, "10.0.0.5")
        self.message = self.app("MessageServer", AppType.MESSAGE_SERVER, "8.5.100.03", host=self.core)
        self.message_default = self.port(self.message, "default", 4020)
        self.message_secure = self.port(self.message, "secure", 4021, secured=True)
        self.config = self.app("ConfigServer", AppType.CONFIG_SERVER, "8.5.100.07", host=self.core)
        self.config_secure = self.port(self.config, "secure", 2021, secured=True)
        self.cluster = self.app("Cobrowse_Cluster", AppType.COBROWSE_CLUSTER, "8.5.003.04", host=self.linux)
        self.node1 = self.app("Cobrowse_Node_1", AppType.COBROWSE_NODE, "8.5.003.04", host=self.linux,
                              cluster=self.cluster)
        self.node2 = self.app("Cobrowse_Node_2", AppType.COBROWSE_NODE, "8.5.003.04", host=self.linux,
                              cluster=self.cluster)

    @classmethod
    def helpers(cls, cert_files: dict[str, Path]) -> World:
        """The helpers alone, over objects already in the database (the demo environment)."""
        world = cls.__new__(cls)
        world.cert_files = cert_files
        return world

    # Objects

    def host(self, name: str, os_type: str, address: str = "127.0.0.1") -> Host:
        return Host.objects.create(name=name, address=address, os_type=os_type)

    def app(self, name: str, app_type: str, version: str, *, host: Host | None = None,
            cluster: Application | None = None, scs: bool = False) -> Application:
        return Application.objects.create(name=name, app_type=app_type, version=version, host=host, cluster=cluster,
                                          scs_controlled=scs)

    def port(self, app: Application, port_id: str, number: int, *, secured: bool = False, params: str = "",
             mode: str = "default") -> Port:
        """A listening port; ``params``: its transport parameters (``tls=1`` there makes it secure)."""
        if params:
            return Port.objects.create(application=app, port_id=port_id, number=number, transport_params=params,
                                       mode=mode)
        return Port.objects.create(application=app, port_id=port_id, number=number, secured=secured, mode=mode)

    def connect(self, client: Application, port: Port, params: str = "") -> Connection:
        return Connection.objects.create(client=client, port=port, transport_params=params)

    def tls_options(self, app: Application, **values: str) -> Application:
        """TLS parameters in the application's ``security`` section (``tls_crl="..."`` is tls-crl)."""
        for name, value in values.items():
            Option.objects.update_or_create(application=app, section="security", name=name.replace("_", "-"),
                                            defaults={"value": value})
        return app

    def host_tls_options(self, host: Host, **values: str) -> Host:
        """TLS parameters in the host's ``security`` options."""
        for name, value in values.items():
            HostOption.objects.update_or_create(host=host, section="security", name=name.replace("_", "-"),
                                                defaults={"value": value})
        return host

    def security(self, app: Application, *, provider: str | None = None, trusted_ca: str | None = None,
                 password: str | None = None, store: TrustedStore | None = None) -> Application:
        """Write the security section as saved options (None: leave the option out)."""
        Option.objects.filter(application=app, section="security").delete()
        if store is not None:
            provider = store.provider if provider is None else provider
            trusted_ca = store.path if trusted_ca is None and store.path else trusted_ca
            StoreAssignment.objects.update_or_create(application=app, defaults={"store": store})
        for name, value in (("provider", provider), ("trusted-ca", trusted_ca)):
            if value is not None:
                Option.objects.create(application=app, section="security", name=name, value=value)
        if password is not None:
            Option.objects.create(application=app, section="security", name="truststore-password",
                                  value=secret_box.encrypt(password), is_secret=True)
        return app

    def cert(self, name: str) -> Certificate:
        parsed = read_upload(self.cert_files[name].read_bytes())
        der = parsed.certificates[0].public_bytes(Encoding.DER)
        result = import_certificates(items=[(der, parsed.kind, name)], actor="tests")
        return (result.created + result.already_present)[0]

    def store(self, name: str, provider: str = "PEM", certs: tuple[str, ...] = ("ca.pem",), *,
              path: str | None = None, password: str | None = None, windows_path: str = "") -> TrustedStore:
        if path is None and provider != "MSCAPI":
            path = f"/opt/genesys/cobrowse/certs/{name}.{provider.lower()}"
        if provider == "JKS" and password is None:
            password = "changeit"
        store = TrustedStore(name=name, provider=provider, path=path or "", windows_path=windows_path)
        return store_save(store=store, certificates=[self.cert(c) for c in certs], password=password, actor="tests")

    # Checks

    def validate(self, obj) -> set[str]:
        """Run the checks of ``obj`` (as the tasks do) and return the codes of its findings."""
        if isinstance(obj, TrustedStore):
            validation.validate_store(store_id=obj.pk)
        elif isinstance(obj, Application):
            validation.validate_application(application_id=obj.pk)
        else:
            validation.validate_connection(connection_id=obj.pk)
        return codes(obj)


def codes(obj) -> set[str]:
    return set(Finding.objects.filter(subject=validation.subject_of(obj)).values_list("code", flat=True))


def finding(obj, code: str) -> Finding:
    """The finding of this code (the first by detail: a connection has one per Node that fails)."""
    return Finding.objects.filter(subject=validation.subject_of(obj), code=code).order_by("detail_key").first()

