"""Print the effective TLS of one connection (client side) or one port (server side).

``--json`` prints ``{"parameters": {NAME: {"value": ..., "source": "connection|application|host|port",
"object": NAME}}}`` (a parameter set nowhere: value, source and object null). An unknown id is a
one-line error and exit status 1. ``--runner NODE`` (a Node's name or id): a Cluster client's connection as
that Node runs it (its own section and Host), as the Effective TLS page's Node choice and the API's
``?runner=`` show it; by default the first Node by name.
"""

import json

from django.core.management.base import CommandError
from django.db import DatabaseError

from applications.models import Application, Connection, Port
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
        parser.add_argument("--runner", metavar="NODE",
                            help="with --connection of a Cluster client: the Node (name or id) whose section and "
                                 "host to read (default: the first Node by name)")
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args, connection=None, port=None, runner=None, json=False, **options):
        try:
            self.show(connection, port, json, runner)
        except DatabaseError as exc:
            raise CommandError(f"the database is unreachable: {' '.join(str(exc).split())}") from None

    def show(self, connection, port, json: bool, runner: str | None = None) -> None:
        if (connection is None) == (port is None):
            raise CommandError("give exactly one of --connection ID and --port ID")
        if runner is not None and connection is None:
            raise CommandError("--runner goes with --connection (the Node that runs a Cluster's connection)")
        if connection is not None:
            pk = parse_id(connection, "connection")
            found = Connection.objects.select_related("client").filter(pk=pk).first()
            if found is None:
                raise CommandError(f"no connection with id {pk}")
            node = self.node_of(found, runner) if runner is not None else None
            title = f"connection {found}" + (f", as {node.name} runs it" if node else "")
            effective = effective_client_tls(pk, runner=node.pk if node else None)
        else:
            pk = parse_id(port, "port")
            if not Port.objects.filter(pk=pk).exists():
                raise CommandError(f"no port with id {pk}")
            effective, title = effective_port_tls(pk), f"port {Port.objects.select_related('application').get(pk=pk)}"
        if json:
            self.print_json(effective)
        else:
            self.print_table(effective, title)

    @staticmethod
    def node_of(connection: Connection, runner: str) -> Application:
        """The Node of the connection's Cluster client that ``runner`` names (by name, else by id)."""
        nodes = Application.objects.filter(cluster_id=connection.client_id)
        text = runner.strip()
        node = nodes.filter(name=text).first() or (nodes.filter(pk=int(text)).first()
                                                   if text.isascii() and text.isdigit() and len(text) <= 18 else None)
        if node is None:
            names = ", ".join(nodes.order_by("name").values_list("name", flat=True)) or "none"
            raise CommandError(f"--runner {quoted(text)} is not a Node of {connection.client.name} "
                               f"(its Nodes: {names})")
        return node

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
