"""Dashboard, hosts, applications (General tab, create/edit/clone/delete) and the audit pages."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, ProtectedError, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from applications import services
from applications.forms import ApplicationFilterForm, ApplicationForm, AuditFilterForm, CloneForm, HostForm
from applications.health import health_of
from applications.models import Application, AppType, AuditEvent, Host
from applications.pagination import event_page
from applications.queries import applications_with_flags, filter_applications, restart_required_count, type_counts
from applications.roles import operator_required, viewer_required

PAGE_SIZE = 50


def after_save(request, obj, *, edit_url: str, done_url: str):
    """Save → back to the object; Apply → stay on the form, as in Genesys Administrator."""
    if "_apply" in request.POST:
        messages.success(request, f"Applied changes to {obj}.")
        return redirect(edit_url)
    messages.success(request, f"Saved {obj}.")
    return redirect(done_url)


@viewer_required
@require_safe
def dashboard(request):
    from security.models import Certificate, Finding, TrustedStore

    counts = type_counts()
    context = {
        "host_count": Host.objects.count(),
        "application_count": sum(counts.values()),
        "type_counts": [(label, counts.get(value, 0), value) for value, label in AppType.choices],
        "restart_required_count": restart_required_count(),
        "checks_pending_count": Application.objects.filter(checks_requested_at__isnull=False).count(),
        "certificate_count": Certificate.objects.count(),
        "store_count": TrustedStore.objects.count(),
        "error_count": Finding.objects.filter(severity="error").count(),
        "warning_count": Finding.objects.filter(severity="warning").count(),
        "recent_events": AuditEvent.objects.all()[:8],
    }
    return render(request, "applications/dashboard.html", context)


# Hosts


@viewer_required
@require_safe
def host_list(request):
    hosts = Host.objects.order_by("name")
    page = Paginator(hosts, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "applications/host_list.html", {"page": page})


@viewer_required
@require_safe
def host_detail(request, pk):
    host = get_object_or_404(Host, pk=pk)
    apps = applications_with_flags().filter(host=host)
    return render(request, "applications/host_detail.html", {"host": host, "applications": apps})


@operator_required
def host_edit(request, pk=None):
    host = get_object_or_404(Host, pk=pk) if pk else Host()
    form = HostForm(request.POST or None, instance=host)
    if request.method == "POST" and form.is_valid():
        host = services.save_object(form=form, actor=request.user)
        return after_save(request, host, edit_url=reverse("applications:host_edit", args=[host.pk]),
                          done_url=host.get_absolute_url())
    cancel = host.get_absolute_url() if host.pk else reverse("applications:host_list")
    return render(request, "applications/form.html", {"form": form, "title": f"Edit {host}" if pk else "New host",
                                                       "cancel_url": cancel, "apply": bool(pk)})


@operator_required
def host_delete(request, pk):
    host = get_object_or_404(Host, pk=pk)
    impact = services.delete_impact(host)
    if request.method == "POST":
        try:
            services.delete_object(obj=host, actor=request.user)
        except ProtectedError:
            messages.error(request, f"{host} still runs applications: move or delete them first.")
            return redirect(host.get_absolute_url())
        messages.success(request, f"Deleted host {host}.")
        return redirect("applications:host_list")
    blocked = host.applications.exists()
    return render(request, "applications/confirm_delete.html",
                  {"object": host, "impact": impact, "blocked": blocked, "cancel_url": host.get_absolute_url()})


# Applications


@viewer_required
@require_safe
def application_list(request):
    form = ApplicationFilterForm(request.GET or None)
    apps = applications_with_flags()
    if form.is_valid():
        apps = filter_applications(apps, form.cleaned_data)
    else:
        apps = apps.order_by("name")
    page = Paginator(apps, PAGE_SIZE).get_page(request.GET.get("page"))
    health = health_of(page.object_list)
    for app in page.object_list:
        app.health = health.get(app.pk)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "applications/application_list.html",
                  {"filter_form": form, "page": page, "query": query.urlencode()})


def application_or_404(pk) -> Application:
    return get_object_or_404(applications_with_flags(), pk=pk)


@viewer_required
@require_safe
def application_detail(request, pk):
    app = application_or_404(pk)
    from security.readiness import application_security_summary

    context = {
        "app": app,
        "tab": "general",
        "pending": app.pending_changes.all(),
        # A Cluster's Nodes with their own restart flag: a Cluster is restarted through its Nodes.
        "nodes": nodes_with_restart_flags(app) if app.app_type == AppType.COBROWSE_CLUSTER else [],
        "security": application_security_summary(app),
    }
    context["nodes_to_restart"] = [node for node in context["nodes"] if node.restart_required]
    return render(request, "applications/detail_general.html", context)


def nodes_with_restart_flags(cluster: Application) -> list[Application]:
    return list(applications_with_flags().filter(cluster=cluster).annotate(
        pending_count=Count("pending_changes")).order_by("name"))


@operator_required
def application_edit(request, pk=None):
    app = get_object_or_404(Application, pk=pk) if pk else Application()
    form = ApplicationForm(request.POST or None, instance=app)
    if request.method == "POST" and form.is_valid():
        app = services.save_object(form=form, actor=request.user)
        return after_save(request, app, edit_url=reverse("applications:edit", args=[app.pk]),
                          done_url=app.get_absolute_url())
    cancel = app.get_absolute_url() if app.pk else reverse("applications:list")
    return render(request, "applications/form.html", {"form": form, "title": f"Edit {app}" if pk else "New application",
                                                       "cancel_url": cancel, "apply": bool(pk)})


@operator_required
def application_clone(request, pk):
    source = get_object_or_404(Application, pk=pk)
    form = CloneForm(request.POST or None, initial={"name": f"{source.name} (copy)"})
    if request.method == "POST" and form.is_valid():
        clone = services.clone_application(source=source, name=form.cleaned_data["name"], actor=request.user)
        messages.success(request, f"Cloned {source} as {clone} (ports, options and connections copied).")
        return redirect(clone)
    return render(request, "applications/form.html", {"form": form, "title": f"Clone {source}",
                                                       "cancel_url": source.get_absolute_url()})


@operator_required
def application_delete(request, pk):
    app = get_object_or_404(Application, pk=pk)
    if request.method == "POST":
        services.delete_object(obj=app, actor=request.user)
        messages.success(request, f"Deleted application {app}.")
        return redirect("applications:list")
    return render(request, "applications/confirm_delete.html",
                  {"object": app, "impact": services.delete_impact(app), "cancel_url": app.get_absolute_url()})


@operator_required
@require_POST
def application_mark_restarted(request, pk):
    from applications.restart import mark_restarted

    app = get_object_or_404(Application, pk=pk)
    mark_restarted(application=app, actor=request.user)
    messages.success(request, f"{app} marked as restarted: the pending changes are now what it runs with.")
    return redirect(app)


@viewer_required
@require_safe
def application_history(request, pk):
    app = application_or_404(pk)
    events = Paginator(AuditEvent.objects.filter(application=app), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "applications/detail_history.html", {"app": app, "tab": "history", "page": events})


# Audit


@viewer_required
@require_safe
def audit_list(request):
    form = AuditFilterForm(request.GET or None)
    events = AuditEvent.objects.all()
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            events = events.filter(Q(object_repr__icontains=data["q"]) | Q(message__icontains=data["q"]))
        if data["actor"]:
            events = events.filter(actor_name__icontains=data["actor"])
        if data["object_type"]:
            events = events.filter(object_type=data["object_type"])
        if data["action"]:
            events = events.filter(action=data["action"])
        if data["since"]:
            events = events.filter(at__date__gte=data["since"])
        if data["until"]:
            events = events.filter(at__date__lte=data["until"])
    # Newer / older than an event, not page numbers: no COUNT(*) and no OFFSET over the whole trail.
    page = event_page(events.select_related("application"), before=request.GET.get("before"),
                      after=request.GET.get("after"), size=PAGE_SIZE)
    query = request.GET.copy()
    for key in ("page", "before", "after"):
        query.pop(key, None)
    return render(request, "applications/audit_list.html", {"filter_form": form, "page": page,
                                                              "query": query.urlencode()})
