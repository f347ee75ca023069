"""Celery tasks of the notifications: thin, idempotent (the outbox's claims and unique keys)."""

from celery import shared_task

import cobrowse_admin.celery  # noqa: F401 - the app these tasks are sent with
from security.tasks import OPTIONS


@shared_task(**OPTIONS)
def send_notifications() -> int:
    """Beat: evaluate what is due, then send each due delivery (as ``manage.py send_notifications``)."""
    from notifications import service

    return service.run(schedule_retries=True).sent


@shared_task(**OPTIONS)
def deliver(delivery_id: int) -> None:
    """A delivery's next attempt, after its backoff (scheduled by a failed attempt)."""
    from notifications import service

    service.deliver_and_schedule(delivery_id)
