"""Server Info (ports) and Connections tabs."""

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from applications import services
from applications.forms import ConnectionForm, PortForm, ServerInfoForm, relisted_connection_form
from applications.models import Application, Connection, Port, Protocol
from applications.ports_io import ports_version
from applications.versioning import VERSION_FIELD
from applications.views import application_or_404, delete_object_page, edit_object, warn_paths_not_fitting
from cobrowse_admin.access import access_required


@access_required
@require_safe
def ports_tab(request, pk):
    app = application_or_404(pk)
    ports = app.ports.annotate(connection_count=Count("connections"))
    return render(request, "applications/detail_ports.html", {
        "app": app, "tab": "ports", "ports": ports,
        # The import form on the tab is checked against the ports as this page shows them.
        "ports_version": ports_version(app), "version_field": VERSION_FIELD,
    })


@access_required
def server_info_edit(request, pk):
    """Host, working directory and command line, edited on the Server Info tab as in Genesys
    Administrator; the application's version, as every edit of it carries."""
    app = get_object_or_404(Application, pk=pk)
    form = ServerInfoForm(request.POST or None, instance=app)
    ports_url = reverse("applications:ports", args=[app.pk])
    return edit_object(request, app, form,
                       edit_url=lambda saved: reverse("applications:server_info_edit", args=[saved.pk]),
                       done_url=lambda saved: ports_url,
                       context={"app": app, "title": f"Server Info of {app}", "cancel_url": ports_url},
                       on_saved=lambda saved: warn_paths_not_fitting(request, [saved]))


@access_required
def port_edit(request, pk, port_pk=None):
    app = application_or_404(pk)
    port = get_object_or_404(Port, pk=port_pk, application=app) if port_pk else Port(application=app)
    form = PortForm(request.POST or None, instance=port, application=app)
    return edit_object(request, port, form,
                       edit_url=lambda saved: reverse("applications:port_edit", args=[app.pk, saved.pk]),
                       done_url=lambda saved: reverse("applications:ports", args=[app.pk]),
                       context={"app": app, "title": f"Port {port.port_id}" if port_pk else f"New port of {app}",
                                "help_topic": "connections", "help_label": "ports, secure ports and mutual TLS",
                                "tls_port": port,
                                "cancel_url": reverse("applications:ports", args=[app.pk])})


@access_required
def port_delete(request, pk, port_pk):
    app = application_or_404(pk)
    port = get_object_or_404(Port, pk=port_pk, application=app)
    ports_url = reverse("applications:ports", args=[app.pk])
    return delete_object_page(request, port, impact=services.delete_impact(port), cancel_url=ports_url,
                              done=(f"Deleted port {port.port_id} of {app}.", ports_url))


@access_required
@require_safe
def connections_tab(request, pk):
    app = application_or_404(pk)
    connections = app.connections.select_related("port__application__host")
    incoming = Connection.objects.filter(port__application=app).select_related("client", "port")
    return render(request, "applications/detail_connections.html", {
        "app": app, "tab": "connections", "connections": connections, "incoming": incoming,
    })


@access_required
def connection_edit(request, pk, conn_pk=None):
    app = application_or_404(pk)
    conn = get_object_or_404(Connection, pk=conn_pk, client=app) if conn_pk else Connection(client=app)
    had_addp = conn.protocol == Protocol.ADDP
    form = ConnectionForm(request.POST or None, instance=conn, client=app)
    connections_url = reverse("applications:connections", args=[app.pk])

    def on_saved(saved):
        if had_addp and saved.protocol != Protocol.ADDP:
            messages.info(request, f"The ADDP timeouts and trace mode of {saved} were removed: they exist "
                                   "only with the addp protocol.")

    return edit_object(request, conn, form,
                       edit_url=lambda saved: reverse("applications:connection_edit", args=[app.pk, saved.pk]),
                       done_url=lambda saved: connections_url,
                       context={"app": app, "title": str(conn) if conn_pk else f"New connection of {app}",
                                "help_topic": "connections",
                                "help_label": "which application holds the TLS connections",
                                "cancel_url": connections_url},
                       on_saved=on_saved, template="applications/connection_form.html",
                       reshow=lambda posted: relisted_connection_form(posted, client=app))


@access_required
def connection_delete(request, pk, conn_pk):
    app = application_or_404(pk)
    conn = get_object_or_404(Connection, pk=conn_pk, client=app)
    connections_url = reverse("applications:connections", args=[app.pk])
    return delete_object_page(request, conn, impact={}, cancel_url=connections_url,
                              done=(f"Deleted connection {conn}.", connections_url))
