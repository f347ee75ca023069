"""The TLS verdict a configuration *would* have: the one verdict, run on changes that are then undone.

The revert preview (``applications.revert``) must say whether TLS would still work after the revert,
and only ``security`` judges TLS. Rather than a second verdict over a snapshot, ``verdict_if`` applies
the change for real inside a savepoint (through the services, as the revert would), runs the same
checks a save triggers (``validation.validate_application``), reads the readiness the panel would
show (``readiness.readiness_for``) and rolls the savepoint back: nothing is kept, no task is queued
(``on_commit`` callbacks of a rolled-back savepoint are dropped), and the verdict is the one the
application would get.
"""

from collections.abc import Callable

from django.db import transaction

from applications.models import Application
from applications.options import OptionsInvalid
from applications.revert import RevertRefused
from applications.versioning import EditConflict
from security.models import ApplicationCheck
from security.readiness import readiness_for
from security.validation import validate_application


class _Undo(Exception):
    pass


def verdict_now(app: Application) -> dict:
    """The verdict stored for the application now (its panel's)."""
    check = ApplicationCheck.objects.filter(application=app).first()
    if check is None:
        return {"verdict": "not checked yet", "reasons": []}
    return {"verdict": check.verdict or "no TLS verdict", "reasons": []}


def verdict_if(app: Application, apply: Callable[[], None]) -> dict:
    """``{"before": …, "after": {"verdict", "reasons", "errors", "warnings"}}`` or ``{"error": text}``
    when the change cannot be applied (then nothing can be said of its TLS)."""
    before = verdict_now(app)
    outcome: dict = {}
    try:
        with transaction.atomic():
            apply()
            validate_application(application_id=app.pk)
            fresh = Application.objects.get(pk=app.pk)
            readiness = readiness_for([fresh], pending={fresh.pk: False})[fresh.pk]
            outcome = {"verdict": readiness.verdict if fresh.is_cobrowse else "no TLS verdict",
                       "reasons": list(readiness.reasons), "errors": readiness.errors,
                       "warnings": readiness.warnings}
            raise _Undo
    except _Undo:
        pass
    except (RevertRefused, OptionsInvalid, EditConflict) as exc:  # the apply would refuse it too
        return {"before": before, "error": str(exc)}
    return {"before": before, "after": outcome}
