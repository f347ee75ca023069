"""Writing options: validation against the catalogue, secrets, audit, stale edits, restart tracking.

Every write of options (the editor, the .cfg import, the security-section form, cluster-wide
apply) goes through ``options_apply`` so the same rules hold everywhere.
"""

from dataclasses import dataclass

from django.db import transaction

from applications import audit
from applications.catalogue import PROTECTED_SECTIONS, OptionValueError, spec_for
from applications.models import Application, AuditEvent, Option
from applications.paths import path_problem
from applications.restart import option_label
from applications.scheduling import request_checks
from applications.validators import has_control_characters
from cobrowse_admin import secret_box


@dataclass(frozen=True)
class OptionChange:
    """Set ``section/name`` to ``value``; ``value=None`` removes the option."""

    section: str
    name: str
    value: str | None


class OptionsInvalid(Exception):
    """Some changes were refused; nothing was saved. ``errors`` maps "[section] name" to a message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


class StaleEdit(Exception):
    """The options changed since the form was opened; ``events`` says who changed what."""

    def __init__(self, events: list[AuditEvent], current_revision: int):
        self.events = events
        self.current_revision = current_revision
        super().__init__("The options were changed by someone else since you opened them.")


def validate_name(label: str, text: str) -> str | None:
    if not text or not text.strip():
        return f"the {label} name cannot be empty"
    if text != text.strip():
        return f"the {label} name cannot start or end with spaces"
    if any(ch in text for ch in "[]=") or has_control_characters(text):
        return f"the {label} name cannot contain [, ], = or control characters"
    if label == "option" and text.startswith(("#", ";")):
        # In a .cfg file such a line is a comment: the option would vanish on export and import.
        return f"the {label} name cannot start with # or ;"
    if len(text) > 255:
        return f"the {label} name is longer than 255 characters"
    return None


def clean_change(app: Application, change: OptionChange) -> tuple[OptionChange, str | None]:
    """The normalised change and an error message (None when the change is acceptable)."""
    error = validate_name("section", change.section) or validate_name("option", change.name)
    if error:
        return change, error
    if change.value is None:
        spec = spec_for(app.app_type, app.version, change.section, change.name)
        if spec and spec.is_mandatory(app.app_type):
            return change, f"{change.name} is mandatory on a {app.get_app_type_display()} and cannot be removed"
        return change, None
    if "\n" in change.value or "\r" in change.value or "\x00" in change.value:
        return change, "a value is one line of text"
    spec = spec_for(app.app_type, app.version, change.section, change.name)
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
    return OptionChange(change.section, change.name, value), None


def may_change_section(actor, section: str) -> bool:
    """The security section holds the trusted store and its password: Security officers only.
    A non-user actor (a management command run by someone with shell access) may."""
    from applications.roles import SECURITY_OFFICER, has_role

    if section not in PROTECTED_SECTIONS or not hasattr(actor, "is_authenticated"):
        return True
    return has_role(actor, SECURITY_OFFICER)


def validate_changes(app: Application, changes: list[OptionChange], actor=None) -> list[OptionChange]:
    cleaned, errors, seen = [], {}, set()
    for change in changes:
        fixed, error = clean_change(app, change)
        if not may_change_section(actor, change.section):
            # Before any check of the value: a role that may not change the section learns nothing about it.
            error = f"only a Security officer may change the [{change.section}] section"
        elif not error and (change.section, change.name) in seen:
            error = "given twice: keep one value"
        seen.add((change.section, change.name))
        if error:
            errors[option_label(change.section, change.name)] = error
        cleaned.append(fixed)
    if errors:
        raise OptionsInvalid(errors)
    return cleaned


def clear_value(option: Option) -> str:
    return secret_box.decrypt(option.value) if option.is_secret else option.value


def is_noop(change: OptionChange, option: Option | None) -> bool:
    if option is None:
        return change.value is None
    return change.value is not None and clear_value(option) == change.value


def events_since(app: Application, revision: int) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(application=app, object_type="option", options_revision__gt=revision)
        .order_by("at", "id")[:50]
    )


@transaction.atomic
def options_apply(
    *,
    application: Application,
    changes: list[OptionChange],
    actor,
    expected_revision: int | None = None,
    action_note: str = "",
) -> int:
    """Apply ``changes`` all or nothing. Returns how many options actually changed.

    ``expected_revision`` is the options revision the editor was opened at: if someone saved
    since, ``StaleEdit`` is raised instead of overwriting their work.
    """
    # NO KEY UPDATE: writers and validators of this application take turns, while other transactions
    # may still reference it (foreign keys take KEY SHARE locks at commit).
    app = Application.objects.select_for_update(no_key=True).get(pk=application.pk)
    if expected_revision is not None and app.options_revision != expected_revision:
        raise StaleEdit(events_since(app, expected_revision), app.options_revision)
    existing = {(o.section, o.name): o for o in Option.objects.filter(application=app)}
    changes = [c for c in changes if not is_noop(c, existing.get((c.section, c.name)))]
    cleaned = validate_changes(app, changes, actor)
    new_revision = app.options_revision + 1
    changed = 0
    for change in cleaned:
        key = (change.section, change.name)
        option = existing.get(key)
        spec = spec_for(app.app_type, app.version, change.section, change.name)
        secret = bool(spec and spec.secret)
        old = clear_value(option) if option else None
        if change.value == old:
            continue
        if change.value is None:
            option.delete()
            del existing[key]
            action = "delete"
        else:
            stored = secret_box.encrypt(change.value) if secret else change.value
            if option is None:
                option = Option.objects.create(
                    application=app, section=change.section, name=change.name, value=stored, is_secret=secret
                )
                existing[key] = option
                action = "create"
            else:
                option.value, option.is_secret = stored, secret
                option.save(update_fields=["value", "is_secret", "updated_at"])
                action = "update"
        if secret:
            shown_old = audit.SECRET_CHANGED if old is not None else None
            shown_new = audit.SECRET_CHANGED if change.value is not None else None
        else:
            shown_old, shown_new = old, change.value
        audit.record(
            actor=actor,
            action=action,
            object_type="option",
            object_repr=option_label(change.section, change.name),
            application=app,
            changes={"value": [shown_old, shown_new]},
            message=action_note,
            options_revision=new_revision,
        )
        changed += 1
    if changed:
        app.options_revision = new_revision
        app.save(update_fields=["options_revision"])
        request_checks([app.pk], restart=True)
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
