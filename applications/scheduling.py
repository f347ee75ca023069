"""Asking for the checks of an application to run again, without ever losing the request.

The request is a timestamp written in the caller's transaction; the task is sent only after the
commit. If the broker is down the flag stays set and the periodic sweep runs the work later.
"""

import logging

from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)


def request_checks(application_ids: list[int], *, restart: bool = False) -> None:
    from applications.models import Application

    if not application_ids:
        return
    with transaction.atomic():
        # The rows locked in id order first, as the validation locks them: two saves that ask for the
        # checks of overlapping applications (a host's and a port's) would otherwise lock them in the
        # order the UPDATE meets them, and could each wait for the other (found by the parallel saves of
        # tests/concurrency/test_audit_chain_parallel.py).
        locked = list(Application.objects.select_for_update(no_key=True).filter(pk__in=application_ids)
                      .order_by("pk").values_list("pk", flat=True))
        Application.objects.filter(pk__in=locked).update(checks_requested_at=timezone.now())
    transaction.on_commit(lambda: send_checks(list(application_ids), restart=restart))


# The one entry point from applications to the checks: the security app registers its validation task
# here when Django is ready (security.apps), so applications never imports security.
_validation_task = None


def register_validation_task(task) -> None:
    """``task.delay(application_id)`` validates one application (``security.tasks.validate_application``)."""
    global _validation_task
    _validation_task = task


def send_checks(application_ids: list[int], *, restart: bool = False) -> None:
    """Enqueue the tasks; a broker failure is logged, never raised at the operator.

    The validation recomputes the restart flag of an application whose checks were requested. On
    workers the flag gets a quick task of its own first, so "restart required" shows before the
    (longer) validation is reached; in-process (no broker) the validation runs at once, and a second
    pass over the options (20,000 of them at most) would only double the wait of the save."""
    from django.conf import settings

    from applications.tasks import flag_restart_required

    if _validation_task is None:
        logger.warning("No validation is registered: the checks of %s stay pending.", application_ids)
        return
    quick_flag = restart and not settings.CELERY_TASK_ALWAYS_EAGER
    for app_id in application_ids:
        try:
            if quick_flag:
                flag_restart_required.delay(app_id)
            _validation_task.delay(app_id)
        except Exception as exc:  # noqa: BLE001 - any broker error: the sweep will pick it up
            logger.warning("Could not enqueue checks for application %s (%s); they stay pending.", app_id, exc)
            return
