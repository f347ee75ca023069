"""Notification channels, what was noticed, and the deliveries (the outbox).

- ``Notice``: one event worth telling (a certificate reaching a tier, a resolved expiry, a change of
  TLS settings, a readiness turn). Its ``key`` is unique: evaluating twice finds the notice made the
  first time and makes no other.
- ``Delivery``: a notice for one channel. Unique per (notice, channel): the idempotency key. A delivery
  is claimed (``sending``) in a committed transaction before anything leaves; whatever happens after,
  it is never claimed automatically again, so a worker killed between the send and the record cannot
  send it twice (it shows as unconfirmed, with a retry button).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse


class EventKind(models.TextChoices):
    EXPIRY = "expiry", "certificate expiry"
    RESOLVED = "resolved", "expiry resolved"
    SECURITY_CHANGE = "security_change", "TLS settings changed"
    READINESS = "readiness", "readiness changed"


EVENT_KINDS = [k.value for k in EventKind]


class ChannelKind(models.TextChoices):
    EMAIL = "email", "email"
    WEBHOOK = "webhook", "webhook"


class Channel(models.Model):
    """Where notices go: an email address or a webhook URL, for some event kinds (empty: all).

    A channel with a ``user`` is that user's own subscription (their email address, the kinds they
    chose); the others are managed by Administrators."""

    kind = models.CharField(max_length=8, choices=ChannelKind.choices)
    name = models.CharField(max_length=100)
    target = models.CharField(max_length=1000, help_text="The email address or the webhook's URL.")
    secret_encrypted = models.TextField(blank=True, editable=False, help_text="The webhook's HMAC key (Fernet).")
    events = models.JSONField(default=list, blank=True, help_text="Event kinds sent; empty: every kind.")
    enabled = models.BooleanField(default=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="notification_subscriptions")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["email", "webhook"]), name="channel_kind_known"),
            models.CheckConstraint(condition=Q(kind="email") | ~Q(secret_encrypted=""), name="webhook_has_secret"),
            models.UniqueConstraint(fields=["user"], condition=Q(user__isnull=False), name="one_subscription_per_user"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("notifications:channel_edit", args=[self.pk])

    def wants(self, kind: str) -> bool:
        return self.enabled and (not self.events or kind in self.events)

    @property
    def events_text(self) -> str:
        return ", ".join(self.events) if self.events else "all"


class Notice(models.Model):
    key = models.CharField(max_length=200, unique=True, help_text="What makes the event itself: noticed once.")
    kind = models.CharField(max_length=16, choices=EventKind.choices, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    payload = models.JSONField(default=dict)
    fingerprint = models.CharField(max_length=64, blank=True, db_index=True,
                                   help_text="The certificate's SHA-256 (expiry, resolved).")
    tier = models.CharField(max_length=8, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.subject


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "pending"
    SENDING = "sending", "sending"
    SENT = "sent", "sent"
    FAILED = "failed", "failed"


class Delivery(models.Model):
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # The idempotency key of a send: one delivery of a notice per channel, ever.
            models.UniqueConstraint(fields=["notice", "channel"], name="one_delivery_per_notice_channel"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due_idx")]

    def __str__(self) -> str:
        return f"{self.notice} → {self.channel} ({self.status})"

    @property
    def idempotency_key(self) -> str:
        return f"{self.notice.key}|channel:{self.channel_id}"


class WatchedCertificate(models.Model):
    """A certificate the evaluation watches, by fingerprint: the last tier it was noticed in (at its
    effective expiry then), so that a tier is noticed once and a removal or a replacement resolves it."""

    fingerprint = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=500)
    expiry = models.DateTimeField(help_text="Its effective expiry at the last evaluation.")
    not_after = models.DateTimeField(help_text="Its own end date.")
    limited_by = models.CharField(max_length=500, blank=True,
                                  help_text="The issuer whose end is its effective expiry; empty: its own.")
    tier = models.CharField(max_length=8, blank=True, help_text="The last tier noticed; empty: none yet.")
    resolved = models.BooleanField(default=False)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} ({self.tier or '-'})"


class ReadinessSeen(models.Model):
    """The last readiness verdict the evaluation saw of an application (``security.ApplicationCheck``)."""

    application = models.OneToOneField("applications.Application", on_delete=models.CASCADE, primary_key=True,
                                       related_name="+")
    verdict = models.CharField(max_length=16)
    turns = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"application {self.application_id}: {self.verdict}"


class Cursor(models.Model):
    """How far in the audit trail (``AuditEvent.seq``) the evaluation has read. One row, pk 1."""

    audit_seq = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"audit seq {self.audit_seq}"


class CalendarToken(models.Model):
    """A user's secret calendar URL: only the SHA-256 of the token is kept."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_token")
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=16)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"calendar of {self.user_id} ({self.prefix}…)"
