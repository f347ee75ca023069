"""History of a trusted store: its versions, compare, revert (Security officer), event → version."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from applications import snapshots
from applications.forms import WhyForm
from applications.numbers import parse_whole_number
from applications.roles import SECURITY_OFFICER, has_role
from applications.versioning import EditConflict
from cobrowse_admin.access import access_required
from security import store_history
from security.models import StoreVersion, TrustedStore
from security.views_library import follow_store_in_applications

PAGE_SIZE = 50
LISTED = ("id", "store_id", "number", "at", "actor_name", "source", "note", "summary")


@access_required
@require_safe
def store_history_page(request, pk):
    store = get_object_or_404(TrustedStore, pk=pk)
    versions = StoreVersion.objects.filter(store=store).only(*LISTED).order_by("-number")
    page = Paginator(versions, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "security/store_history.html", {
        "store": store, "page": page, "may_revert": has_role(request.user, SECURITY_OFFICER),
        "latest": page.object_list[0].number if page.number == 1 and page.object_list else None,
    })


def side(store: TrustedStore, text: str | None) -> tuple[str, dict] | None:
    if not text or text == "current":
        return f"{store.name} now", store_history.display_groups(store_history.store_snapshot(store))
    number = parse_whole_number(text)
    version = (StoreVersion.objects.filter(store=store, number=number).only("number", "snapshot").first()
               if number is not None else None)
    if version is None:
        return None
    return f"version {version.number}", store_history.display_groups(version.snapshot)


@access_required
@require_safe
def store_compare(request, pk):
    store = get_object_or_404(TrustedStore, pk=pk)
    left, right = side(store, request.GET.get("a")), side(store, request.GET.get("b"))
    if left is None or right is None:
        messages.error(request, "That version does not exist: choose a version number from the list.")
        return redirect("security:store_history", store.pk)
    show_all = request.GET.get("all") == "1"
    query = request.GET.copy()
    query["all"] = "0" if show_all else "1"
    return render(request, "security/store_compare.html", {
        "store": store, "left": left[0], "right": right[0], "show_all": show_all, "toggle_query": query.urlencode(),
        "groups": snapshots.compare(left[1], right[1], show_all=show_all),
    })


@access_required
@require_http_methods(["GET", "HEAD", "POST"])
def store_revert(request, pk, number):
    store = get_object_or_404(TrustedStore, pk=pk)
    target = get_object_or_404(StoreVersion, store=store, number=number)
    form = WhyForm(request.POST or None)
    conflict, refused = None, ""
    if request.method == "POST" and form.is_valid():
        expected = parse_whole_number(request.POST.get("latest"))
        try:
            done = store_history.revert_store(store=store, to=number, actor=request.user, note=form.note,
                                              expected_number=-1 if expected is None else expected)
        except EditConflict as exc:
            conflict = exc
        except store_history.StoreRevertRefused as exc:
            refused = str(exc)
        else:
            if done is None:
                messages.info(request, f"{store.name} already is as in version {number}: nothing to revert.")
            else:
                messages.success(request, f"Reverted {store.name} to version {number}: now version {done.number}.")
                # As after a form save: the applications set from the store take its path and password.
                follow_store_in_applications(request, TrustedStore.objects.get(pk=store.pk))
            return redirect("security:store_history", store.pk)
    current = store_history.store_snapshot(store)
    latest = StoreVersion.objects.filter(store=store).order_by("-number").values_list("number", flat=True).first()
    return render(request, "security/store_revert.html", {
        "store": store, "target": target, "form": form, "conflict": conflict, "refused": refused,
        "preview": revert_impact(store, target),
        "latest": latest or 0, "reload_url": request.path,
        "groups": snapshots.compare(store_history.display_groups(current),
                                    store_history.display_groups(target.snapshot)),
    })


def revert_impact(store: TrustedStore, target: StoreVersion):
    """The impact preview of putting the version's certificates back (those still in the library)."""
    from security.impact import store_impact
    from security.models import Certificate

    ids = [m["id"] for m in target.snapshot.get("members") or []]
    found = Certificate.objects.in_bulk(ids)
    return store_impact(store, [found[pk] for pk in ids if pk in found])


def store_event_url(event) -> str | None:
    """The store version an audit event about a store belongs to (``applications.views_history``)."""
    if event.object_type != "store" or not (event.object_id or "").isdigit():
        return None
    number = (StoreVersion.objects.filter(store_id=int(event.object_id), last_event_id__gte=event.id)
              .order_by("number").values_list("number", flat=True).first())
    if number is None:
        return None
    return reverse("security:store_compare", args=[int(event.object_id)]) + f"?a={max(number - 1, 1)}&b={number}"
