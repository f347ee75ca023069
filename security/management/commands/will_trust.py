"""Would an application trust a server's chain? Offline, with the store it runs with.

    python manage.py will_trust APPLICATION --chain FILE [--host NAME | --connection ID] [--at DATE]

Exit status: 0 the application's store trusts the chain (each Node's, for a Cluster), 1 it does not
(the reason on one line), 2 bad input (unknown application or connection, unreadable file, bad date).

``--connection``: judge as each application runs that connection, with its own effective host-name
check and target name (a Node's section and Host may set them: ``security.probe.connection_runs``).
"""

import datetime as dt
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.core.management.base import CommandError
from django.db import DatabaseError

from applications.text import quoted
from security.management.commands._cli import OperatorCommand

BAD_INPUT = 2
NOT_TRUSTED = 1


def read_chain(path: str) -> list[bytes]:
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise CommandError(f"the chain file {path} does not exist", returncode=BAD_INPUT) from None
    except OSError as exc:
        raise CommandError(f"cannot read the chain file {path}: {exc.strerror or exc.__class__.__name__}",
                           returncode=BAD_INPUT) from None
    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            certs = x509.load_pem_x509_certificates(data)
        else:
            certs = [x509.load_der_x509_certificate(data)]
    except ValueError:
        raise CommandError(f"{path} holds no certificate (expected PEM certificates, server's first, or one DER "
                           "certificate)", returncode=BAD_INPUT) from None
    return [c.public_bytes(Encoding.DER) for c in certs]


def parse_moment(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise CommandError(f"--at {quoted(text)} is not a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM, UTC unless an "
                           "offset is given)", returncode=BAD_INPUT) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


class Command(OperatorCommand):
    help = ("Say whether APPLICATION (with the trusted store it runs with; each Node of a Cluster) would trust the "
            "server chain in FILE, as Java does. Exit 0 trusted, 1 not (with the reason), 2 bad input.")

    def create_parser(self, prog_name, subcommand, **kwargs):
        return super().create_parser(prog_name, subcommand, allow_abbrev=False, **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("application", help="the client application's name")
        parser.add_argument("--chain", required=True, help="the server's chain: PEM certificates (server's first) "
                                                           "or one DER certificate")
        parser.add_argument("--host", help="check the certificate against this host name (as "
                                           "tls-target-name-check=host does)")
        parser.add_argument("--connection", type=int, metavar="ID",
                            help="judge as APPLICATION (each Node of its Cluster client) runs this connection: "
                                 "each with its own effective tls-target-name-check and tls-target-name")
        parser.add_argument("--at", help="judge at this moment (ISO date or date and time; default now)")

    def handle(self, *args, application, chain, host, at, connection=None, **options):
        if host is not None and connection is not None:
            raise CommandError("give --host or --connection, not both (a connection says which name each "
                               "application checks)", returncode=BAD_INPUT)
        try:
            self.judge(application, chain, host, at, connection)
        except DatabaseError as exc:
            raise CommandError(f"the database is unreachable: {' '.join(str(exc).split())}",
                               returncode=BAD_INPUT) from None

    def judge(self, name: str, chain_file: str, host: str | None, at_text: str | None,
              connection_id: int | None = None) -> None:
        from applications.models import Application
        from security.stores import member_ders
        from security.trust import will_trust

        moment = parse_moment(at_text)
        app = Application.objects.select_related("cluster", "host").filter(name=name).first()
        if app is None:
            raise CommandError(f"no application named {quoted(name)}", returncode=BAD_INPUT)
        chain = read_chain(chain_file)
        failures, trusted = [], []
        for apps, config, store, host_name, check_host in self.runs(app, host, connection_id):
            who = ", ".join(a.name for a in apps)
            if not config.provider:
                failures.append(f"{who} runs with TLS disabled (no provider in its security section)")
                continue
            if store is None:
                failures.append(f"{who} uses {config.describe()}: the console cannot say what it trusts")
                continue
            verdict = will_trust(chain, member_ders(store), host_name=host_name, check_host=check_host, at=moment)
            if verdict.trusted:
                trusted.append(f"{who} ({store.name}): {verdict.reason}")
            else:
                failures.append(f"{who} with the store {store.name}: {verdict.reason}")
        if failures:
            raise CommandError("not trusted: " + "; ".join(failures), returncode=NOT_TRUSTED)
        for line in trusted:
            self.stdout.write(line)

    def runs(self, app, host: str | None, connection_id: int | None) -> list[tuple]:
        """(applications, trust configuration, store, host name, whether it is checked) for each way ``app``
        runs: by trust configuration alone, checking ``host`` when given; or, with a connection, as each
        of them runs that connection (its own effective host check and target name)."""
        from applications.models import Connection
        from security.probe import connection_runs, trusts_of
        from security.validation import CONNECTION_JOINS

        if connection_id is None:
            return [(t.apps, t.config, t.store, host, host is not None) for t in trusts_of([app])[app.pk]]
        connection = Connection.objects.select_related(*CONNECTION_JOINS).filter(pk=connection_id).first()
        if connection is None or connection.client_id not in (app.pk, app.cluster_id):
            raise CommandError(f"{app.name} runs no connection {connection_id} (give the id of one of its "
                               "connections, or of its Cluster's)", returncode=BAD_INPUT)
        found = []
        for how in connection_runs([connection])[connection.pk]:
            apps = [a for a in how.apps if connection.client_id == app.pk or a.pk == app.pk]
            if apps:
                found.append((apps, how.config, how.store, how.server_name, how.check_host))
        return found
