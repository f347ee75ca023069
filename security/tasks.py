"""Celery tasks of the security app: thin and idempotent; each loads by id and calls a service.

All are acknowledged late (settings): a worker that dies mid-task leaves the message to be
delivered again, and running a task twice gives the same findings as running it once. Transient
failures (database or broker connection lost) are retried with backoff.

The services are imported inside the tasks: a process that only sends tasks (a page, a command)
imports this module to send them and should not load the checks, the sweeps and the probe with it.
"""

from celery import shared_task
from django.db import InterfaceError, OperationalError

import cobrowse_admin.celery  # noqa: F401 - the app these tasks are sent with (it is not loaded at start-up)

TRANSIENT = (OperationalError, InterfaceError, ConnectionError, TimeoutError)
OPTIONS = {
    "acks_late": True,
    "autoretry_for": TRANSIENT,
    "retry_backoff": True,
    "retry_backoff_max": 60,
    "max_retries": 5,
    "ignore_result": True,
}


@shared_task(**OPTIONS)
def validate_store(store_id: int) -> None:
    from security import validation

    validation.validate_store(store_id=store_id)


@shared_task(**OPTIONS)
def validate_application(application_id: int) -> None:
    from security import validation

    validation.validate_application(application_id=application_id)


@shared_task(**OPTIONS)
def validate_pending() -> int:
    """Periodic: the checks requested while the broker was unreachable."""
    from security import validation

    return validation.validate_pending()


@shared_task(bind=True, **OPTIONS)
def validate_everything(self, sweep_id: int | None = None) -> None:
    """The sweep: periodic through beat (no id: the sweep is tied to this task's id), or on demand."""
    from security import sweeps

    if sweep_id is None:
        sweep_id = sweeps.sweep_for_task(self.request.id or "", trigger="beat").pk
    try:
        sweeps.run_sweep(sweep_id)
    except TRANSIENT:
        if self.request.retries >= self.max_retries:
            sweeps.sweep_failed(sweep_id, "The database or the broker stayed unreachable; the sweep gave up.")
        raise
    except Exception as exc:
        sweeps.sweep_failed(sweep_id, f"The sweep stopped: {exc}")
        raise


@shared_task(**OPTIONS)
def probe_connection(connection_id: int) -> None:
    from security import probe

    try:
        probe.probe_connection(connection_id=connection_id)
    except probe.NothingToProbe as refused:
        # The connection changed since the probe was asked for (its port no longer speaks TLS): no retry.
        probe.logger.info("Probe of connection %s not run: %s", connection_id, refused)


@shared_task(**OPTIONS)
def probe_batch(connection_ids: list[int]) -> None:
    """Probe these connections together: one handshake per endpoint, ``PROBE_CONCURRENCY`` at once."""
    from security import probe

    probe.probe_connections(connection_ids)
