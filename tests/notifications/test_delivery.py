"""Deliveries: a webhook answering 500 is retried with exponential backoff and given up after the
limit (shown failed, retried by an Administrator); email waits while EMAIL_HOST is not set; a claimed
delivery is never sent again by a run."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from notifications import send, service
from notifications.models import Delivery, DeliveryStatus
from tests.notifications.conftest import SECRET
from tests.notifications.helpers import utc
from tests.notifications.world import email, estate, webhook

pytestmark = pytest.mark.django_db

START = utc(2031, 5, 10, 12)


def test_a_failing_webhook_is_retried_with_backoff_then_succeeds(receiver, links, settings):
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 10
    with time_machine.travel(utc(2031, 1, 1), tick=False):
        estate()
        webhook(receiver.url, SECRET)
        service.run()
    receiver.statuses = [500, 500]
    with time_machine.travel(START, tick=False) as traveller:
        first = service.run()
        assert first.retrying == 2 and first.sent == 0  # root and intermediate, both refused
        waits = sorted((d.next_attempt_at - timezone.now()).total_seconds() for d in Delivery.objects.all())
        assert waits == [10, 10]
        assert service.run().sent == 0  # not due yet: nothing leaves
        traveller.shift(dt.timedelta(seconds=10))
        assert service.run().sent == 2
    assert len(receiver.requests) == 4
    by_key = {}
    for r in receiver.requests:
        by_key.setdefault(r["headers"]["X-Idempotency-Key"], []).append(r["raw"])
    # Each delivery's attempts are the same signed body.
    assert all(len(set(bodies)) == 1 and len(bodies) == 2 for bodies in by_key.values())
    assert all(r["signed"] for r in receiver.requests)
    assert sorted(Delivery.objects.values_list("status", "attempts")) == [("sent", 2), ("sent", 2)]


def test_backoff_doubles_and_the_delivery_gives_up_after_the_limit(receiver, links, settings, client_as):
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 10
    settings.NOTIFICATION_MAX_ATTEMPTS = 4
    with time_machine.travel(utc(2031, 1, 1), tick=False):
        e = estate()
        webhook(receiver.url, SECRET, events="expiry")
        service.run()
    from security.models import Certificate, StoreEntry
    StoreEntry.objects.all().delete()
    Certificate.objects.filter(pk=e.intermediate.pk).delete()
    receiver.statuses = [500] * 10
    waits = []
    with time_machine.travel(START, tick=False) as traveller:
        for _ in range(4):
            service.run()
            delivery = Delivery.objects.get()
            if delivery.status == DeliveryStatus.FAILED:
                break
            wait = delivery.next_attempt_at - timezone.now()
            waits.append(wait.total_seconds())
            traveller.shift(wait)
    assert waits == [10, 20, 40]
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 4
    assert delivery.last_error == "HTTP 500 from the webhook"
    assert len(receiver.requests) == 4
    with time_machine.travel(START + dt.timedelta(days=1), tick=False):
        assert service.run().sent == 0  # given up: no further attempt on its own
    # The log shows it failed with a retry button for an Administrator; the retry sends it.
    page = client_as("admin").get("/notifications/deliveries/")
    assert b'data-state="failed"' in page.content and b"Retry delivery" in page.content
    assert b"Retry delivery" not in client_as("viewer").get("/notifications/deliveries/").content
    assert client_as("operator").post(f"/notifications/deliveries/{delivery.pk}/retry/").status_code == 403
    client_as("admin").post(f"/notifications/deliveries/{delivery.pk}/retry/")
    receiver.statuses = []
    assert service.run().sent == 1
    assert Delivery.objects.get().status == DeliveryStatus.SENT and len(receiver.requests) == 5


def test_email_waits_while_not_configured(links, settings, smtp, client_as):
    with time_machine.travel(utc(2031, 1, 1), tick=False):
        estate()
        email()
        service.run()
    settings.EMAIL_HOST = ""
    with time_machine.travel(START, tick=False):
        run = service.run()
        assert run.deliveries == 2 and run.sent == 0
        assert set(Delivery.objects.values_list("status", flat=True)) == {"pending"}
        page = client_as("admin").get("/notifications/channels/")
        assert b"not configured" in page.content
        assert b'data-state="held"' in client_as("viewer").get("/notifications/deliveries/").content
        settings.EMAIL_HOST = "127.0.0.1"
        assert service.run().sent == 2
    assert len(smtp.mailbox.messages) == 2
    assert {tuple(to) for to, _ in smtp.mailbox.messages} == {("ops@example.test",)}


def test_a_claimed_delivery_is_never_claimed_again(receiver, links, settings):
    with time_machine.travel(utc(2031, 1, 1), tick=False):
        estate()
        webhook(receiver.url, SECRET)
        service.run()
    with time_machine.travel(START, tick=False):
        service.evaluation.evaluate()
        first, second = Delivery.objects.order_by("pk")
        assert send.claim(first.pk)  # a process claimed it, then died before sending
        assert not send.claim(first.pk)
        run = service.run()
    assert run.sent == 1 and len(receiver.requests) == 1
    assert Delivery.objects.get(pk=first.pk).status == DeliveryStatus.SENDING
    later = START + dt.timedelta(seconds=settings.NOTIFICATION_CLAIM_TIMEOUT_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        assert send.unconfirmed(Delivery.objects.get(pk=first.pk))
        assert service.run().sent == 0
