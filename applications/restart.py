"""Restart tracking: which saved option changes the running server has not picked up yet.

The running snapshot (``RunningOption``) is what the server started with; the pending list is the
difference between it and the options now, limited to options that take effect after restart
(unknown options count as such). Recomputing it is idempotent, so a task can do it as often as
it likes, and setting a value back removes it from the list by itself.
"""

from django.db import transaction
from django.utils import timezone

from applications import audit
from applications.catalogue import takes_effect_after_restart
from applications.models import Application, AuditEvent, Option, PendingRestartChange, RunningOption
from applications.versioning import EditConflict, options_events_since
from cobrowse_admin import secret_box

MASKED = secret_box.MASK


def option_label(section: str, name: str) -> str:
    return f"[{section}] {name}"


def comparable_value(option: Option) -> str:
    """The value as compared with the snapshot: secrets by keyed digest, never in clear."""
    if option.is_secret:
        return secret_box.digest(secret_box.decrypt(option.value))
    return option.value


def current_values(application: Application) -> dict[tuple[str, str], tuple[str, bool]]:
    return {
        (o.section, o.name): (comparable_value(o), o.is_secret)
        for o in Option.objects.filter(application=application)
    }


@transaction.atomic
def reconcile(*, application_id: int) -> list[PendingRestartChange]:
    """Rebuild the pending-restart list of one application from its options and snapshot."""
    app = Application.objects.select_for_update(no_key=True).get(pk=application_id)
    wanted = pending_changes_now(app)
    PendingRestartChange.objects.filter(application=app).delete()
    PendingRestartChange.objects.bulk_create(wanted)
    return wanted


def pending_changes_now(app: Application) -> list[PendingRestartChange]:
    """The pending-restart list as the options are now (unsaved): what ``reconcile`` writes, and what
    the General tab shows while the checks of a change have not run yet."""
    current = current_values(app)
    running = {(r.section, r.name): r.value for r in RunningOption.objects.filter(application=app)}
    last_change = latest_option_changes(app)
    wanted: list[PendingRestartChange] = []
    for key in sorted(set(current) | set(running)):
        section, name = key
        if not takes_effect_after_restart(app.app_type, app.version, section, name):
            continue
        now_value, is_secret = current.get(key, (None, False))
        was_value = running.get(key)
        if now_value == was_value:
            continue
        is_secret = is_secret or (was_value or "").startswith("hmac-sha256:")
        who, when = last_change.get(option_label(section, name), ("", None))
        wanted.append(
            PendingRestartChange(
                application=app,
                section=section,
                name=name,
                running_value=(MASKED if is_secret and was_value is not None else was_value),
                new_value=(MASKED if is_secret and now_value is not None else now_value),
                is_secret=is_secret,
                changed_by_name=who,
                changed_at=when,
            )
        )
    return wanted


def latest_option_changes(app: Application) -> dict[str, tuple[str, object]]:
    """Who changed each option last, and when, since the last restart."""
    events = AuditEvent.objects.filter(application=app, object_type="option")
    if app.last_restarted_at:
        events = events.filter(at__gte=app.last_restarted_at)
    latest: dict[str, tuple[str, object]] = {}
    for label, who, when in events.order_by("-id").values_list("object_repr", "actor_name", "at")[:2000]:
        latest.setdefault(label, (who, when))
    return latest


@transaction.atomic
def mark_restarted(*, application: Application, actor, expected_revision: int | None = None) -> None:
    """The server now runs with the current options: snapshot them and clear the pending list.

    ``expected_revision`` is the options revision whose pending list the operator confirmed: when
    the options changed since, ``EditConflict`` is raised and nothing is marked (else a change made
    after the restart would be recorded as running). None: unconditional."""
    app = Application.objects.select_for_update(no_key=True).get(pk=application.pk)
    if expected_revision is not None and app.options_revision != expected_revision:
        raise EditConflict(what=f"the options of {app.name}",
                           events=options_events_since(app, expected_revision),
                           current_version=str(app.options_revision))
    # Recomputed here, not read: when the broker was down the task has not run, and the audit
    # event must still name what the restart picked up.
    pending = reconcile(application_id=app.pk)
    take_running_snapshot(app)
    PendingRestartChange.objects.filter(application=app).delete()
    app.last_restarted_at = timezone.now()
    app.save(update_fields=["last_restarted_at"])
    audit.record(
        actor=actor,
        action="restart",
        object_type="application",
        obj=app,
        application=app,
        message=f"Marked as restarted; {len(pending)} pending change(s) now running.",
        changes={option_label(p.section, p.name): shown_change(p) for p in pending},
    )


def shown_change(change: PendingRestartChange) -> list[str | None]:
    """``[running, new]`` as the audit trail shows it: a secret only as "changed"."""
    if change.is_secret:
        return [None if v is None else audit.SECRET_CHANGED for v in (change.running_value, change.new_value)]
    return [change.running_value, change.new_value]


def take_running_snapshot(app: Application) -> None:
    RunningOption.objects.filter(application=app).delete()
    RunningOption.objects.bulk_create(
        RunningOption(application=app, section=section, name=name, value=value)
        for (section, name), (value, _secret) in current_values(app).items()
    )
