"""Writing options: validation, permissions, secrets, limits, audit, stale edits, restart tracking.

Every write of options (the editor, the .cfg import, the security-section form, cluster-wide
apply, and the API to come) goes through ``options_apply`` so the same rules hold everywhere:

- one validator for names and values (``applications.option_text``) and the catalogue's rules;
- who may change what is decided before anything is compared with what is stored: a role that may
  not set a secret gets the same answer whatever it typed (no oracle), its attempt is audited
  without the value, and repeated attempts are refused for a while (``SECRET_REFUSALS_*``);
- a secret (by its name, in any section, on any application type) is stored encrypted;
- every error of a batch is reported at once, and nothing is saved when there is one;
- the limits of ``applications.limits``; writes in bulk, so 20,000 options import in seconds.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from applications import audit, history
from applications.bulk import bulk_insert
from applications.catalogue import OptionValueError, is_protected_section, is_secret, spec_for
from applications.limits import MAX_OPTIONS_PER_APPLICATION
from applications.models import Application, AuditEvent, Option
from applications.option_text import name_problem, value_problem
from applications.paths import path_problem
from applications.restart import option_label
from applications.scheduling import request_checks
from applications.versioning import EditConflict, options_events_since
from cobrowse_admin import secret_box

REFUSED = "refused"  # audit action of an attempt to set a secret without the role


@dataclass(frozen=True)
class OptionChange:
    """Set ``section/name`` to ``value``; ``value=None`` removes the option.

    ``must_be_new``: the change adds an option (a new row of the editor): refused when the option
    exists already, rather than silently overwriting it."""

    section: str
    name: str
    value: str | None
    must_be_new: bool = False


class OptionsInvalid(Exception):
    """Some changes were refused; nothing was saved.

    ``errors`` maps "[section] name" to a message; ``row_errors`` maps the index of each refused
    change to its message (two changes may share a label); ``general`` holds what is about the whole
    batch (the number of options). ``refused_secrets`` names the secrets the actor may not set."""

    def __init__(self, errors: dict[str, str], *, row_errors: dict[int, str] | None = None,
                 general: list[str] | None = None, refused_secrets: list[str] | None = None):
        self.errors = errors
        self.row_errors = row_errors or {}
        self.general = general or []
        self.refused_secrets = refused_secrets or []
        super().__init__(self.summary(limit=len(errors) + 1))

    def summary(self, *, limit: int = 5) -> str:
        """The errors as one line, at most ``limit`` of them named (a file may have thousands)."""
        lines = [*self.general, *(f"{k}: {v}" for k, v in self.errors.items())]
        more = len(lines) - limit
        return "; ".join(lines[:limit]) + (f"; and {more} more" if more > 0 else "")


class StaleEdit(EditConflict):
    """The options changed since the form was opened; ``events`` says who changed what.

    The options' version is the application's options revision (a counter every options write
    moves), not a digest: the editor, the security section and the import carry it."""

    def __init__(self, events: list[AuditEvent], current_revision: int, what: str = "the options"):
        super().__init__(what=what, events=events, current_version=str(current_revision))
        self.current_revision = current_revision
        self.args = ("The options were changed by someone else since you opened them.",)


def clean_change(app: Application, change: OptionChange) -> tuple[OptionChange, str | None]:
    """The change to store and an error message (None when acceptable): the names and the value
    against ``applications.option_text``, then the catalogue. Nothing is trimmed or re-cased."""
    error = name_problem("section", change.section) or name_problem("option", change.name)
    if error:
        return change, error
    spec = spec_for(app.app_type, app.version, change.section, change.name)
    if change.value is None:
        if spec and spec.is_mandatory(app.app_type):
            return change, f"{change.name} is mandatory on a {app.get_app_type_display()} and cannot be removed"
        return change, None
    error = value_problem(change.value)
    if error:
        return change, error
    if spec is None:
        return change, None
    try:
        value = spec.clean(change.value)
    except OptionValueError as exc:
        return change, str(exc)
    if value == "" and spec.is_mandatory(app.app_type):
        return change, f"{change.name} is mandatory on a {app.get_app_type_display()}"
    if value and spec.host_path and app.host_id:
        problem = path_problem(value, app.host.os_type, host=app.host.name)
        if problem:
            return change, problem
    return OptionChange(change.section, change.name, value, change.must_be_new), None


def acts_as_person(actor) -> bool:
    """A user, as opposed to a management command run by someone with shell access."""
    return hasattr(actor, "is_authenticated")


def may_change_option(actor, section: str, name: str) -> bool:
    """Security officers only for the protected section (``[security]``, whatever its case) and for
    secrets (by name, in any section): the trusted store settings and the passwords."""
    return may_change_guarded(actor) or not is_guarded(section, name)


def is_guarded(section: str, name: str) -> bool:
    return is_protected_section(section) or is_secret(section, name)


def may_change_guarded(actor) -> bool:
    """Whether ``actor`` may change the protected section and secrets (a command run from a shell may)."""
    from applications.roles import SECURITY_OFFICER, has_role

    return not acts_as_person(actor) or has_role(actor, SECURITY_OFFICER)


def refusal_message(section: str, name: str) -> str:
    """The same words whatever the value typed: the answer must not tell whether it was right."""
    if is_protected_section(section):
        return f"only a Security officer may change the [{section}] section"
    return "only a Security officer may set secrets (passwords): this value is never compared or saved"


def secret_refusals_window() -> timedelta:
    return timedelta(seconds=settings.SECRET_REFUSALS_WINDOW_SECONDS)


def secret_attempts_blocked(actor) -> bool:
    """Too many refused attempts on secrets lately: the next ones are refused without a look.

    Counted from the audit trail, so every server process sees the same count."""
    if not getattr(actor, "is_authenticated", False):
        return False
    since = timezone.now() - secret_refusals_window()
    recent = AuditEvent.objects.filter(actor=actor, action=REFUSED, object_type="option", at__gte=since)
    return recent.count() >= settings.SECRET_REFUSALS_LIMIT


def blocked_message() -> str:
    minutes = max(1, round(settings.SECRET_REFUSALS_WINDOW_SECONDS / 60))
    return (f"too many refused attempts to set secrets: further attempts are refused without a look until "
            f"{minutes} minutes pass without one; ask a Security officer")


def record_secret_refusal(*, actor, application: Application, labels: list[str], note: str = "") -> None:
    """Audit an attempt to set secrets without the role: which options, never the values."""
    if not acts_as_person(actor):
        return
    shown = ", ".join(sorted(set(labels)))
    audit.record(
        actor=actor,
        action=REFUSED,
        object_type="option",
        object_repr=shown,
        application=application,
        message=(f"Refused: {len(labels)} secret option(s) without the Security officer role"
                 + (f" ({note})" if note else "") + ". The values typed are not recorded."),
    )


def clear_value(option: Option) -> str:
    return secret_box.decrypt(option.value) if option.is_secret else option.value


def is_noop(change: OptionChange, option: Option | None) -> bool:
    if option is None:
        return change.value is None
    return change.value is not None and clear_value(option) == change.value


def events_since(app: Application, revision: int) -> list[AuditEvent]:
    return options_events_since(app, revision)


def new_option(*, application_id: int, section: str, name: str, value: str) -> Option:
    """An unsaved option holding ``value``: encrypted when it is a secret. For the bulk writers (clone,
    demo data) that do not go through ``options_apply``; the database refuses a secret stored as
    not secret (constraint ``secret_names_are_secret``)."""
    secret = is_secret(section, name)
    return Option(application_id=application_id, section=section, name=name,
                  value=secret_box.encrypt(value) if secret else value, is_secret=secret)


# What the writers read of a stored option (not its timestamp: 20,000 of them cost a third of a second).
OPTION_FIELDS = ("id", "application_id", "section", "name", "value", "is_secret")


def existing_options(app: Application, changes: list[OptionChange]) -> dict[tuple[str, str], Option]:
    """The stored options the changes are about (all of them for a large batch: one query either way)."""
    options = Option.objects.filter(application=app).only(*OPTION_FIELDS)
    if len(changes) <= 500:
        options = options.filter(section__in={c.section for c in changes}, name__in={c.name for c in changes})
    wanted = {(c.section, c.name) for c in changes}
    return {(o.section, o.name): o for o in options if (o.section, o.name) in wanted}


@dataclass(frozen=True)
class Verdict:
    """What becomes of one change: written (``change``), a no-op, or refused (``error``).
    ``refused_secret``: refused because the actor may not set this secret (audited)."""

    change: OptionChange | None = None
    error: str | None = None
    noop: bool = False
    refused_secret: bool = False


def judge_change(app: Application, change: OptionChange, option: Option | None, *, may_guarded: bool,
                 blocked: Callable[[], bool]) -> Verdict:
    """The verdict on one change, read by the services and by the import preview alike.

    Who may change the option is decided first: a secret the actor may not set is refused before
    its value is looked at or compared with the stored one, in the same words whatever was typed.
    A no-op is recognised before the value is validated, so an unchanged value stored before a rule
    existed (a value longer than today's limit) never blocks a save of other options.
    ``may_guarded``: ``may_change_guarded(actor)``, asked once per batch."""
    error = name_problem("section", change.section) or name_problem("option", change.name)
    if error:
        return Verdict(error=error)
    key = (change.section, change.name)
    if not may_guarded and is_guarded(*key):
        if is_secret(*key):
            return Verdict(error=blocked_message() if blocked() else refusal_message(*key), refused_secret=True)
        if not is_noop(change, option):  # not a secret: the actor can read the stored value anyway
            return Verdict(error=refusal_message(*key))
    if change.must_be_new and option is not None:
        return Verdict(error=f"{option_label(*key)} already exists: change its value in its own row")
    if change.must_be_new and change.value == "" and is_secret(*key):
        # A secret is never shown back: an empty new secret is most likely one that was not typed again.
        return Verdict(error="type the value of the new secret (a secret is never shown back)")
    if is_noop(change, option):
        return Verdict(noop=True)
    fixed, error = clean_change(app, change)
    return Verdict(error=error) if error else Verdict(change=fixed)


def blocked_check(actor) -> Callable[[], bool]:
    """``secret_attempts_blocked(actor)``, asked at most once, and only when a secret is refused."""
    answer: list[bool] = []

    def blocked() -> bool:
        if not answer:
            answer.append(secret_attempts_blocked(actor))
        return answer[0]

    return blocked


def validate_changes(app: Application, changes: list[OptionChange], actor=None,
                     existing: dict[tuple[str, str], Option] | None = None) -> list[tuple[int, OptionChange]]:
    """The changes to write (index in ``changes``, cleaned change), no-ops left out; or
    ``OptionsInvalid`` with every error of the batch."""
    if existing is None:
        existing = existing_options(app, changes)
    blocked = blocked_check(actor)
    may_guarded = may_change_guarded(actor)
    cleaned: list[tuple[int, OptionChange]] = []
    row_errors: dict[int, str] = {}
    refused_secrets: list[str] = []
    written: set[tuple[str, str]] = set()
    for index, change in enumerate(changes):
        key = (change.section, change.name)
        verdict = judge_change(app, change, existing.get(key), may_guarded=may_guarded, blocked=blocked)
        if verdict.refused_secret:
            refused_secrets.append(option_label(*key))
        if verdict.noop:
            continue
        error = verdict.error
        if not error and key in written:
            error = "given twice: keep one value"
        if error:
            row_errors[index] = error
        else:
            written.add(key)
            cleaned.append((index, verdict.change))
    if row_errors:
        errors: dict[str, str] = {}
        for index, message in row_errors.items():
            errors.setdefault(option_label(changes[index].section, changes[index].name), message)
        raise OptionsInvalid(errors, row_errors=row_errors, refused_secrets=refused_secrets)
    return cleaned


def check_option_count(app: Application, existing: dict, cleaned: list[tuple[int, OptionChange]]) -> None:
    added = sum(1 for _i, c in cleaned if c.value is not None and (c.section, c.name) not in existing)
    if not added:
        return  # changing or removing options is always possible, even above the limit
    removed = sum(1 for _i, c in cleaned if c.value is None and (c.section, c.name) in existing)
    total = Option.objects.filter(application=app).count() + added - removed
    if total > MAX_OPTIONS_PER_APPLICATION:
        raise OptionsInvalid({}, general=[
            f"{app.name} would hold {total:,} options; an application holds at most "
            f"{MAX_OPTIONS_PER_APPLICATION:,}. Nothing was saved."])


NOTE_REQUIRED = "say why you change the security section (Why): it is kept in the history. Nothing was saved."


def check_note(actor, note: str, cleaned: list[tuple[int, OptionChange]]) -> None:
    """With ``REQUIRE_CHANGE_NOTE_FOR_SECURITY``, a person changing the security section says why."""
    if (settings.REQUIRE_CHANGE_NOTE_FOR_SECURITY and acts_as_person(actor) and not (note or "").strip()
            and any(is_protected_section(c.section) for _i, c in cleaned)):
        raise OptionsInvalid({}, general=[NOTE_REQUIRED])


def options_apply(
    *,
    application: Application,
    changes: list[OptionChange],
    actor,
    expected_revision: int | None = None,
    action_note: str = "",
    on_applied: Callable[[Application, int], None] | None = None,
    note: str = "",
    source: str = "options",
) -> int:
    """Apply ``changes`` all or nothing. Returns how many options actually changed.

    ``expected_revision`` is the options revision the editor was opened at: if someone saved
    since, ``StaleEdit`` is raised instead of overwriting their work. ``on_applied(app, changed)``
    runs in the same transaction after the writes (the import's own audit event). ``note`` is the
    operator's "Why", kept with the audit events and the version (``history.record``) the change makes;
    ``source`` says on the version what wrote it.

    A refused attempt on secrets is audited after the rollback, so the event stays; a caller that
    holds a transaction of its own around this call would roll it back with it.
    """
    try:
        return _apply(application=application, changes=changes, actor=actor, expected_revision=expected_revision,
                      action_note=action_note, on_applied=on_applied, note=note, source=source)
    except OptionsInvalid as invalid:
        if invalid.refused_secrets:
            record_secret_refusal(actor=actor, application=application, labels=invalid.refused_secrets,
                                  note=action_note)
        raise


@transaction.atomic
def _apply(*, application, changes, actor, expected_revision, action_note, on_applied, note, source) -> int:
    # NO KEY UPDATE: writers and validators of this application take turns, while other transactions
    # may still reference it (foreign keys take KEY SHARE locks at commit).
    app = Application.objects.select_for_update(no_key=True).get(pk=application.pk)
    if expected_revision is not None and app.options_revision != expected_revision:
        raise StaleEdit(events_since(app, expected_revision), app.options_revision,
                        what=f"the options of {app.name}")
    existing = existing_options(app, changes)
    cleaned = validate_changes(app, changes, actor, existing)
    check_option_count(app, existing, cleaned)
    check_note(actor, note, cleaned)
    new_revision = app.options_revision + 1
    now = timezone.now()
    by = audit.actor_fields(actor)
    creates: list[dict] = []
    updates: list[Option] = []
    deletes: list[int] = []
    events: list[dict] = []
    for _index, change in cleaned:
        option = existing.get((change.section, change.name))
        secret = is_secret(change.section, change.name)
        old = clear_value(option) if option else None
        if change.value is None:
            deletes.append(option.pk)
            action = "delete"
        else:
            stored = secret_box.encrypt(change.value) if secret else change.value
            if option is None:
                creates.append({"application_id": app.pk, "section": change.section, "name": change.name,
                                "value": stored, "is_secret": secret})
                action = "create"
            else:
                option.value, option.is_secret, option.updated_at = stored, secret, now
                updates.append(option)
                action = "update"
        if secret:
            shown_old = audit.SECRET_CHANGED if old is not None else None
            shown_new = audit.SECRET_CHANGED if change.value is not None else None
        else:
            shown_old, shown_new = old, change.value
        events.append({
            **by,
            "action": action,
            "object_type": "option",
            "object_repr": option_label(change.section, change.name)[:500],
            "application_id": app.pk,
            "changes": {"value": [shown_old, shown_new]},
            "message": " ".join(part for part in (action_note, note) if part),
            "options_revision": new_revision,
        })
    if deletes:
        Option.objects.filter(pk__in=deletes).delete()
    if updates:
        Option.objects.bulk_update(updates, ["value", "is_secret", "updated_at"], batch_size=1000)
    bulk_insert(Option, creates)
    audit.record_rows(events)
    changed = len(events)
    if changed:
        app.options_revision = new_revision
        app.save(update_fields=["options_revision"])
        request_checks([app.pk], restart=True)
    if on_applied is not None:
        on_applied(app, changed)
    if changed:
        history.record(app.pk, actor=actor, note=note, source=source)
    application.options_revision = app.options_revision
    return changed


def option_set(*, application: Application, section: str, name: str, value: str, actor, expected_revision=None) -> int:
    return options_apply(
        application=application,
        changes=[OptionChange(section, name, value)],
        actor=actor,
        expected_revision=expected_revision,
    )


def option_delete(*, application: Application, section: str, name: str, actor, expected_revision=None) -> int:
    return options_apply(
        application=application,
        changes=[OptionChange(section, name, None)],
        actor=actor,
        expected_revision=expected_revision,
    )


def option_value(application: Application, section: str, name: str) -> str | None:
    """The clear value of one option (None when absent). For services, never for templates."""
    option = Option.objects.filter(application=application, section=section, name=name).first()
    return clear_value(option) if option else None


def paths_not_fitting_their_host(applications) -> list[str]:
    """One sentence per option holding a host path (``trusted-ca``) that does not fit the operating
    system of its application's host: what a change of host, or of a host's system, left behind."""
    problems = []
    apps = {app.pk: app for app in applications}
    options = Option.objects.filter(application_id__in=list(apps), is_secret=False).exclude(value="")
    for option in options.order_by("application__name", "section", "name"):
        app = apps[option.application_id]
        spec = spec_for(app.app_type, app.version, option.section, option.name)
        if spec is None or not spec.host_path or app.host is None:
            continue
        problem = path_problem(option.value, app.host.os_type, host=app.host.name)
        if problem:
            problems.append(f"[{option.section}] {option.name} of {app.name} no longer fits its host: {problem}")
    return problems
