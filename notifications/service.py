"""One run of the notifications: evaluate, then send what is due (the command and the beat task)."""

from __future__ import annotations

from dataclasses import dataclass

from notifications import evaluate as evaluation
from notifications import send
from notifications.models import DeliveryStatus


@dataclass
class Run:
    notices: int = 0
    deliveries: int = 0
    sent: int = 0
    failed: int = 0
    retrying: int = 0


def deliver_and_schedule(delivery_id: int, *, schedule_retries: bool = True) -> send.Outcome | None:
    outcome = send.deliver(delivery_id)
    if outcome is not None and outcome.retry_in is not None and schedule_retries:
        from notifications.tasks import deliver

        try:
            deliver.apply_async((delivery_id,), countdown=outcome.retry_in)
        except Exception:  # noqa: BLE001 - the broker is down: the next run picks the delivery up when due
            send.logger.warning("Could not schedule the retry of delivery %s; the next run will.", delivery_id)
    return outcome


def run(*, schedule_retries: bool = False) -> Run:
    evaluated = evaluation.evaluate()
    result = Run(notices=evaluated.notices, deliveries=evaluated.deliveries)
    for delivery_id in list(send.due().values_list("pk", flat=True)):
        outcome = deliver_and_schedule(delivery_id, schedule_retries=schedule_retries)
        if outcome is None:
            continue
        if outcome.status == DeliveryStatus.SENT:
            result.sent += 1
        elif outcome.status == DeliveryStatus.FAILED:
            result.failed += 1
        else:
            result.retrying += 1
    return result
