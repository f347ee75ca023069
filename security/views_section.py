"""The Security tab of a Co-browse application (R1, R4) and cluster-wide apply. setenv (R3): views_setenv."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from applications.models import Application, AppType
from applications.numbers import parse_whole_number
from applications.options import OptionsInvalid, StaleEdit
from applications.roles import (
    SECURITY_OFFICER,
    has_role,
)
from applications.versions import at_least
from applications.views import application_or_404
from cobrowse_admin.access import access_required
from security.forms_section import SecuritySectionForm
from security.rules import V_8_5_001
from security.section import (
    SECTION,
    SectionRefused,
    cluster_apply,
    nodes_badge,
    nodes_identical,
    placement_for,
    section_state,
    security_section_set,
)

NODE_LIST = "cobrowse_node"
SERVER_LIST = "cobrowse_server"


def cobrowse_or_404(pk) -> Application:
    app = application_or_404(pk)
    if not app.is_cobrowse:
        raise Http404("Only Co-browse applications have a Co-browse security section.")
    return app


def list_url(app_type: str) -> str:
    return f"{reverse('applications:list')}?app_type={app_type}"


def section_instead(app: Application) -> list[tuple[str, str]]:
    """(label, URL) of the objects R1 says hold the section when this one may not."""
    placement = placement_for(app)
    if placement.allowed:
        return []
    if app.app_type == AppType.COBROWSE_CLUSTER:
        nodes = [(f"{n.name} (Node {n.version})", reverse("security:section", args=[n.pk]))
                 for n in app.nodes.order_by("name")]
        return nodes or [("Co-browse Nodes (this Cluster has none yet)", list_url(NODE_LIST))]
    if app.app_type == AppType.COBROWSE_SERVER:
        return [("Co-browse Node applications", list_url(NODE_LIST))]
    return [("Co-browse Server applications", list_url(SERVER_LIST))]


def has_nodes_to_apply(app: Application) -> bool:
    return app.app_type == AppType.COBROWSE_CLUSTER and at_least(app.version, V_8_5_001)


def cluster_rows(cluster: Application) -> list[dict]:
    return [{"node": node, "state": section_state(node)}
            for node in cluster.nodes.select_related("host").order_by("name")]


def section_context(app: Application) -> dict:
    placement = placement_for(app)
    context = {
        "app": app,
        "tab": "security",
        "placement": placement,
        "instead": section_instead(app),
        "state": section_state(app),
        "pending": app.pending_changes.filter(section=SECTION),
        "cluster_apply": has_nodes_to_apply(app),
    }
    if context["cluster_apply"]:
        rows = cluster_rows(app)
        context["node_rows"] = rows
        context["nodes_identical"] = nodes_identical([r["state"] for r in rows])
        context["nodes_badge"] = nodes_badge([r["state"] for r in rows],
                                             context["state"] if placement.allowed else None)
    if app.app_type == AppType.COBROWSE_NODE and app.cluster and placement_for(app.cluster).allowed:
        cluster_state = section_state(app.cluster)
        if cluster_state.is_set:
            context["cluster_state"] = cluster_state
    return context


@access_required
@require_http_methods(["GET", "HEAD", "POST"])
def section(request, pk):
    app = cobrowse_or_404(pk)
    may_edit = has_role(request.user, SECURITY_OFFICER)  # the form or a read-only view (a POST needs it)
    placement = placement_for(app)
    form, conflict, revision, preview = None, None, app.options_revision, None
    if request.method == "POST":
        if not placement.allowed:
            messages.error(request, f"Nothing was saved: {placement.reason}")
            return redirect("security:section", app.pk)
        form = SecuritySectionForm(request.POST, application=app)
        revision = request.POST.get("revision", "")
        if form.is_valid() and app.options_revision == expected_revision(revision):
            # Before any save, the connections the switch of store would cost (or give) trust: confirmed
            # once for this very choice; a stale page gets the conflict below, never a preview.
            preview = section_preview(request, app, form, revision)
        if form.is_valid() and preview is None:
            data = form.cleaned_data
            try:
                changed = security_section_set(
                    application=app, provider=data["provider"], store=data["store"], typed_path=data["typed_path"],
                    actor=request.user, expected_revision=expected_revision(revision), note=form.note,
                )
            except StaleEdit as stale:
                conflict = stale
            except SectionRefused as refused:
                form.add_refusal(refused)
            except OptionsInvalid as invalid:
                form.add_error(None, f"Nothing was saved: {invalid}")
            else:
                return after_section_save(request, app, changed, typed=bool(data["typed_path"]))
    elif placement.allowed and may_edit:
        state = section_state(app)
        form = SecuritySectionForm(application=app, initial=SecuritySectionForm.initial_for(
            state.provider, state.trusted_ca, state.store))
    context = section_context(app)
    context.update({"form": form, "conflict": conflict, "revision": revision, "preview": preview,
                    "impact_seen": section_impact_key(revision, form) if preview else ""})
    return render(request, "security/section.html", context)


def section_impact_key(revision: str, form: SecuritySectionForm) -> str:
    """What the officer confirmed: the options revision and the provider, store and path chosen."""
    import hashlib

    data = form.cleaned_data
    store = data.get("store")
    chosen = f"{revision}|{data.get('provider')}|{store.pk if store else ''}|{data.get('typed_path', '')}"
    return hashlib.sha256(chosen.encode()).hexdigest()[:32]


def section_preview(request, app: Application, form: SecuritySectionForm, revision: str):
    """The impact preview of the section about to be saved, when a connection of the application would
    lose or gain trust (from the chains its probes saw) and this choice has not been confirmed yet; else None."""
    from security.impact import section_impact

    if request.POST.get("impact_seen") == section_impact_key(revision, form):
        return None
    data = form.cleaned_data
    preview = section_impact(app, provider=data["provider"], store=data.get("store"),
                             typed_path=data.get("typed_path", ""))
    # Only a loss or gain the probes prove stops the save: a section set on an estate not probed yet saves
    # as before (its connections would all be "not probed — unknown").
    return preview if preview is not None and (preview.impact.lost or preview.impact.gained) else None


def after_section_save(request, app: Application, changed: int, *, typed: bool):
    if changed:
        messages.success(request, f"Saved the security section of {app.name}: {changed} option(s) changed. "
                                  "They take effect after the server is restarted.")
    else:
        messages.info(request, "No changes to save.")
    if typed:
        messages.warning(request, "The path was typed: the console cannot check that the file exists on the host "
                                  "or what it holds.")
    if "_apply" in request.POST:
        return redirect("security:section", app.pk)
    return redirect(app)


def revisions_field(rows: list[dict]) -> str:
    return ",".join(f"{r['node'].pk}:{r['node'].options_revision}" for r in rows)


def expected_revision(text: str) -> int:
    """The options revision the form was opened at; -1 (always stale) when missing or garbled."""
    revision = parse_whole_number(text)
    return -1 if revision is None else revision


def parse_revisions(text: str) -> dict[int, int]:
    revisions = {}
    for part in (text or "").split(","):
        node_text, _, revision_text = part.partition(":")
        node_id, revision = parse_whole_number(node_text), parse_whole_number(revision_text)
        if node_id is not None and revision is not None:
            revisions[node_id] = revision
    return revisions


@access_required
@require_http_methods(["GET", "HEAD", "POST"])
def section_cluster(request, pk):
    app = cobrowse_or_404(pk)
    if not has_nodes_to_apply(app):
        raise Http404("Only a Co-browse Cluster (8.5.001+) has Nodes to apply a security section to.")
    rows = cluster_rows(app)
    conflict = None
    if request.method == "POST":
        form = SecuritySectionForm(request.POST)
        shown = parse_revisions(request.POST.get("revisions", ""))
        if set(shown) != {r["node"].pk for r in rows}:
            form.is_valid()
            form.add_error(None, "The Nodes of this Cluster changed since you opened the page: check the list "
                                 "below and apply again.")
        elif form.is_valid():
            data = form.cleaned_data
            try:
                results = cluster_apply(cluster=app, provider=data["provider"], store=data["store"],
                                        typed_path=data["typed_path"], actor=request.user, expected_revisions=shown,
                                        note=form.note)
            except StaleEdit as stale:
                conflict = stale
            except SectionRefused as refused:
                form.add_refusal(refused)
            except OptionsInvalid as invalid:
                form.add_error(None, f"Nothing was applied: {invalid}")
            else:
                changed = sum(n for _node, n in results)
                messages.success(request, f"Applied the security section to the {len(results)} Node(s) of "
                                          f"{app.name}: {changed} option(s) changed. They take effect after each "
                                          "Node is restarted.")
                if data["typed_path"]:
                    messages.warning(request, "The path was typed: the console cannot check that the file exists "
                                              "on the hosts.")
                return redirect("security:section", app.pk)
    else:
        states = [r["state"] for r in rows]
        initial = {}
        if states and nodes_identical(states):
            initial = SecuritySectionForm.initial_for(states[0].provider, states[0].trusted_ca, states[0].store)
        form = SecuritySectionForm(initial=initial)
    return render(request, "security/section_cluster.html", {
        "app": app, "tab": "security", "form": form, "node_rows": rows, "conflict": conflict,
        "revisions": revisions_field(rows), "nodes_identical": nodes_identical([r["state"] for r in rows]),
        "nodes_badge": nodes_badge([r["state"] for r in rows],
                                   section_state(app) if placement_for(app).allowed else None),
        "windows_nodes": [r["node"] for r in rows if r["node"].host and r["node"].host.is_windows],
    })
