"""Celery tasks of the security app: thin, idempotent; load by id and call a service."""

from celery import shared_task

from applications import restart
from applications.models import Application


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def validate_application(application_id: int) -> None:
    app = Application.objects.filter(pk=application_id).first()
    if app is None:
        return
    requested = app.checks_requested_at
    restart.reconcile(application_id=application_id)
    # Clear the request only if no newer one arrived while this ran.
    Application.objects.filter(pk=application_id, checks_requested_at=requested).update(checks_requested_at=None)
