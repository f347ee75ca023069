"""The Effective TLS pages of a connection and a port (every role reads them; the panel links each value
to the page where it is edited)."""

from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from applications.models import Connection, Port
from cobrowse_admin.access import access_required
from security.effective_tls import effective_client_tls, effective_port_tls


@access_required
@require_safe
def connection_tls(request, pk):
    connection = get_object_or_404(Connection.objects.select_related("client", "port__application"), pk=pk)
    return render(request, "security/effective_tls.html", {
        "connection": connection, "app": connection.client, "effective": effective_client_tls(connection),
        "what": f"client side of {connection}",
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
