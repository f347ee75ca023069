"""Celery tasks of the applications app: thin, idempotent, load by id and call a service."""

from celery import shared_task

import cobrowse_admin.celery  # noqa: F401 - the app these tasks are sent with (it is not loaded at start-up)
from applications import restart
from applications.models import Application


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def flag_restart_required(application_id: int) -> int:
    """Recompute the application's pending-restart list; returns how many changes are pending."""
    if not Application.objects.filter(pk=application_id).exists():
        return 0
    return len(restart.reconcile(application_id=application_id))


@shared_task(acks_late=True)
def verify_audit_chain(by: str = "") -> bool:
    """Verify the whole audit chain and store the result (the audit page shows the last one)."""
    from applications.audit_chain import verify_and_store

    return verify_and_store(by=by).intact
