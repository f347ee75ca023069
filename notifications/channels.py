"""Writes of channels, subscriptions and calendar tokens: each in a transaction with its audit event.
A webhook's secret is stored encrypted and audited only as "changed"; an edit carries the version
the form was opened on (``applications.versioning``) and changes nothing when the channel changed since.
"""

from __future__ import annotations

import hashlib
import secrets
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from applications import audit, versioning
from cobrowse_admin import secret_box
from notifications.models import EVENT_KINDS, CalendarToken, Channel, ChannelKind, Delivery

OBJECT_TYPE = "notification_channel"
AUDITED = ["kind", "name", "target", "events", "enabled"]
CALENDAR_PREFIX = "cal_"


class ChannelInvalid(ValueError):
    """One line saying what is wrong with the input (forms and commands show it as is); ``field``: the
    form field it is about."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def parse_events(text: str | list | None) -> list[str]:
    """``"expiry,readiness"`` (or a list) → the kinds, in their own order; empty: every kind."""
    if text is None:
        return []
    items = text if isinstance(text, list) else [p for p in text.replace(" ", ",").split(",")]
    items = [i.strip() for i in items if i and i.strip()]
    unknown = [i for i in items if i not in EVENT_KINDS]
    if unknown:
        raise ChannelInvalid(f"unknown event kind(s) {', '.join(unknown)}; known: {', '.join(EVENT_KINDS)}",
                             "events")
    return [k for k in EVENT_KINDS if k in items]


def check_target(kind: str, target: str) -> str:
    target = (target or "").strip()
    if kind == ChannelKind.EMAIL:
        try:
            EmailValidator()(target)
        except ValidationError:
            raise ChannelInvalid(f"{target!r} is not an email address", "target") from None
        return target
    if kind == ChannelKind.WEBHOOK:
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ChannelInvalid(f"{target!r} is not an http:// or https:// URL", "target")
        if len(target) > 1000:
            raise ChannelInvalid("the URL is longer than 1000 characters", "target")
        return target
    raise ChannelInvalid(f"unknown channel kind {kind!r}; use email or webhook", "kind")


def check_secret(secret: str) -> str:
    secret = (secret or "").strip()
    if len(secret) < 16:
        raise ChannelInvalid("the webhook secret must be at least 16 characters", "secret")
    if len(secret) > 1000:
        raise ChannelInvalid("the webhook secret is longer than 1000 characters", "secret")
    return secret


def state(channel: Channel) -> dict:
    values = versioning.column_state(channel, AUDITED)
    secret = secret_box.decrypt(channel.secret_encrypted) if channel.secret_encrypted else ""
    values["secret"] = secret_box.digest(secret) if secret else ""
    return values


def channel_version(channel: Channel) -> str:
    return versioning.version(state(channel), versioning.about(OBJECT_TYPE, channel.pk))


def check_channel_version(channel: Channel, expected_version: str | None) -> None:
    """``EditConflict`` unless ``channel`` (as loaded) is the version the form or the API client read.
    The API asks first, so a conflict is said before any form error; the writes ask again under the lock."""
    versioning.check(expected=expected_version, state=state(channel),
                     events_about=versioning.about(OBJECT_TYPE, channel.pk), what=f"the channel {channel.name}")


def snapshot(channel: Channel) -> dict:
    return {name: getattr(channel, name) for name in AUDITED}


@transaction.atomic
def save_channel(*, channel: Channel, actor, secret: str | None = None, expected_version: str | None = None) -> Channel:
    """Create or update ``channel`` (fields set on it). ``secret`` None keeps the webhook's secret.
    ``ChannelInvalid`` or ``versioning.EditConflict``: nothing saved."""
    creating = channel.pk is None
    before = {}
    if not creating:
        stored = Channel.objects.select_for_update().get(pk=channel.pk)
        check_channel_version(stored, expected_version)
        before = snapshot(stored)
        channel.secret_encrypted = stored.secret_encrypted
    channel.name = (channel.name or "").strip()[:100] or channel.target[:100]
    channel.target = check_target(channel.kind, channel.target)
    channel.events = parse_events(channel.events)
    changed_secret = False
    if channel.kind == ChannelKind.WEBHOOK:
        if secret is not None and secret != "":
            secret = check_secret(secret)
            changed_secret = secret != secret_box.decrypt(channel.secret_encrypted)
            channel.secret_encrypted = secret_box.encrypt(secret)
        elif not channel.secret_encrypted:
            raise ChannelInvalid("a webhook needs a secret (its requests are signed with it)", "secret")
    else:
        channel.secret_encrypted = ""
    channel.save()
    changes = audit.field_changes(before, snapshot(channel))
    if changed_secret:
        changes["secret"] = [None, audit.SECRET_CHANGED]
    if creating or changes:
        audit.record(actor=actor, action="create" if creating else "update", object_type=OBJECT_TYPE, obj=channel,
                     changes=changes)
    return channel


def save_channel_form(*, channel: Channel | None, data: dict, actor, expected_version: str | None = None) -> Channel:
    """Create (``channel`` None) or change an Administrators' channel from the channel form's cleaned
    ``data``: the page and the API. An empty secret keeps the webhook's current one."""
    target = channel or Channel()
    target.kind, target.name, target.target = data["kind"], data["name"], data["target"]
    target.events, target.enabled = list(data["events"]), data["enabled"]
    return save_channel(channel=target, actor=actor, secret=data["secret"] or None,
                        expected_version=expected_version if channel else None)


@transaction.atomic
def delete_channel(*, channel: Channel, actor, expected_version: str | None = None) -> None:
    stored = Channel.objects.select_for_update().get(pk=channel.pk)
    check_channel_version(stored, expected_version)
    name = stored.name
    changes = {k: [v, None] for k, v in snapshot(stored).items()}
    stored.delete()
    audit.record(actor=actor, action="delete", object_type=OBJECT_TYPE, object_repr=name, changes=changes)


# What a user who never subscribed has: its version lets the API refuse a first subscription sent by a
# client that read the state before another session of the same user made one.
NO_SUBSCRIPTION: dict = {"subscribed": False}


def subscription_about(user) -> Q:
    return versioning.about("notification_subscription", user.pk)


def subscription_version(user, subscription: Channel | None) -> str:
    if subscription is not None:
        return channel_version(subscription)
    return versioning.version(NO_SUBSCRIPTION, subscription_about(user))


@transaction.atomic
def save_subscription(*, user, events: list[str], enabled: bool, expected_version: str | None = None) -> Channel | None:
    """The user's own email channel: their address, the kinds they chose. ``ChannelInvalid`` without an
    address on their account; ``EditConflict`` when ``expected_version`` is not what the user has now
    (``subscription_version``; None: unconditional)."""
    # The user's row is the lock: two first subscriptions at once would both find no channel to lock.
    list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))
    existing = Channel.objects.select_for_update().filter(user=user).first()
    if existing is None:
        versioning.check(expected=expected_version, state=NO_SUBSCRIPTION, events_about=subscription_about(user),
                         what="your notifications")
    if existing is None and not enabled:
        return None
    if not user.email:
        raise ChannelInvalid("your account has no email address: ask an Administrator to set one")
    channel = existing or Channel(kind=ChannelKind.EMAIL, user=user)
    channel.name = f"{user.get_username()} (subscription)"
    channel.target = user.email
    channel.events = events
    channel.enabled = enabled
    return save_channel(channel=channel, actor=user, expected_version=expected_version)


def retry_delivery(*, delivery: Delivery, actor) -> bool:
    from notifications import send

    with transaction.atomic():
        done = send.retry(delivery)
        if done:
            audit.record(actor=actor, action="retry", object_type="notification_delivery", obj=delivery,
                         object_repr=f"{delivery.notice.subject[:200]} → {delivery.channel.name}")
    return done


# --- calendar tokens ---------------------------------------------------------------------------


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@transaction.atomic
def new_calendar_token(*, user) -> str:
    """A new secret calendar URL token for ``user`` (the old one stops working); shown once."""
    token = CALENDAR_PREFIX + secrets.token_urlsafe(32)
    CalendarToken.objects.filter(user=user).delete()
    CalendarToken.objects.create(user=user, digest=token_digest(token), prefix=token[:12])
    audit.record(actor=user, action="create", object_type="calendar_token", object_repr=f"{token[:12]}…",
                 message=f"Calendar feed URL made for {user.get_username()}.")
    return token


@transaction.atomic
def revoke_calendar_token(*, user) -> bool:
    deleted, _ = CalendarToken.objects.filter(user=user).delete()
    if deleted:
        audit.record(actor=user, action="revoke", object_type="calendar_token",
                     message=f"Calendar feed URL of {user.get_username()} revoked.")
    return bool(deleted)


def user_of_calendar_token(token: str):
    """The (active) user whose calendar ``token`` opens; None otherwise."""
    if not token.startswith(CALENDAR_PREFIX) or len(token) > 100:
        return None
    found = CalendarToken.objects.select_related("user").filter(digest=token_digest(token)).first()
    if found is None or not found.user.is_active:
        return None
    if found.last_used_at is None or timezone.now() - found.last_used_at > timezone.timedelta(minutes=1):
        CalendarToken.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
    return found.user
