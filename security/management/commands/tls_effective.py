"""Print the effective TLS of one connection (client side) or one port (server side).

``--json`` prints ``{"parameters": {NAME: {"value": ..., "source": "connection|application|host|port",
"object": NAME}}}`` (a parameter set nowhere: value, source and object null). An unknown id is a
one-line error and exit status 1.
"""

import json

from django.core.management.base import CommandError
from django.db import DatabaseError

from applications.models import Connection, Port
from applications.text import quoted
from security.effective_tls import PARAMETERS, effective_client_tls, effective_port_tls
from security.management.commands._cli import OperatorCommand


def parse_id(text: str, what: str) -> int:
    text = text.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 18 or int(text) == 0:
        raise CommandError(f"--{what} {quoted(text)}: give the id of a {what} (a whole number, see the API or the "
                           "page URL)")
    return int(text)


class Command(OperatorCommand):
    help = ("Print the effective TLS parameters of a connection (--connection ID, client side: connection, "
            "client application, client host, target port) or of a port (--port ID, server side: port, server "
            "application, server host): each value and where it comes from.")

    def add_arguments(self, parser):
        parser.add_argument("--connection", metavar="ID", help="a connection's id")
        parser.add_argument("--port", metavar="ID", help="a port's id")
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args, connection=None, port=None, json=False, **options):
        try:
            self.show(connection, port, json)
        except DatabaseError as exc:
            raise CommandError(f"the database is unreachable: {' '.join(str(exc).split())}") from None

    def show(self, connection, port, json: bool) -> None:
        if (connection is None) == (port is None):
            raise CommandError("give exactly one of --connection ID and --port ID")
        if connection is not None:
            pk = parse_id(connection, "connection")
            if not Connection.objects.filter(pk=pk).exists():
                raise CommandError(f"no connection with id {pk}")
            effective, title = effective_client_tls(pk), f"connection {Connection.objects.get(pk=pk)}"
        else:
            pk = parse_id(port, "port")
            if not Port.objects.filter(pk=pk).exists():
                raise CommandError(f"no port with id {pk}")
            effective, title = effective_port_tls(pk), f"port {Port.objects.select_related('application').get(pk=pk)}"
        if json:
            self.print_json(effective)
        else:
            self.print_table(effective, title)

    def print_json(self, effective) -> None:
        parameters = {}
        for name in PARAMETERS:
            p = effective.parameters[name]
            parameters[name] = {"value": p.value, "source": p.source.level if p.source else None,
                                "object": p.source.object_name if p.source else None}
        self.stdout.write(json_dumps({"parameters": parameters}))

    def print_table(self, effective, title: str) -> None:
        self.stdout.write(f"Effective TLS of the {title} ({effective.side} side)")
        width = max(len(name) for name in PARAMETERS)
        for name in PARAMETERS:
            p = effective.parameters[name]
            if p.source is None:
                self.stdout.write(f"  {name:<{width}}  (not set)")
                continue
            line = f"  {name:<{width}}  {p.value}  from {p.source.label}"
            if p.overridden:
                line += "; overrides " + ", ".join(f"{value} ({source.label})" for source, value in p.overridden)
            self.stdout.write(line)


def json_dumps(data) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)
