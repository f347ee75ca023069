"""Pages of the notifications: channels (Administrators), the delivery log, a user's own subscription
and calendar URL, the calendar feed. Thin: the writes are in ``channels``."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from applications.versioning import EditConflict, posted_version
from cobrowse_admin.access import access_required
from notifications import calendar, channels
from notifications.forms import ChannelForm, SubscriptionForm
from notifications.models import CalendarToken, Channel, Delivery
from notifications.send import delivery_state, email_configured

PAGE_SIZE = 50


@access_required
@require_safe
def channel_list(request):
    return render(request, "notifications/channel_list.html", {
        "channels": Channel.objects.select_related("user").order_by("user_id", "kind", "name", "pk"),
        "email_configured": email_configured(),
    })


@access_required
@require_http_methods(["GET", "HEAD", "POST"])
def channel_edit(request, pk=None):
    channel = get_object_or_404(Channel, pk=pk) if pk else None
    if channel is not None and channel.user_id:
        raise Http404("A user's subscription is edited by that user.")
    conflict = None
    if request.method == "POST":
        form = ChannelForm(request.POST)
        if form.is_valid():
            try:
                saved = channels.save_channel_form(channel=channel, data=form.cleaned_data, actor=request.user,
                                                   expected_version=posted_version(request))
            except channels.ChannelInvalid as invalid:
                form.add_error(invalid.field if invalid.field in form.fields else None, str(invalid))
            except EditConflict as stale:
                conflict = stale
            else:
                messages.success(request, f"Saved the channel {saved.name}.")
                return redirect("notifications:channel_list")
    elif channel:
        form = ChannelForm(initial={"kind": channel.kind, "name": channel.name, "target": channel.target,
                                    "events": channel.events, "enabled": channel.enabled})
    else:
        form = ChannelForm()
    version = channels.channel_version(channel) if channel else ""
    if conflict is not None:
        version = request.POST.get("opened_version", "")
    return render(request, "notifications/channel_form.html", {
        "form": form, "channel": channel, "version": version, "conflict": conflict,
        "reload_url": request.path, "kept": True, "email_configured": email_configured(),
    })


@access_required
@require_http_methods(["GET", "HEAD", "POST"])
def channel_delete(request, pk):
    channel = get_object_or_404(Channel, pk=pk, user__isnull=True)
    conflict = None
    if request.method == "POST":
        try:
            channels.delete_channel(channel=channel, actor=request.user, expected_version=posted_version(request))
        except EditConflict as stale:
            conflict = stale
        else:
            messages.success(request, f"Deleted the channel {channel.name}.")
            return redirect("notifications:channel_list")
    return render(request, "notifications/channel_delete.html", {
        "channel": channel, "version": channels.channel_version(channel), "conflict": conflict,
        "reload_url": request.path, "sent": channel.deliveries.count(),
    })


STATUS_FILTERS = ["pending", "sending", "sent", "failed"]


@access_required
@require_safe
def delivery_list(request):
    deliveries = Delivery.objects.select_related("notice", "channel").order_by("-created_at", "-id")
    status = request.GET.get("status", "")
    if status in STATUS_FILTERS:
        deliveries = deliveries.filter(status=status)
    page = Paginator(deliveries, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    email_ok = email_configured()
    rows = [(d, delivery_state(d, now, email_ok)) for d in page.object_list]
    return render(request, "notifications/delivery_list.html", {
        "page": page, "rows": rows, "status": status, "statuses": STATUS_FILTERS, "email_configured": email_ok,
    })


@access_required
@require_POST
def delivery_retry(request, pk):
    delivery = get_object_or_404(Delivery.objects.select_related("notice", "channel"), pk=pk)
    if channels.retry_delivery(delivery=delivery, actor=request.user):
        messages.success(request, f"Delivery {delivery.pk} will be sent again at the next run.")
    else:
        messages.warning(request, f"Delivery {delivery.pk} is not failed or unconfirmed (any more): nothing to retry.")
    return redirect(request.POST.get("next") if str(request.POST.get("next", "")).startswith("/notifications/")
                    else reverse("notifications:deliveries"))


@access_required
@require_http_methods(["GET", "HEAD", "POST"])
def my_notifications(request):
    subscription = Channel.objects.filter(user=request.user).first()
    new_url = None
    conflict = None
    action = request.POST.get("action", "")
    form = SubscriptionForm(initial={"enabled": bool(subscription and subscription.enabled),
                                     "events": subscription.events if subscription else []})
    if request.method == "POST" and action == "subscribe":
        form = SubscriptionForm(request.POST)
        if form.is_valid():
            try:
                channels.save_subscription(user=request.user, events=list(form.cleaned_data["events"]),
                                           enabled=form.cleaned_data["enabled"],
                                           expected_version=posted_version(request))
            except channels.ChannelInvalid as invalid:
                form.add_error(None, str(invalid))
            except EditConflict as stale:
                conflict = stale
            else:
                messages.success(request, "Saved your notifications.")
                return redirect("notifications:mine")
    elif request.method == "POST" and action == "calendar_new":
        new_url = calendar.feed_url(channels.new_calendar_token(user=request.user))
    elif request.method == "POST" and action == "calendar_revoke":
        if channels.revoke_calendar_token(user=request.user):
            messages.success(request, "Revoked your calendar URL: it no longer works.")
        return redirect("notifications:mine")
    return render(request, "notifications/mine.html", {
        "form": form, "subscription": subscription, "conflict": conflict, "reload_url": request.path, "kept": True,
        # "No subscription yet" has a version too: two tabs cannot both make (or undo) the first one.
        "version": channels.subscription_version(request.user, subscription),
        "calendar": CalendarToken.objects.filter(user=request.user).first(), "new_url": new_url,
        "email_configured": email_configured(),
        "recent": Delivery.objects.filter(channel__user=request.user).select_related("notice")[:10],
    })


@access_required
@require_safe
def calendar_feed(request, token):
    """The feed at the secret URL (no session: calendar programs fetch it). An unknown or revoked token
    is a 404, the same as a URL that never existed."""
    user = channels.user_of_calendar_token(token)
    if user is None:
        raise Http404("No such calendar.")
    response = HttpResponse(calendar.feed(timezone.now()), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="certificate-expiry.ics"'
    response["Cache-Control"] = "private, no-store"
    return response
