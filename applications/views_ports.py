"""Server Info (ports) and Connections tabs."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from applications import services
from applications.forms import ConnectionForm, PortForm
from applications.models import Connection, Port
from applications.roles import operator_required, viewer_required
from applications.views import after_save, application_or_404


@viewer_required
@require_safe
def ports_tab(request, pk):
    app = application_or_404(pk)
    ports = app.ports.all()
    return render(request, "applications/detail_ports.html", {"app": app, "tab": "ports", "ports": ports})


@operator_required
def port_edit(request, pk, port_pk=None):
    app = application_or_404(pk)
    port = get_object_or_404(Port, pk=port_pk, application=app) if port_pk else Port(application=app)
    form = PortForm(request.POST or None, instance=port, application=app)
    if request.method == "POST" and form.is_valid():
        port = services.save_object(form=form, actor=request.user)
        return after_save(
            request, port,
            edit_url=reverse("applications:port_edit", args=[app.pk, port.pk]),
            done_url=reverse("applications:ports", args=[app.pk]),
        )
    return render(request, "applications/form.html", {
        "form": form, "app": app, "title": f"Port {port.port_id}" if port_pk else f"New port of {app}",
        "cancel_url": reverse("applications:ports", args=[app.pk]), "apply": bool(port_pk),
    })


@operator_required
def port_delete(request, pk, port_pk):
    app = application_or_404(pk)
    port = get_object_or_404(Port, pk=port_pk, application=app)
    if request.method == "POST":
        services.delete_object(obj=port, actor=request.user)
        messages.success(request, f"Deleted port {port.port_id} of {app}.")
        return redirect("applications:ports", app.pk)
    return render(request, "applications/confirm_delete.html", {
        "object": port, "impact": services.delete_impact(port),
        "cancel_url": reverse("applications:ports", args=[app.pk]),
    })


@viewer_required
@require_safe
def connections_tab(request, pk):
    app = application_or_404(pk)
    connections = app.connections.select_related("port__application__host")
    incoming = Connection.objects.filter(port__application=app).select_related("client", "port")
    return render(request, "applications/detail_connections.html", {
        "app": app, "tab": "connections", "connections": connections, "incoming": incoming,
    })


@operator_required
def connection_edit(request, pk, conn_pk=None):
    app = application_or_404(pk)
    conn = get_object_or_404(Connection, pk=conn_pk, client=app) if conn_pk else Connection(client=app)
    form = ConnectionForm(request.POST or None, instance=conn, client=app)
    if request.method == "POST" and form.is_valid():
        conn = services.save_object(form=form, actor=request.user)
        return after_save(
            request, conn,
            edit_url=reverse("applications:connection_edit", args=[app.pk, conn.pk]),
            done_url=reverse("applications:connections", args=[app.pk]),
        )
    return render(request, "applications/form.html", {
        "form": form, "app": app, "title": str(conn) if conn_pk else f"New connection of {app}",
        "cancel_url": reverse("applications:connections", args=[app.pk]), "apply": bool(conn_pk),
    })


@operator_required
def connection_delete(request, pk, conn_pk):
    app = application_or_404(pk)
    conn = get_object_or_404(Connection, pk=conn_pk, client=app)
    if request.method == "POST":
        services.delete_object(obj=conn, actor=request.user)
        messages.success(request, f"Deleted connection {conn}.")
        return redirect("applications:connections", app.pk)
    return render(request, "applications/confirm_delete.html", {
        "object": conn, "impact": {}, "cancel_url": reverse("applications:connections", args=[app.pk]),
    })
