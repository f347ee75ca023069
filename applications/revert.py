"""Revert an application to one of its versions: a preview, then the same services as the forms.

``revert_plan`` says what a revert would change (pure over two snapshots, ``applications.snapshots``)
and which of those changes wait for a restart. ``revert_application`` applies it in one
transaction through the services the forms use, so the roles (the security section and secrets
need a Security officer), the validation and the audit events are theirs; the whole revert becomes
one new version, noted "revert to N: why". The page (or command) carries the number of the newest
version it showed: a version written since is an ``EditConflict`` and nothing is changed.

What the reverted configuration would mean for TLS is not decided here (``applications`` knows no
TLS): ``preview_verdict`` asks the function the security app registers, which applies the revert
inside a savepoint, runs the one verdict on it and rolls everything back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django import forms
from django.db import transaction

from applications import history, services, snapshots
from applications.catalogue import specs_for
from applications.forms import ApplicationForm, ConnectionForm, PortForm
from applications.models import Application, ApplicationVersion, AuditEvent, Connection, Port
from applications.options import OptionChange, options_apply
from applications.restart import option_label
from applications.transport import params_with_flags
from applications.versioning import EditConflict
from cobrowse_admin import secret_box


class RevertRefused(Exception):
    """The revert cannot be applied as it is (a form rule refuses a value); nothing was changed."""


@dataclass
class RevertPlan:
    target: ApplicationVersion
    current_number: int
    groups: list[snapshots.Group]
    restart: list[str] = field(default_factory=list)  # options whose change waits for a restart

    @property
    def changes_nothing(self) -> bool:
        return not self.groups


def version_or_none(app: Application, number: int) -> ApplicationVersion | None:
    return ApplicationVersion.objects.filter(application=app, number=number).first()


def revert_plan(app: Application, target: ApplicationVersion) -> RevertPlan:
    """What reverting to ``target`` changes, from the configuration as it is now."""
    current = history.application_snapshot(app)
    groups = snapshots.compare(history.display_groups(current), history.display_groups(target.snapshot))
    without_restart = {spec.key for spec in specs_for(app.app_type, app.version) if not spec.after_restart}
    restart = [option_label(section, name) for section, name in option_changes_keys(current, target.snapshot)
               if (section, name) not in without_restart]
    return RevertPlan(target, history.latest_number(app.pk), groups, restart)


def option_changes_keys(current: dict, target: dict) -> list[tuple[str, str]]:
    keys = []
    now, then = current.get("options") or {}, target.get("options") or {}
    for section in sorted({*now, *then}):
        a, b = now.get(section) or {}, then.get(section) or {}
        for name in sorted({*a, *b}):
            if snapshots.comparable(a.get(name)) != snapshots.comparable(b.get(name)) or (name in a) != (name in b):
                keys.append((section, name))
    return keys


def option_changes(current: dict, target: dict) -> list[OptionChange]:
    """The options changes that bring ``current`` back to ``target``; a secret gets its old clear value
    back from its token (only inside this transaction, never shown)."""
    changes = []
    then = target.get("options") or {}
    for section, name in option_changes_keys(current, target):
        value = (then.get(section) or {}).get(name)
        if snapshots.is_secret(value):
            value = secret_box.decrypt(value["secret"])
        changes.append(OptionChange(section, name, value))
    return changes


def form_errors(form: forms.BaseForm, what: str) -> str:
    errors = "; ".join(f"{'' if key == '__all__' else key + ': '}{' '.join(msgs)}"
                       for key, msgs in form.errors.items())
    return f"{what} cannot be put back: {errors}"


@transaction.atomic
def revert_application(*, application: Application, to: int, actor, note: str = "",
                       expected_number: int | None = None) -> ApplicationVersion | None:
    """Bring the application back to version ``to``, as a new version. Returns it (None when the
    configuration already is that version). ``expected_number``: the newest version the page showed;
    ``EditConflict`` when a newer one exists. ``RevertRefused`` or ``OptionsInvalid`` when a rule
    or the actor's role refuses part of it: nothing is changed."""
    app = Application.objects.select_for_update(no_key=True).get(pk=application.pk)
    latest = history.latest_number(app.pk)
    if expected_number is not None and latest != expected_number:
        last_seen = (ApplicationVersion.objects.filter(application=app, number=expected_number)
                     .values_list("last_event_id", flat=True).first() or 0)
        raise EditConflict(
            what=f"the configuration of {app.name} (now version {latest})",
            events=list(AuditEvent.objects.filter(application=app, id__gt=last_seen).order_by("-id")[:20])[::-1],
            current_version=str(latest))
    target = version_or_none(app, to)
    if target is None:
        raise RevertRefused(f"{app.name} has no version {to}.")
    full_note = f"revert to {to}: {note}" if note else f"revert to {to}"
    with history.batch(note=full_note, source="revert", actor=actor):
        apply_snapshot(app, target.snapshot, actor=actor, note=full_note)
    return ApplicationVersion.objects.filter(application=app, number__gt=latest).order_by("number").first()


def apply_snapshot(app: Application, snapshot: dict, *, actor, note: str) -> None:
    """Write ``snapshot`` over the application through the services (call it in a transaction)."""
    current = history.application_snapshot(app)
    revert_general(app, current, snapshot, actor=actor, note=note)
    revert_ports(app, current, snapshot, actor=actor, note=note)
    revert_connections(app, current, snapshot, actor=actor, note=note)
    changes = option_changes(current, snapshot)
    if changes:
        options_apply(application=app, changes=changes, actor=actor, note=note, source="revert")
    for hook in _after_apply:
        hook(app, actor)


def revert_general(app: Application, current: dict, target: dict, *, actor, note: str) -> None:
    if current["general"] == target.get("general"):
        return
    # A version without a backup server had none (the snapshot leaves an empty one out).
    data = {**current["general"], "backup_server": None, **(target.get("general") or {})}
    data = {key: ("" if value is None else value) for key, value in data.items()}
    for flag in ("enabled", "scs_controlled"):
        if not data.get(flag):
            data.pop(flag, None)  # an unchecked box is absent from a form
    instance = Application.objects.get(pk=app.pk)
    form = ApplicationForm(data={**data, "note": note[:1000]}, instance=instance)
    if not form.is_valid():
        raise RevertRefused(form_errors(form, "The general settings"))
    services.save_object(form=form, actor=actor, note=note)


def revert_ports(app: Application, current: dict, target: dict, *, actor, note: str) -> None:
    now, then = current.get("ports") or {}, target.get("ports") or {}
    ports = {p.port_id: p for p in Port.objects.filter(application=app)}
    for port_id in sorted(set(now) - set(then)):
        services.delete_object(obj=ports[port_id], actor=actor, note=note)
    for port_id in sorted(then):
        if now.get(port_id) == then[port_id]:
            continue
        values = then[port_id]
        data = {"port_id": port_id, "number": values["number"], "note": note[:1000]}
        data.update({flag: "on" for flag in ("secured", "mutual_tls") if values.get(flag)})
        # A version from before ports had transport parameters: its flags say them.
        data["transport_params"] = (values["transport_params"] if "transport_params" in values else
                                    params_with_flags("", bool(values.get("secured")), bool(values.get("mutual_tls"))))
        data["mode"] = values.get("mode") or ("secure" if values.get("secured") else "default")
        # number_clash off: a version restores every port at once, so ports may swap numbers on the way.
        form = PortForm(data=data, instance=ports.get(port_id) or Port(application=app), application=app,
                        number_clash=False)
        if not form.is_valid():
            raise RevertRefused(form_errors(form, f"The port {port_id}"))
        services.save_object(form=form, actor=actor, note=note)


def revert_connections(app: Application, current: dict, target: dict, *, actor, note: str) -> None:
    now, then = current.get("connections") or {}, target.get("connections") or {}
    existing = {f"{c.port.application_id}:{c.port.port_id}": c
                for c in Connection.objects.filter(client=app).select_related("port")}
    for key in sorted(set(now) - set(then)):
        services.delete_object(obj=existing[key], actor=actor, note=note)
    for key in sorted(then):
        if now.get(key) == then[key]:
            continue
        values = then[key]
        data = {"server": values["server_id"], "port_id": values["port_id"], "protocol": values["protocol"],
                "addp_local_timeout": values["addp_local_timeout"] or "",
                "addp_remote_timeout": values["addp_remote_timeout"] or "",
                "addp_trace": values["addp_trace"] or "", "transport_params": values["transport_params"] or "",
                "note": note[:1000]}
        form = ConnectionForm(data=data, instance=existing.get(key) or Connection(client=app), client=app)
        if not form.is_valid():
            raise RevertRefused(form_errors(form, f"The connection to {values['server']}:{values['port_id']}"))
        services.save_object(form=form, actor=actor, note=note)


# What other apps keep beside the configuration and must follow a revert (the security app: which
# trusted store the section was set from), called in the revert's transaction.
AfterApply = Callable[[Application, object], None]
_after_apply: list[AfterApply] = []


def register_after_apply(hook: AfterApply) -> None:
    if hook not in _after_apply:
        _after_apply.append(hook)


# The TLS verdict of a reverted configuration, from the app that owns verdicts (registered at start).
VerdictProvider = Callable[[Application, Callable[[], None]], dict]
_verdict_provider: VerdictProvider | None = None


def register_verdict(provider: VerdictProvider) -> None:
    global _verdict_provider
    _verdict_provider = provider


def preview_verdict(app: Application, to: int) -> dict | None:
    """What the registered verdict says of the application once reverted to ``to`` (nothing is kept:
    the provider applies the revert in a savepoint it rolls back). None when no provider is registered."""
    if _verdict_provider is None:
        return None

    def apply() -> None:
        target = version_or_none(app, to)
        with history.batch(note="preview", source="revert"):
            apply_snapshot(app, target.snapshot, actor="revert preview", note="")

    return _verdict_provider(app, apply)
