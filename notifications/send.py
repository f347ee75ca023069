"""Sending the deliveries of the outbox, each at most once.

1. ``claim``: one UPDATE, committed, turns a due ``pending`` delivery into ``sending`` (and counts the
   attempt). Only the process whose UPDATE changed the row sends it.
2. The message leaves (SMTP through Django's backend, or an HTTP POST).
3. ``record``: ``sent``; or, on a failure, ``pending`` again with the next attempt after an
   exponential backoff, or ``failed`` after ``NOTIFICATION_MAX_ATTEMPTS``.

A process killed between 2 and 3 leaves the delivery ``sending``: nothing claims it again, so it is
never sent twice. After ``NOTIFICATION_CLAIM_TIMEOUT_SECONDS`` the delivery log shows it as
unconfirmed, with a retry button for an Administrator who finds it did not arrive. Webhook requests
carry ``X-Idempotency-Key`` (the notice and channel) so a receiver can drop a manual retry it has.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import F, Q
from django.utils import timezone

from cobrowse_admin import secret_box
from notifications.models import ChannelKind, Delivery, DeliveryStatus

logger = logging.getLogger(__name__)


class SendFailed(Exception):
    pass


def email_configured() -> bool:
    return bool(settings.EMAIL_HOST)


def backoff(attempts: int) -> timedelta:
    """The wait before attempt ``attempts + 1``: base × 2^(attempts − 1), at most an hour."""
    seconds = settings.NOTIFICATION_RETRY_BASE_SECONDS * (2 ** max(0, attempts - 1))
    return timedelta(seconds=min(seconds, 3600))


def due(now=None):
    """The deliveries to send now: pending, their next attempt reached, not held (email unconfigured)."""
    now = now or timezone.now()
    qs = Delivery.objects.filter(status=DeliveryStatus.PENDING).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    if not email_configured():
        qs = qs.exclude(channel__kind=ChannelKind.EMAIL)
    return qs.order_by("pk")


def claim(delivery_id: int, now=None) -> bool:
    now = now or timezone.now()
    return Delivery.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        pk=delivery_id, status=DeliveryStatus.PENDING,
    ).update(status=DeliveryStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1) == 1


def signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def webhook_body(delivery: Delivery) -> bytes:
    notice = delivery.notice
    document = {"id": delivery.idempotency_key, "kind": notice.kind, "subject": notice.subject,
                "created_at": notice.created_at.isoformat(), "text": notice.body, **notice.payload}
    return json.dumps(document, sort_keys=True, ensure_ascii=False).encode("utf-8")


def send_webhook(delivery: Delivery) -> None:
    channel = delivery.channel
    body = webhook_body(delivery)
    request = urllib.request.Request(channel.target, data=body, method="POST", headers={
        "Content-Type": "application/json",
        "User-Agent": "Co-browse-Admin-notifications",
        "X-Signature": signature(secret_box.decrypt(channel.secret_encrypted), body),
        "X-Idempotency-Key": delivery.idempotency_key,
        "X-Event-Kind": delivery.notice.kind,
    })
    try:
        with urllib.request.urlopen(request, timeout=settings.NOTIFICATION_HTTP_TIMEOUT) as response:  # noqa: S310
            response.read(1024)
    except urllib.error.HTTPError as exc:
        raise SendFailed(f"HTTP {exc.code} from the webhook") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise SendFailed(f"webhook unreachable: {getattr(exc, 'reason', exc)}") from None


def send_email(delivery: Delivery) -> None:
    notice = delivery.notice
    # The Message-ID is the idempotency key's digest: a manual retry is recognisably the same message.
    message_id = f"<{hashlib.sha256(delivery.idempotency_key.encode()).hexdigest()[:32]}@cobrowse-admin>"
    message = EmailMessage(subject=notice.subject, body=notice.body, from_email=settings.DEFAULT_FROM_EMAIL,
                           to=[delivery.channel.target],
                           headers={"X-Idempotency-Key": delivery.idempotency_key, "Message-ID": message_id})
    try:
        get_connection(fail_silently=False).send_messages([message])
    except Exception as exc:  # noqa: BLE001 - smtplib and socket errors alike: one line in the log
        raise SendFailed(f"SMTP: {exc.__class__.__name__}: {str(exc)[:300]}") from None


@dataclass
class Outcome:
    status: str
    retry_in: float | None = None


def deliver(delivery_id: int, now=None) -> Outcome | None:
    """Send one delivery if it is due and this process claims it; None when it was not ours to send."""
    if not claim(delivery_id, now):
        return None
    delivery = Delivery.objects.select_related("notice", "channel").get(pk=delivery_id)
    try:
        if delivery.channel.kind == ChannelKind.WEBHOOK:
            send_webhook(delivery)
        else:
            send_email(delivery)
    except SendFailed as failure:
        return failed(delivery, str(failure))
    Delivery.objects.filter(pk=delivery_id).update(status=DeliveryStatus.SENT, sent_at=timezone.now(), last_error="")
    return Outcome(DeliveryStatus.SENT)


def failed(delivery: Delivery, error: str) -> Outcome:
    logger.warning("Notification delivery %s to channel %s failed (attempt %s): %s", delivery.pk,
                   delivery.channel_id, delivery.attempts, error)
    if delivery.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
        Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED, last_error=error,
                                                       next_attempt_at=None)
        return Outcome(DeliveryStatus.FAILED)
    wait = backoff(delivery.attempts)
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.PENDING, last_error=error,
                                                   next_attempt_at=timezone.now() + wait)
    return Outcome(DeliveryStatus.PENDING, retry_in=wait.total_seconds())


def unconfirmed(delivery: Delivery, now=None) -> bool:
    """Claimed long ago and never recorded: the process died while sending."""
    now = now or timezone.now()
    return (delivery.status == DeliveryStatus.SENDING and delivery.claimed_at is not None
            and now - delivery.claimed_at > timedelta(seconds=settings.NOTIFICATION_CLAIM_TIMEOUT_SECONDS))


def delivery_state(delivery: Delivery, now, email_ok: bool) -> str:
    """What the log says of a delivery (the page and the API): its status, or "unconfirmed" / "held"."""
    if unconfirmed(delivery, now):
        return "unconfirmed"
    if delivery.status == DeliveryStatus.PENDING and delivery.channel.kind == ChannelKind.EMAIL and not email_ok:
        return "held"
    return delivery.status


# The states an Administrator's retry takes (``retry``): the log's Retry button, the API's retry.
RETRYABLE_STATES = ("failed", "unconfirmed")


def channel_state(channel, email_ok: bool) -> str:
    """What the channel list says of a channel: "not configured" (email without ``EMAIL_HOST``),
    "enabled" or "disabled"."""
    if channel.kind == ChannelKind.EMAIL and not email_ok:
        return "not configured"
    return "enabled" if channel.enabled else "disabled"


def retry(delivery: Delivery) -> bool:
    """An Administrator's retry of a failed or unconfirmed delivery: pending again, now, with a fresh
    count of attempts. False when it is neither (sent, or still being sent)."""
    allowed = Q(status=DeliveryStatus.FAILED) | Q(
        status=DeliveryStatus.SENDING,
        claimed_at__lt=timezone.now() - timedelta(seconds=settings.NOTIFICATION_CLAIM_TIMEOUT_SECONDS))
    return Delivery.objects.filter(allowed, pk=delivery.pk).update(
        status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=None) == 1
