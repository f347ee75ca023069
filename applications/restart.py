"""Restart tracking: which saved option changes the running server has not picked up yet.

The running snapshot (``RunningOption``) is what the server started with; the pending list is the
difference between it and the options now, limited to options that take effect after restart
(unknown options count as such). Recomputing it is idempotent, so a task can do it as often as
it likes, and setting a value back removes it from the list by itself.
"""

from typing import NamedTuple

from django.db import transaction
from django.utils import timezone

from applications import audit
from applications.bulk import bulk_insert
from applications.catalogue import specs_for
from applications.models import Application, AuditEvent, Option, PendingRestartChange, RunningOption, change_kind
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
    # Values, not Option instances: an application may hold 20,000 options.
    rows = Option.objects.filter(application=application).values_list("section", "name", "value", "is_secret")
    return {
        (section, name): (secret_box.digest(secret_box.decrypt(value)) if secret else value, secret)
        for section, name, value, secret in rows
    }


class Pending(NamedTuple):
    """One row of the pending-restart list, as computed (``PendingRestartChange`` is how it is stored)."""

    section: str
    name: str
    running_value: str | None
    new_value: str | None
    is_secret: bool
    changed_by_name: str
    changed_at: object

    @property
    def kind(self) -> str:
        return change_kind(self.running_value, self.new_value)


@transaction.atomic
def reconcile(*, application_id: int) -> list[Pending]:
    """Rebuild the pending-restart list of one application from its options and snapshot."""
    app = Application.objects.select_for_update(no_key=True).get(pk=application_id)
    wanted = wanted_pending(app)
    # Only what differs is written: after one change of a 20,000-option application, one row.
    stale, unchanged = [], set()
    stored = PendingRestartChange.objects.filter(application=app).values_list("pk", *Pending._fields)
    for pk, *values in stored:
        key = (values[0], values[1])
        if wanted.get(key) == tuple(values):
            unchanged.add(key)
        else:
            stale.append(pk)
    if stale:
        PendingRestartChange.objects.filter(pk__in=stale).delete()
    bulk_insert(PendingRestartChange, [{"application_id": app.pk, **dict(zip(Pending._fields, row, strict=True))}
                                       for key, row in wanted.items() if key not in unchanged])
    return [Pending._make(row) for row in sorted(wanted.values())]


def pending_changes_now(app: Application) -> list[Pending]:
    """The pending-restart list as the options are now (unsaved): what ``reconcile`` writes, and what
    the General tab shows while the checks of a change have not run yet."""
    return [Pending._make(row) for row in sorted(wanted_pending(app).values())]


def wanted_pending(app: Application) -> dict[tuple[str, str], tuple]:
    """(section, name) → the row of the pending list, as plain tuples in ``Pending``'s order: 20,000 of
    them are built and compared on each change."""
    current = current_values(app)
    running = {(section, name): value for section, name, value in
               RunningOption.objects.filter(application=app).values_list("section", "name", "value")}
    last_change = latest_option_changes(app)
    # The catalogue's options that take effect without a restart; every other option needs one.
    without_restart = {spec.key for spec in specs_for(app.app_type, app.version) if not spec.after_restart}
    wanted: dict[tuple[str, str], tuple] = {}
    for key in [*current, *(k for k in running if k not in current)]:
        if key in without_restart:
            continue
        now_value, is_secret = current.get(key, (None, False))
        was_value = running.get(key)
        if now_value == was_value:
            continue
        is_secret = is_secret or (was_value or "").startswith("hmac-sha256:")
        who, when = last_change.get(option_label(*key), ("", None))
        wanted[key] = (*key, MASKED if is_secret and was_value is not None else was_value,
                       MASKED if is_secret and now_value is not None else now_value, is_secret, who, when)
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


def shown_change(change: Pending) -> list[str | None]:
    """``[running, new]`` as the audit trail shows it: a secret only as "changed"."""
    if change.is_secret:
        return [None if v is None else audit.SECRET_CHANGED for v in (change.running_value, change.new_value)]
    return [change.running_value, change.new_value]


def take_running_snapshot(app: Application) -> None:
    RunningOption.objects.filter(application=app).delete()
    bulk_insert(RunningOption, [
        {"application_id": app.pk, "section": section, "name": name, "value": value}
        for (section, name), (value, _secret) in current_values(app).items()
    ])
