"""The Effective TLS pages of a connection and a port (every role reads them; the panel links each value
to the page where it is edited)."""

from dataclasses import dataclass

from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from applications.models import Application, AppType, Connection, Port
from cobrowse_admin.access import access_required
from security.effective_tls import PARAMETERS, effective_client_tls_pairs, effective_port_tls


@dataclass(frozen=True)
class NodeRow:
    """A Node of a Cluster client as the page lists it: how its effective TLS differs from the one shown."""

    node: Application
    differs: tuple[str, ...]  # the parameters whose value differs from the shown Node's


def chosen_runner(nodes: list[Application], asked: str | None) -> Application | None:
    """The Node ``?runner=`` names, else the first by name (the resolver's default); None: not a Cluster
    with Nodes. Anything else given is ignored, as a link from an older page may name a Node gone since."""
    wanted = int(asked) if asked and asked.isdigit() else None
    return next((n for n in nodes if n.pk == wanted), nodes[0] if nodes else None)


@access_required
@require_safe
def connection_tls(request, pk):
    connection = get_object_or_404(Connection.objects.select_related("client", "port__application"), pk=pk)
    # A Cluster's connections run on each of its Nodes, each with its own section and Host: one is shown,
    # and the others that would resolve to other values are listed to pick from.
    nodes = (list(Application.objects.filter(cluster=connection.client).select_related("host").order_by("name"))
             if connection.client.app_type == AppType.COBROWSE_CLUSTER else [])
    runner = chosen_runner(nodes, request.GET.get("runner"))
    by_node = effective_client_tls_pairs([(connection.pk, n.pk) for n in nodes] or [(connection.pk, None)])
    effective = by_node[(connection.pk, runner.pk if runner else None)]
    rows = [NodeRow(n, tuple(name for name in PARAMETERS
                             if by_node[(connection.pk, n.pk)].value(name) != effective.value(name)))
            for n in nodes if n != runner]
    what = f"client side of {connection}" + (f", as {runner.name} runs it" if runner else "")
    return render(request, "security/effective_tls.html", {
        "connection": connection, "app": connection.client, "effective": effective, "what": what,
        "runner": runner, "other_nodes": rows, "nodes_differ": any(row.differs for row in rows),
    })


@access_required
@require_safe
def port_tls(request, pk):
    port = get_object_or_404(Port.objects.select_related("application"), pk=pk)
    return render(request, "security/effective_tls.html", {
        "port": port, "app": port.application, "effective": effective_port_tls(port),
        "what": f"server side of {port.application.name}:{port.port_id}",
        "clients": list(port.connections.select_related("client").order_by("client__name")),
    })
