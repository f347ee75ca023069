"""Notifications on a real worker and Redis: the worker is killed (SIGKILL) after the webhook received
a notice and before the worker recorded it; the task is delivered again to a new worker, which sends
the rest and nothing twice; running the job again sends nothing."""

import datetime as dt
import threading
import time

import pytest
from django.utils import timezone

from notifications.models import Delivery, DeliveryStatus
from notifications.tasks import send_notifications
from tests.celery_integration.conftest import wait_until
from tests.notifications.helpers import issue, library
from tests.notifications.world import webhook

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]

SECRET = "webhook-secret-0123456789"


@pytest.fixture
def receiver():
    from tests.notifications.helpers import Receiver

    r = Receiver(SECRET).start()
    yield r
    r.stop()


def test_a_worker_killed_between_send_and_record_sends_nothing_twice(broker, workers, receiver):
    now = timezone.now()
    root = issue("Killed Root CA", now + dt.timedelta(days=10), serial=41)
    library(root, issue("Killed Issuing CA", now + dt.timedelta(days=300), issuer=root, serial=42))
    channel = webhook(receiver.url, SECRET)
    from notifications import evaluate

    evaluate.evaluate()  # the first run's cursor: the audit trail so far is history
    receiver.hold = threading.Event()  # the receiver keeps the first request's answer

    first = workers.start(broker.url, name="first")
    send_notifications.delay()
    sent_at = time.monotonic()
    assert receiver.received.wait(60), first.output()
    first.kill()  # the notice arrived; the worker never heard back, never recorded it
    receiver.hold.set()
    receiver.hold = None
    assert len(receiver.requests) == 1
    claimed = Delivery.objects.get(status=DeliveryStatus.SENDING)
    assert receiver.requests[0]["headers"]["X-Idempotency-Key"] == f"{claimed.notice.key}|channel:{channel.pk}"

    # The task was not acknowledged: a worker started after the visibility timeout runs it again.
    time.sleep(max(0.0, 1.2 - (time.monotonic() - sent_at)))
    second = workers.start(broker.url, name="second", env={"CELERY_VISIBILITY_TIMEOUT": "1"})
    wait_until(lambda: Delivery.objects.filter(status=DeliveryStatus.SENT).count() == 1, timeout=60,
               what="the other delivery to be sent")
    assert "send_notifications[" in second.output()
    # The job again (beat's next run): nothing new, nothing twice.
    send_notifications.delay()
    wait_until(lambda: second.output().count("send_notifications[") >= 4, timeout=60,
               what="the second run to finish (received and succeeded, twice)")
    keys = [r["headers"]["X-Idempotency-Key"] for r in receiver.requests]
    assert len(keys) == 2 and len(set(keys)) == 2, keys
    assert all(r["signed"] for r in receiver.requests)
    assert Delivery.objects.get(pk=claimed.pk).status == DeliveryStatus.SENDING  # shown unconfirmed later
    assert Delivery.objects.count() == 2


def test_a_refused_webhook_is_retried_by_the_worker_after_its_backoff(broker, workers, receiver):
    """The receiver answers 500 once: the worker records the failure, schedules the next attempt on
    Celery after the backoff, and that attempt (no other run of the job) delivers it."""
    now = timezone.now()
    library(issue("Retried Root CA", now + dt.timedelta(days=3), serial=61))
    webhook(receiver.url, SECRET)
    receiver.statuses = [500]
    worker = workers.start(broker.url, name="retrier", env={"NOTIFICATION_RETRY_BASE_SECONDS": "2"})
    send_notifications.delay()
    wait_until(lambda: Delivery.objects.filter(status=DeliveryStatus.SENT).exists(), timeout=60,
               what="the retried delivery to be sent")
    delivery = Delivery.objects.get()
    assert delivery.attempts == 2 and delivery.last_error == ""
    assert len(receiver.requests) == 2
    assert receiver.requests[0]["raw"] == receiver.requests[1]["raw"]
    assert "notifications.tasks.deliver[" in worker.output()
    # The backoff (2 s) between the attempts, not an immediate retry.
    assert receiver.requests[1]["at"] - receiver.requests[0]["at"] >= 1.9
