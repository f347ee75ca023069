"""Notifications over the API, as on the Notifications pages: the channels (Administrators), the
delivery log and its retry, the current user's own subscription and calendar URL.

Every write binds the pages' form (``ChannelForm``, ``SubscriptionForm``) and calls the service the
page calls (``notifications.channels``), so validation, audit events and versions are the page's.
A webhook's secret is write-only: no response, schema example or audit event holds it. A channel's
ETag is ``channels.channel_version``; a retry needs none (the service retries only a delivery that is
failed or unconfirmed at that moment, in one UPDATE).
"""

import django_filters
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from api.concurrency import VersionedObjectMixin, etag, if_match_version
from api.filters import IdFilter
from api.forms import form_data, serializer_for_form, valid_form
from api.problems import Conflict
from api.schema import IF_MATCH
from notifications import calendar, channels
from notifications.forms import ChannelForm, SubscriptionForm
from notifications.models import CalendarToken, Channel, ChannelKind, Delivery, DeliveryStatus, EventKind
from notifications.send import RETRYABLE_STATES, channel_state, delivery_state, email_configured

# --- channels --------------------------------------------------------------------------------------


class NotificationChannelSerializer(serializers.ModelSerializer):
    has_secret = serializers.SerializerMethodField(help_text="A webhook's secret is set (it is never shown).")
    state = serializers.SerializerMethodField(
        help_text='"not configured" for an email channel while EMAIL_HOST is not set (its notices wait), else '
                  '"enabled" or "disabled".')
    events = serializers.ListField(child=serializers.ChoiceField(choices=EventKind.choices), read_only=True,
                                   help_text="The event kinds sent; empty: every kind.")
    subscription_of = serializers.SerializerMethodField(
        help_text="A user's own subscription (changed by that user only): their username; null for the "
                  "Administrators' channels.")

    class Meta:
        model = Channel
        fields = ["id", "kind", "name", "target", "events", "enabled", "has_secret", "state", "subscription_of",
                  "created_at", "updated_at"]
        read_only_fields = fields

    def get_has_secret(self, channel: Channel) -> bool:
        return bool(channel.secret_encrypted)

    def get_state(self, channel: Channel) -> str:
        return channel_state(channel, email_configured())

    def get_subscription_of(self, channel: Channel) -> str | None:
        return channel.user.get_username() if channel.user_id else None


ChannelWrite = serializer_for_form(ChannelForm, "NotificationChannelWrite")


class ChannelFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=ChannelKind.choices)

    class Meta:
        model = Channel
        fields = ["kind"]


def invalid(exc: channels.ChannelInvalid) -> serializers.ValidationError:
    return serializers.ValidationError({exc.field or "non_field_errors": [str(exc)]})


def administrators_channel(channel: Channel) -> Channel:
    if channel.user_id:
        # As on the page: a user's subscription is not an Administrators' channel to edit or delete.
        raise NotFound("This is a user's own subscription: only that user changes it "
                       "(/api/v1/notifications/subscription/).")
    return channel


@extend_schema_view(
    create=extend_schema(request=ChannelWrite, responses={201: NotificationChannelSerializer}),
    update=extend_schema(request=ChannelWrite, parameters=[IF_MATCH],
                         responses={200: NotificationChannelSerializer}),
    partial_update=extend_schema(request=ChannelWrite, parameters=[IF_MATCH],
                                 responses={200: NotificationChannelSerializer}),
    destroy=extend_schema(parameters=[IF_MATCH], responses={204: None}),
)
class ChannelViewSet(VersionedObjectMixin, viewsets.ModelViewSet):
    """Notification channels (Administrators only): email addresses and webhooks, with the event kinds
    each wants (none: every kind). The users' own subscriptions are listed too, read-only here. A
    webhook's ``secret`` is write-only; left out or empty on an update, the current one is kept."""

    serializer_class = NotificationChannelSerializer
    filterset_class = ChannelFilter
    queryset = Channel.objects.select_related("user").order_by("user_id", "kind", "name", "pk")

    def version_of(self, channel: Channel) -> str:
        return channels.channel_version(channel)

    def write(self, channel: Channel | None, *, partial: bool) -> Response:
        sent = ChannelWrite(data=self.request.data, partial=partial)
        sent.is_valid(raise_exception=True)
        version = None
        if channel is not None:
            version = self.expected_version()
            channels.check_channel_version(channel, version)  # a conflict is said before any form error
        form = valid_form(ChannelForm(data=form_data(channel, ChannelForm, dict(sent.validated_data))))
        try:
            saved = channels.save_channel_form(channel=channel, data=form.cleaned_data, actor=self.request.user,
                                               expected_version=version)
        except channels.ChannelInvalid as exc:
            raise invalid(exc) from None
        saved = self.get_queryset().get(pk=saved.pk)
        headers = {"Location": reverse("api:notification-channel-detail", args=[saved.pk])} if channel is None else {}
        response = Response(NotificationChannelSerializer(saved).data, status=201 if channel is None else 200,
                            headers=headers)
        return self.with_etag(response, saved)

    def create(self, request, *args, **kwargs):
        return self.write(None, partial=False)

    def update(self, request, *args, **kwargs):
        return self.write(administrators_channel(self.get_object()), partial=kwargs.get("partial", False))

    def destroy(self, request, *args, **kwargs):
        channel = administrators_channel(self.get_object())
        channels.delete_channel(channel=channel, actor=request.user, expected_version=self.expected_version())
        return Response(status=204)


# --- deliveries ------------------------------------------------------------------------------------


class NotificationDeliveryNoticeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    subject = serializers.CharField()
    created_at = serializers.DateTimeField()


class NotificationDeliveryChannelSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()


class NotificationDeliverySerializer(serializers.ModelSerializer):
    notice = NotificationDeliveryNoticeSerializer(read_only=True)
    channel = NotificationDeliveryChannelSerializer(read_only=True)
    state = serializers.SerializerMethodField(
        help_text='What the log says: the status, or "unconfirmed" (claimed and never recorded: the worker '
                  'stopped while sending) or "held" (an email waiting while EMAIL_HOST is not set).')
    retryable = serializers.SerializerMethodField(help_text="Failed or unconfirmed: an Administrator may retry it.")

    class Meta:
        model = Delivery
        fields = ["id", "notice", "channel", "status", "state", "retryable", "attempts", "next_attempt_at",
                  "claimed_at", "sent_at", "last_error", "created_at"]
        read_only_fields = fields

    def get_state(self, delivery: Delivery) -> str:
        return delivery_state(delivery, self.context.get("now") or timezone.now(), email_configured())

    def get_retryable(self, delivery: Delivery) -> bool:
        return self.get_state(delivery) in RETRYABLE_STATES


class DeliveryFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=DeliveryStatus.choices)
    channel = IdFilter(field_name="channel_id", help_text="A channel's id.")

    class Meta:
        model = Delivery
        fields = ["status", "channel"]


class DeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The delivery log, newest first: every role reads it; an Administrator retries a failed or
    unconfirmed delivery (sent again at the next run, with a fresh count of attempts)."""

    serializer_class = NotificationDeliverySerializer
    filterset_class = DeliveryFilter
    queryset = Delivery.objects.select_related("notice", "channel").order_by("-created_at", "-id")
    lookup_value_regex = "[0-9]{1,18}"

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    @extend_schema(request=None, responses={200: NotificationDeliverySerializer},
                   description="Send a failed or unconfirmed delivery again at the next run (audited, as the log's "
                               "Retry button). 409 when it is neither (any more): sent, pending or being sent.")
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        delivery = self.get_object()
        if not channels.retry_delivery(delivery=delivery, actor=request.user):
            raise Conflict(f"Delivery {delivery.pk} is not failed or unconfirmed (any more): nothing to retry.")
        return Response(self.get_serializer(self.get_queryset().get(pk=delivery.pk)).data)


# --- the current user's subscription and calendar URL ----------------------------------------------


class NotificationSubscriptionSerializer(serializers.Serializer):
    subscribed = serializers.BooleanField(help_text="You have a subscription (enabled or not).")
    enabled = serializers.BooleanField(help_text="Notices of the chosen kinds are emailed to you.")
    events = serializers.ListField(child=serializers.ChoiceField(choices=EventKind.choices),
                                   help_text="Event kinds; empty: every kind.")
    address = serializers.CharField(allow_null=True, help_text="Your account's email address (null: none).")
    email_configured = serializers.BooleanField(help_text="False: EMAIL_HOST is not set; your notices wait.")


SubscriptionWrite = serializer_for_form(SubscriptionForm, "NotificationSubscriptionWrite")


def subscription_of(user) -> Channel | None:
    return Channel.objects.filter(user=user).first()


def subscription_response(user) -> Response:
    subscription = subscription_of(user)
    response = Response({
        "subscribed": subscription is not None,
        "enabled": bool(subscription and subscription.enabled),
        "events": subscription.events if subscription else [],
        "address": user.email or None,
        "email_configured": email_configured(),
    })
    response["ETag"] = etag(channels.subscription_version(user, subscription))
    return response


class SubscriptionView(APIView):
    """Your own notifications (My notifications): notices of the kinds you choose, emailed to your
    account's address."""

    @extend_schema(responses={200: NotificationSubscriptionSerializer})
    def get(self, request):
        return subscription_response(request.user)

    @extend_schema(request=SubscriptionWrite, parameters=[IF_MATCH],
                   responses={200: NotificationSubscriptionSerializer},
                   description="Set whether notices are emailed to you and of which kinds (a field left out keeps "
                               "its value). Needs an email address on your account (400 without).")
    def put(self, request):
        sent = SubscriptionWrite(data=request.data)
        sent.is_valid(raise_exception=True)
        expected = if_match_version(request)
        subscription = subscription_of(request.user)
        if subscription is not None:
            channels.check_channel_version(subscription, expected)  # a conflict is said before any form error
        current = {"enabled": bool(subscription and subscription.enabled),
                   "events": subscription.events if subscription else []}
        form = valid_form(SubscriptionForm(data={**current, **sent.validated_data}))
        try:
            channels.save_subscription(user=request.user, events=list(form.cleaned_data["events"]),
                                       enabled=form.cleaned_data["enabled"], expected_version=expected)
        except channels.ChannelInvalid as exc:
            raise invalid(exc) from None
        return subscription_response(request.user)


class NotificationCalendarSerializer(serializers.Serializer):
    active = serializers.BooleanField(help_text="You have a calendar URL (it is never shown again).")
    prefix = serializers.CharField(allow_null=True, help_text="The first characters of its token, to recognise it.")
    created_at = serializers.DateTimeField(allow_null=True)
    last_used_at = serializers.DateTimeField(allow_null=True)


class NewNotificationCalendarSerializer(serializers.Serializer):
    url = serializers.CharField(help_text="The secret .ics address: shown this once (only its digest is kept).")
    prefix = serializers.CharField()
    created_at = serializers.DateTimeField()


class CalendarView(APIView):
    """Your calendar feed of the watched certificates' effective expiry dates (RFC 5545, a reminder per
    tier), at a secret URL that needs no login."""

    @extend_schema(responses={200: NotificationCalendarSerializer})
    def get(self, request):
        token = CalendarToken.objects.filter(user=request.user).first()
        return Response({"active": token is not None, "prefix": token.prefix if token else None,
                         "created_at": token.created_at if token else None,
                         "last_used_at": token.last_used_at if token else None})

    @extend_schema(request=None, responses={201: NewNotificationCalendarSerializer},
                   description="A new secret calendar URL, answered this once; the previous one stops working.")
    def post(self, request):
        token = channels.new_calendar_token(user=request.user)
        made = CalendarToken.objects.get(user=request.user)
        response = Response({"url": calendar.feed_url(token), "prefix": made.prefix, "created_at": made.created_at},
                            status=201)
        response["Cache-Control"] = "no-store"  # the URL is the secret: no copy in any cache
        return response

    @extend_schema(request=None, responses={204: None}, description="Revoke your calendar URL: it stops working "
                   "at once. 404 when you have none.")
    def delete(self, request):
        if not channels.revoke_calendar_token(user=request.user):
            raise NotFound("You have no calendar URL to revoke.")
        return Response(status=204)
