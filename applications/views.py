"""Hosts, applications (General tab, create/edit/clone/delete) and the audit pages."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, ProtectedError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST, require_safe

from applications import services
from applications.audit_chain import chain_state
from applications.audit_export import filter_events
from applications.forms import ApplicationFilterForm, ApplicationForm, AuditFilterForm, CloneForm, HostForm
from applications.health import health_of, host_health_of, security_summary
from applications.links import url_for_ids
from applications.models import Application, AppType, AuditEvent, Host, OperatingSystem
from applications.numbers import parse_whole_number
from applications.options import paths_not_fitting_their_host
from applications.pagination import event_page
from applications.queries import (
    CountedApart,
    application_columns,
    application_counts,
    application_page,
    applications_with_flags,
    host_columns,
)
from applications.restart import mark_restarted, pending_changes_now
from applications.sorting import page_query, sort_by
from applications.templatetags.app_health import health_html, plural
from applications.versioning import EditConflict, posted_version
from cobrowse_admin.access import access_required

PAGE_SIZE = 50


def after_save(request, obj, *, edit_url: str, done_url: str):
    """Save → back to the object; Apply → stay on the form, as in Genesys Administrator."""
    if "_apply" in request.POST:
        messages.success(request, f"Applied changes to {obj}.")
        return redirect(edit_url)
    messages.success(request, f"Saved {obj}.")
    return redirect(done_url)


def edit_object(request, obj, form, *, edit_url, done_url, context: dict, on_saved=None,
                template: str = "applications/form.html", reshow=None):
    """The edit page of a host, application, port or connection: GET shows the form with the version
    of the object it shows; POST saves against that version, or shows the conflict banner with the
    operator's entries kept (and the old version, so only a reload can save).

    ``edit_url`` and ``done_url`` are functions of the saved object; ``on_saved(saved)`` adds the
    messages a save of this kind may need. ``reshow(form)``, for a POST with ``_reshow`` (a button
    of a page without its script), gives the form to show again instead of saving: it keeps the
    version posted, so the save that follows is checked against the page first opened."""
    editing = obj.pk is not None
    conflict = None
    version = services.object_version(obj) if editing else ""
    if request.method == "POST" and reshow is not None and "_reshow" in request.POST:
        form = reshow(form)
        version = posted_version(request) if editing else ""
    elif request.method == "POST":
        version = posted_version(request) if editing else ""
        try:
            if editing:
                services.check_version(obj, version)
            if form.is_valid():
                saved = services.save_object(form=form, actor=request.user,
                                             expected_version=version if editing else None,
                                             note=form.cleaned_data.get("note", ""))
                if on_saved is not None:
                    on_saved(saved)
                return after_save(request, saved, edit_url=edit_url(saved), done_url=done_url(saved))
        except EditConflict as exc:
            conflict = exc
    return render(request, template, {
        "form": form, "apply": editing, "opened_version": version, "conflict": conflict, "reload_url": request.path,
        **context,
    })


def delete_object_page(request, obj, *, impact: dict, cancel_url: str, done, blocked: bool = False,
                       on_protected: str = ""):
    """The delete confirmation: GET shows what goes with the object and carries its version; POST
    deletes that version, or shows the banner and the confirmation again as the object is now.

    ``done`` is (message, URL) after the delete; ``on_protected`` the message when what still uses
    the object refuses the delete (``blocked`` says so on the page beforehand)."""
    conflict = None
    if request.method == "POST":
        try:
            services.delete_object(obj=obj, actor=request.user, expected_version=posted_version(request))
        except EditConflict as exc:
            conflict = exc
        except ProtectedError as exc:
            # Something came to depend on it since the page was opened: the page again, naming it.
            messages.error(request, on_protected)
            impact, blocked = {"what still depends on it": sorted(exc.protected_objects, key=str)}, True
        else:
            messages.success(request, done[0])
            return redirect(done[1])
    return render(request, "applications/confirm_delete.html", {
        "object": obj, "impact": impact, "blocked": blocked, "cancel_url": cancel_url,
        "opened_version": services.object_version(obj), "conflict": conflict, "reload_url": request.path,
    })


# Hosts


@access_required
@require_safe
def host_list(request):
    sorting = sort_by(request.GET, host_columns())
    page = Paginator(CountedApart(sorting.apply(Host.objects.all()), Host.objects.all()), PAGE_SIZE).get_page(
        request.GET.get("page"))
    health = host_health_of(page.object_list)
    counts = application_counts(page.object_list)
    detail = url_for_ids("applications:host_detail")  # reversed once, not once a row
    for host in page.object_list:
        host.health = health.get(host.pk)
        host.application_count = counts.get(host.pk, 0)
        host.row_html = mark_safe(host_row_html(host, detail(host.pk)))
    return render(request, "applications/host_list.html", {"page": page, "sorting": sorting,
                                                            "query": page_query(request.GET)})


OPERATING_SYSTEMS = dict(OperatingSystem.choices)


def host_row_html(host: Host, detail_url: str) -> str:
    """A row of the hosts list, character for character what the template loop of
    ``applications/host_list.html`` wrote (the template engine's lookups were most of the page, as on the
    stores and the certificate library). Needs ``health`` and ``application_count``."""
    health = host.health
    if health is None:
        tls = '<span class="text-muted">—</span>'
    elif health.verdict == "not ready":
        tls = (f'<span class="badge text-bg-danger">not ready</span> <span class="text-danger-emphasis">'
               f'{health.not_ready} of {health.judged} application{plural(health.judged)}</span>')
    elif health.verdict == "ready":
        tls = (f'<span class="badge text-bg-success">ready</span> <span class="text-muted">{health.judged} '
               f'application{plural(health.judged)}</span>')
    else:
        tls = '<span class="text-muted">not checked yet</span>'
    verdict = escape(health.verdict) if health is not None else ""
    return (f'\n    <tr><td><a href="{escape(detail_url)}">{escape(host.name)}</a></td>'
            f'<td class="mono">{escape(host.address)}</td>'
            f'<td>{escape(OPERATING_SYSTEMS.get(host.os_type, host.os_type))}</td>'
            f'\n      <td>{host.application_count}</td>'
            f'\n      <td class="small" data-tls="{verdict}">{tls}</td></tr>\n  ')



@access_required
@require_safe
def host_detail(request, pk):
    host = get_object_or_404(Host, pk=pk)
    apps = list(applications_with_flags().filter(host=host).order_by("name"))
    health = health_of(apps)
    for app in apps:
        app.health = health.get(app.pk)
    return render(request, "applications/host_detail.html", {"host": host, "applications": apps,
                                                             "host_options": list(host.options.all())})


def warn_paths_not_fitting(request, applications) -> None:
    """Saved, but a path in the options no longer fits the host: say so (the checks report it too)."""
    for problem in paths_not_fitting_their_host(applications):
        messages.warning(request, f"{problem} A Security officer sets it again on the Security tab.")


@access_required
def host_edit(request, pk=None):
    host = get_object_or_404(Host, pk=pk) if pk else Host()
    form = HostForm(request.POST or None, instance=host)
    cancel = host.get_absolute_url() if host.pk else reverse("applications:host_list")
    return edit_object(request, host, form,
                       edit_url=lambda saved: reverse("applications:host_edit", args=[saved.pk]),
                       done_url=lambda saved: saved.get_absolute_url(),
                       context={"title": f"Edit {host}" if pk else "New host", "cancel_url": cancel},
                       on_saved=lambda saved: warn_paths_not_fitting(
                           request, saved.applications.select_related("host")))


@access_required
def host_delete(request, pk):
    host = get_object_or_404(Host, pk=pk)
    return delete_object_page(
        request, host, impact=services.delete_impact(host), cancel_url=host.get_absolute_url(),
        blocked=host.applications.exists(),
        done=(f"Deleted host {host}.", reverse("applications:host_list")),
        on_protected=f"{host} still runs applications: move or delete them first.",
    )


# Applications


@access_required
@require_safe
def application_list(request):
    form = ApplicationFilterForm(request.GET or None)
    sorting = sort_by(request.GET, application_columns())
    page = application_page(form.cleaned_data if form.is_valid() else None, sorting, request.GET.get("page"),
                            PAGE_SIZE)
    health = health_of(page.object_list)
    detail = url_for_ids("applications:detail")  # reversed once, not once a row
    for app in page.object_list:
        app.health = health.get(app.pk)
        app.row_html = mark_safe(application_row_html(app, detail(app.pk)))
    return render(request, "applications/application_list.html",
                  {"filter_form": form, "page": page, "query": page_query(request.GET), "sorting": sorting})


APPLICATION_TYPES = dict(AppType.choices)


def application_row_html(app: Application, detail_url: str) -> str:
    """A row of the applications list, character for character what the template loop of
    ``applications/application_list.html`` wrote (its lookups, filters and the include of the health for
    each row were most of the page's time, as on the hosts list). Needs ``health``, ``restart_required``
    and the host and cluster joined."""
    host = (app.host.name if app.host_id else "") or "—"
    cluster = app.cluster.name if app.cluster_id else ""
    verdict = escape(app.health.verdict) if app.health is not None else ""
    enabled = "yes" if app.enabled else '<span class="badge text-bg-light border">disabled</span>'
    restart = '<span class="badge badge-restart">restart required</span>' if app.restart_required else ""
    pending = '<span class="badge text-bg-info">validation pending</span>' if app.checks_requested_at else ""
    return (f'\n    <tr class="{"" if app.enabled else "row-disabled"}">'
            f'\n      <td><a href="{escape(detail_url)}">{escape(app.name)}</a></td>'
            f'\n      <td>{escape(APPLICATION_TYPES.get(app.app_type, app.app_type))}</td>'
            f'\n      <td class="mono">{escape(app.version)}</td>'
            f'\n      <td>{escape(host)}</td>'
            f'\n      <td>{escape(cluster)}</td>'
            f'\n      <td class="small text-nowrap" data-tls="{verdict}">{health_html(app.health)}</td>'
            f'\n      <td data-enabled="{"yes" if app.enabled else "no"}">{enabled}</td>'
            f'\n      <td>\n        {restart}\n        {pending}\n      </td>'
            '\n    </tr>\n  ')


def application_or_404(pk) -> Application:
    return get_object_or_404(applications_with_flags(), pk=pk)


@access_required
@require_safe
def application_detail(request, pk):
    return application_detail_page(request, pk)


def application_detail_page(request, pk, *, conflict: EditConflict | None = None):
    app = application_or_404(pk)
    # "Mark as restarted" carries the options revision read with ``app``: the list shown must be of
    # that revision or newer. The saved list lags behind a change whose checks have not run yet.
    pending = pending_changes_now(app) if app.checks_requested_at else app.pending_changes.all()
    # A Cluster's Nodes with their own restart flag: a Cluster is restarted through its Nodes.
    nodes = nodes_with_restart_flags(app) if app.app_type == AppType.COBROWSE_CLUSTER else []
    context = {
        "app": app,
        "tab": "general",
        "pending": pending,
        "nodes": nodes,
        "security": security_summary(app, nodes if app.app_type == AppType.COBROWSE_CLUSTER else None),
        "conflict": conflict,
        "reload_url": app.get_absolute_url(),
    }
    context["nodes_to_restart"] = [node for node in context["nodes"] if node.restart_required]
    return render(request, "applications/detail_general.html", context)


def nodes_with_restart_flags(cluster: Application) -> list[Application]:
    return list(applications_with_flags().filter(cluster=cluster).annotate(
        pending_count=Count("pending_changes")).order_by("name"))


@access_required
def application_edit(request, pk=None):
    app = get_object_or_404(Application, pk=pk) if pk else Application()
    form = ApplicationForm(request.POST or None, instance=app)
    cancel = app.get_absolute_url() if app.pk else reverse("applications:list")
    return edit_object(request, app, form,
                       edit_url=lambda saved: reverse("applications:edit", args=[saved.pk]),
                       done_url=lambda saved: saved.get_absolute_url(),
                       context={"title": f"Edit {app}" if pk else "New application", "cancel_url": cancel},
                       on_saved=lambda saved: warn_paths_not_fitting(request, [saved]))


@access_required
def application_clone(request, pk):
    source = get_object_or_404(Application, pk=pk)
    form = CloneForm(request.POST or None, initial={"name": f"{source.name} (copy)"})
    if request.method == "POST" and form.is_valid():
        left_out = services.options_a_clone_leaves_out(source, request.user)
        clone = services.clone_application(source=source, name=form.cleaned_data["name"], actor=request.user)
        messages.success(request, f"Cloned {source} as {clone} (ports, options and connections copied).")
        if left_out:
            messages.warning(request, f"Not copied: {len(left_out)} option(s) of the security section or secret, "
                                      "which only a Security officer sets (or clones).")
        return redirect(clone)
    return render(request, "applications/form.html", {"form": form, "title": f"Clone {source}",
                                                       "cancel_url": source.get_absolute_url()})


@access_required
def application_delete(request, pk):
    app = get_object_or_404(Application, pk=pk)
    return delete_object_page(request, app, impact=services.delete_impact(app), cancel_url=app.get_absolute_url(),
                              done=(f"Deleted application {app}.", reverse("applications:list")))


@access_required
@require_POST
def application_mark_restarted(request, pk):
    app = get_object_or_404(Application, pk=pk)
    # The options revision whose pending list the page showed: -1 (never current) when missing.
    revision = parse_whole_number(request.POST.get("revision"))
    try:
        mark_restarted(application=app, actor=request.user, expected_revision=-1 if revision is None else revision)
    except EditConflict as conflict:
        return application_detail_page(request, app.pk, conflict=conflict)
    messages.success(request, f"{app} marked as restarted: the pending changes are now what it runs with.")
    return redirect(app)


# Audit


@access_required
@require_safe
def audit_list(request):
    form = AuditFilterForm(request.GET or None)
    events = filter_events(AuditEvent.objects.all(), form.cleaned_data if form.is_valid() else {})
    # Newer / older than an event, not page numbers: no COUNT(*) and no OFFSET over the whole trail.
    page = event_page(events.select_related("application"), before=request.GET.get("before"),
                      after=request.GET.get("after"), size=PAGE_SIZE)
    query = request.GET.copy()
    for key in ("page", "before", "after"):
        query.pop(key, None)
    return render(request, "applications/audit_list.html", {"filter_form": form, "page": page,
                                                              "query": query.urlencode(), "chain": chain_state()})
