"""The History tab: versions of an application's configuration, compare, revert, and event → version.

Listing reads no snapshot (``defer``); a compare reads the two snapshots it shows. Both take a fixed
number of queries however long the history is.
"""

from collections.abc import Callable

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from applications import history, revert, snapshots
from applications.forms import WhyForm
from applications.models import Application, ApplicationVersion, AuditEvent
from applications.numbers import parse_whole_number
from applications.options import OptionsInvalid
from applications.roles import OPERATOR, has_role
from applications.text import quoted
from applications.versioning import EditConflict
from applications.views import PAGE_SIZE, application_or_404
from cobrowse_admin.access import access_required

LISTED = ("id", "application_id", "number", "at", "actor_name", "source", "note", "summary")


def versions_of(app: Application):
    return ApplicationVersion.objects.filter(application=app).only(*LISTED).order_by("-number")


@access_required
@require_safe
def application_history(request, pk):
    app = application_or_404(pk)
    page = Paginator(versions_of(app), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "applications/history.html", {
        "app": app, "tab": "history", "page": page, "may_revert": has_role(request.user, OPERATOR),
        # The rows' links are this prefix and a number: fifty rows, no URL resolving per link.
        "base": reverse("applications:history", args=[app.pk]),
        "latest": page.object_list[0].number if page.number == 1 and page.object_list else None,
        # Offered to compare with: the other Nodes of its Cluster (a Cluster: its Nodes); any other by name.
        "others": related_applications(app),
    })


def related_applications(app: Application) -> list[tuple[int, str]]:
    if app.cluster_id:
        related = Application.objects.filter(cluster_id=app.cluster_id).exclude(pk=app.pk)
    else:
        related = Application.objects.filter(cluster_id=app.pk)
    return list(related.order_by("name").values_list("pk", "name")[:50])


@access_required
@require_safe
def application_events(request, pk):
    """The audit events of the application (what the History tab showed before versions)."""
    app = application_or_404(pk)
    events = Paginator(AuditEvent.objects.filter(application=app), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "applications/detail_history.html", {"app": app, "tab": "history", "page": events})


def side(app: Application, number_text: str | None) -> tuple[str, dict] | None:
    """(label, display groups) of ``app`` at version ``number_text``, or as it is now ("current" or
    empty); None when that version does not exist."""
    if not number_text or number_text == "current":
        return f"{app.name} now", history.display_groups(history.application_snapshot(app))
    number = parse_whole_number(number_text)
    version = (ApplicationVersion.objects.filter(application=app, number=number).only("number", "snapshot").first()
               if number is not None else None)
    if version is None:
        return None
    return f"{app.name} version {version.number}", history.display_groups(version.snapshot)


@access_required
@require_safe
def application_compare(request, pk):
    """``a`` and ``b``: version numbers (or "current") of this application; ``other``: compare ``b``
    of another application instead (two Nodes of a Cluster, drift)."""
    app = application_or_404(pk)
    other = app
    other_id = parse_whole_number(request.GET.get("other"))
    other_name = (request.GET.get("other_name") or "").strip()
    if other_name:
        other = Application.objects.filter(name=other_name).first()
        if other is None:
            messages.error(request, f"No application is named {quoted(other_name)}.")
            return redirect("applications:history", app.pk)
    elif other_id is not None and other_id != app.pk:
        other = get_object_or_404(Application, pk=other_id)
    left, right = side(app, request.GET.get("a")), side(other, request.GET.get("b"))
    if left is None or right is None:
        messages.error(request, "That version does not exist: choose a version number from the list.")
        return redirect("applications:history", app.pk)
    show_all = request.GET.get("all") == "1"
    query = request.GET.copy()
    query["all"] = "0" if show_all else "1"
    return render(request, "applications/compare.html", {
        "app": app, "tab": "history", "left": left[0], "right": right[0],
        "groups": snapshots.compare(left[1], right[1], show_all=show_all), "show_all": show_all,
        "toggle_query": query.urlencode(), "back_url": reverse("applications:history", args=[app.pk]),
    })


@access_required
@require_safe
def application_version(request, pk, number):
    """One version: what it changed from the one before."""
    app = application_or_404(pk)
    version = get_object_or_404(ApplicationVersion, application=app, number=number)
    before = ApplicationVersion.objects.filter(application=app, number=number - 1).only("snapshot").first()
    groups = snapshots.compare(history.display_groups(before.snapshot) if before else {},
                               history.display_groups(version.snapshot), show_all=before is None)
    return render(request, "applications/compare.html", {
        "app": app, "tab": "history", "version": version, "groups": groups, "show_all": before is None,
        "left": f"version {number - 1}" if before else "(nothing before)", "right": f"version {number}",
        "back_url": reverse("applications:history", args=[app.pk]),
        "may_revert": has_role(request.user, OPERATOR),
    })


@access_required
@require_http_methods(["GET", "HEAD", "POST"])
def application_revert(request, pk, number):
    """GET: the preview (changes, restart, TLS verdict); POST: the revert, as a new version."""
    app = application_or_404(pk)
    target = get_object_or_404(ApplicationVersion, application=app, number=number)
    form = WhyForm(request.POST or None)
    conflict, refused = None, ""
    if request.method == "POST" and form.is_valid():
        expected = parse_whole_number(request.POST.get("latest"))
        try:
            done = revert.revert_application(application=app, to=number, actor=request.user, note=form.note,
                                             expected_number=-1 if expected is None else expected)
        except EditConflict as exc:
            conflict = exc
        except (revert.RevertRefused, OptionsInvalid) as exc:
            refused = str(exc)
        else:
            if done is None:
                messages.info(request, f"{app.name} already is as in version {number}: nothing to revert.")
            else:
                messages.success(request, f"Reverted {app.name} to version {number}: now version {done.number}.")
            return redirect("applications:history", app.pk)
    plan = revert.revert_plan(app, target)
    return render(request, "applications/revert.html", {
        "app": app, "tab": "history", "plan": plan, "form": form, "conflict": conflict, "refused": refused,
        "verdict": revert.preview_verdict(app, number) if not plan.changes_nothing else None,
        "reload_url": request.path,
    })


# Audit event → the version it belongs to. Store events are resolved by the security app.
EventResolver = Callable[[AuditEvent], str | None]
_resolvers: list[EventResolver] = []


def register_event_resolver(resolver: EventResolver) -> None:
    if resolver not in _resolvers:
        _resolvers.append(resolver)


def application_event_url(event: AuditEvent) -> str | None:
    if not event.application_id:
        return None
    version = (ApplicationVersion.objects.filter(application_id=event.application_id, last_event_id__gte=event.id)
               .order_by("number").values_list("number", flat=True).first())
    if version is None:
        return None
    return reverse("applications:version", args=[event.application_id, version])


@access_required
@require_safe
def event_version(request, event_id):
    event = get_object_or_404(AuditEvent, pk=event_id)
    for resolve in [application_event_url, *_resolvers]:
        url = resolve(event)
        if url:
            return redirect(url)
    if event.application_id:
        messages.info(request, "That event changed no version of the configuration (a refused attempt, a restart, "
                               "a check): the versions are listed here.")
        return redirect("applications:history", event.application_id)
    raise Http404("This event is about nothing that has versions.")
