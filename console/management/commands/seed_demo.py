"""Create (idempotently) a demo environment that shows every rule of the source document."""

from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from applications import audit, history
from applications.models import Application, AppType, Connection, Host, HostOption, OperatingSystem, Option, Port
from applications.options import new_option
from applications.restart import take_running_snapshot
from applications.roles import ADMINISTRATOR, OPERATOR, SECURITY_OFFICER, VIEWER, ensure_role_groups
from applications.usernames import validate_new_username

DEMO_USERS = [
    ("viewer", "viewer-demo-pass", VIEWER),
    ("operator", "operator-demo-pass", OPERATOR),
    ("security", "security-demo-pass", SECURITY_OFFICER),
    ("admin", "admin-demo-pass", ADMINISTRATOR),
]

HOSTS = [
    ("genesys-core-01", "10.0.0.5", OperatingSystem.LINUX, "Configuration, Message, Chat and Solution Control Servers"),
    ("genesys-core-02", "10.0.0.6", OperatingSystem.LINUX, "Backup Message Server"),
    ("cb-linux-01", "10.0.1.11", OperatingSystem.LINUX, "Co-browse Nodes (Linux)"),
    ("cb-linux-02", "10.0.1.12", OperatingSystem.LINUX, "Co-browse Nodes (Linux)"),
    ("cb-win-01", "10.0.2.21", OperatingSystem.WINDOWS, "Co-browse Node on Windows (MSCAPI possible)"),
]

# name, type, version, host, cluster, scs, service account
APPLICATIONS = [
    ("ConfigServer", AppType.CONFIG_SERVER, "8.5.100.07", "genesys-core-01", None, False, ""),
    ("MessageServer", AppType.MESSAGE_SERVER, "8.5.100.03", "genesys-core-01", None, False, ""),
    ("MessageServer_Backup", AppType.MESSAGE_SERVER, "8.5.100.03", "genesys-core-02", None, False, ""),
    ("ChatServer", AppType.CHAT_SERVER, "8.5.104.02", "genesys-core-01", None, False, ""),
    ("SCS", AppType.SCS, "8.5.100.14", "genesys-core-01", None, False, ""),
    ("Cobrowse_Server_850", AppType.COBROWSE_SERVER, "8.5.000.12", "cb-linux-01", None, False, ""),
    ("Cobrowse_Cluster", AppType.COBROWSE_CLUSTER, "8.5.003.04", "cb-linux-01", None, False, ""),
    ("Cobrowse_Node_1", AppType.COBROWSE_NODE, "8.5.003.04", "cb-linux-01", "Cobrowse_Cluster", False, ""),
    ("Cobrowse_Node_2", AppType.COBROWSE_NODE, "8.5.003.04", "cb-linux-02", "Cobrowse_Cluster", False, ""),
    ("Cobrowse_Node_3", AppType.COBROWSE_NODE, "8.5.003.04", "cb-win-01", "Cobrowse_Cluster", False, "Local System"),
    ("Cobrowse_Cluster_SCS", AppType.COBROWSE_CLUSTER, "8.5.003.04", "cb-linux-02", None, True, ""),
    ("Cobrowse_Node_SCS_1", AppType.COBROWSE_NODE, "8.5.003.04", "cb-linux-02", "Cobrowse_Cluster_SCS", False, ""),
]

# server, port id, number, mode, transport parameters (tls=1: a secure port)
PORTS = [
    ("ConfigServer", "default", 2020, "default", ""),
    ("ConfigServer", "secure", 2021, "secure", "tls=1;sec-protocol=TLSv12"),
    ("MessageServer", "default", 4020, "default", ""),
    ("MessageServer", "secure", 4021, "secure", "tls=1;sec-protocol=TLSv12"),
    # The backup listens like its primary but without sec-protocol: the policy's primary / backup rule.
    ("MessageServer_Backup", "default", 4020, "default", ""),
    ("MessageServer_Backup", "secure", 4021, "secure", "tls=1"),
    ("ChatServer", "default", 4120, "default", ""),
    ("ChatServer", "secure", 4121, "secure",
     "tls=1;cipher-list=ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256"),
    ("SCS", "default", 4000, "default", ""),
    ("Cobrowse_Cluster", "default", 8700, "default", ""),
    ("Cobrowse_Cluster_SCS", "default", 8800, "default", ""),
]

# primary, backup (Genesys Administrator's "Backup Server" of the primary)
BACKUP_SERVERS = [("MessageServer", "MessageServer_Backup")]

# The host level of the TLS parameters (each host's [security] options).
HOST_OPTIONS = [
    ("genesys-core-01", "security", "provider", "PEM"),
    ("genesys-core-01", "security", "certificate", "/opt/genesys/certs/genesys-core-01.pem"),
    ("genesys-core-01", "security", "certificate-key", "/opt/genesys/certs/genesys-core-01.key"),
    ("genesys-core-01", "security", "trusted-ca", "/opt/genesys/certs/ca.pem"),
    ("genesys-core-02", "security", "provider", "PEM"),
    ("genesys-core-02", "security", "certificate", "/opt/genesys/certs/genesys-core-02.pem"),
    ("genesys-core-02", "security", "certificate-key", "/opt/genesys/certs/genesys-core-02.key"),
    ("genesys-core-02", "security", "trusted-ca", "/opt/genesys/certs/ca.pem"),
    ("cb-linux-01", "security", "tls-target-name-check", "host"),
    ("cb-linux-01", "security", "sec-protocol", "TLSv12"),
    ("cb-linux-02", "security", "sec-protocol", "TLSv12"),
]

# client, server, port id, transport parameters of the connection
CONNECTION_PARAMS = [
    ("Cobrowse_Cluster", "MessageServer", "secure", "tls-target-name-check=host"),
]

# client, server, port id: secure and non-secure, on the right and the wrong objects (R2, R3)
CONNECTIONS = [
    ("Cobrowse_Server_850", "MessageServer", "secure"),
    ("Cobrowse_Server_850", "ChatServer", "default"),
    ("Cobrowse_Cluster", "MessageServer", "secure"),
    ("Cobrowse_Cluster", "ChatServer", "default"),
    ("Cobrowse_Cluster_SCS", "MessageServer", "secure"),
    ("Cobrowse_Cluster_SCS", "ChatServer", "secure"),
    ("Cobrowse_Node_2", "ChatServer", "secure"),
]

OPTIONS = [
    ("Cobrowse_Cluster", "cluster", "url", "https://cobrowse.example.com/cobrowse"),
    ("Cobrowse_Cluster", "cluster", "serverUrl", "http://10.0.1.11:8700/cobrowse"),
    ("Cobrowse_Cluster_SCS", "cluster", "url", "https://cobrowse-scs.example.com/cobrowse"),
    ("Cobrowse_Node_1", "cluster", "serverUrl", "http://10.0.1.11:8700/cobrowse"),
    ("Cobrowse_Node_2", "cluster", "serverUrl", "http://10.0.1.12:8700/cobrowse"),
    ("Cobrowse_Node_3", "cluster", "serverUrl", "http://10.0.2.21:8700/cobrowse"),
    ("Cobrowse_Server_850", "log", "verbose", "standard"),
    ("Cobrowse_Cluster", "log", "verbose", "standard"),
    ("MessageServer", "log", "verbose", "standard"),
]


class Command(BaseCommand):
    help = (
        "Create the demo environment (idempotent) and one demo user per role. With --scale N, also add a large "
        "environment of N applications for the benchmarks (on a fresh database)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=int, metavar="N",
                            help="also add N applications with 10·N options, 4·N connections, N/10 certificates, "
                                 "N/25 trusted stores and 20·N audit events (benchmarks; fresh database only)")

    def handle(self, *args, scale=None, **options):
        with transaction.atomic():
            created = self.seed()
        if scale is not None:
            self.seed_scale(scale)
        # Version 1 of what the demo data wrote in bulk (the services write the others).
        history.baseline(actor="seed_demo", note="Demo data.")
        self.stdout.write(self.style.SUCCESS(
            f"Demo environment ready ({created} object(s) created): {Host.objects.count()} hosts, "
            f"{Application.objects.count()} applications, {Connection.objects.count()} connections."
        ))
        self.stdout.write("Demo users (username / password / role):")
        for username, password, role in DEMO_USERS:
            self.stdout.write(f"  {username:<9} {password:<20} {role}")

    def seed_scale(self, n: int) -> None:
        import time

        from console.management.commands._scale import ScaleError, seed_scale

        started = time.monotonic()
        self.stdout.write(f"Adding a scale environment of {n} applications:")
        try:
            seed_scale(n, log=self.stdout.write)
        except ScaleError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Scale environment ready in {time.monotonic() - started:.1f} s.")

    def seed(self) -> int:
        created = 0
        ensure_role_groups()
        for username, password, role in DEMO_USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                try:
                    validate_new_username(username)  # the Users page's rule: no look-alike of a real user
                except ValidationError as exc:
                    raise CommandError(f"demo user {username}: {' '.join(exc.messages)}") from None
                user = User(username=username)
                user.set_password(password)
                user.save()
                created += 1
            user.groups.add(Group.objects.get(name=role))
        hosts = {}
        for name, address, os_type, description in HOSTS:
            hosts[name], new = Host.objects.get_or_create(
                name=name, defaults={"address": address, "os_type": os_type, "description": description}
            )
            created += new
        apps, new_apps = {}, []
        for name, app_type, version, host, cluster, scs, account in APPLICATIONS:
            app, new = Application.objects.get_or_create(
                name=name,
                defaults={
                    "app_type": app_type, "version": version, "host": hosts[host],
                    "cluster": apps.get(cluster), "scs_controlled": scs, "service_account": account,
                    "working_directory": f"/opt/genesys/{name.lower()}" if hosts[host].os_type != "windows"
                    else f"C:\\GCTI\\{name}",
                },
            )
            apps[name] = app
            if new:
                new_apps.append(app)
                created += 1
        for primary, backup in BACKUP_SERVERS:
            if new_apps and apps[primary] in new_apps and apps[primary].backup_server_id is None:
                Application.objects.filter(pk=apps[primary].pk).update(backup_server=apps[backup])
                apps[primary].backup_server = apps[backup]
        for server, port_id, number, mode, params in PORTS:
            _, new = Port.objects.get_or_create(
                application=apps[server], port_id=port_id,
                defaults={"number": number, "mode": mode, "transport_params": params},
            )
            created += new
        connection_params = {(c, s, p): params for c, s, p, params in CONNECTION_PARAMS}
        for client, server, port_id in CONNECTIONS:
            port = Port.objects.get(application=apps[server], port_id=port_id)
            _, new = Connection.objects.get_or_create(
                client=apps[client], port=port,
                defaults={"transport_params": connection_params.get((client, server, port_id), "")})
            created += new
        for host, section, name, value in HOST_OPTIONS:
            _, new = HostOption.objects.get_or_create(host=hosts[host], section=section, name=name,
                                                      defaults={"value": value})
            created += new
        for app, section, name, value in OPTIONS:
            if not Option.objects.filter(application=apps[app], section=section, name=name).exists():
                # Built as the services build it: a secret (by its name) is stored encrypted.
                new_option(application_id=apps[app].pk, section=section, name=name, value=value).save()
                created += 1
        # A fresh demo server runs with what it was given: nothing is pending a restart.
        for app in new_apps:
            take_running_snapshot(app)
        if created:
            audit.record(actor="seed_demo", action="import", object_type="application",
                         message=f"Demo environment loaded ({created} object(s) created).")
        return created
