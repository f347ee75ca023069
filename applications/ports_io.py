"""An application's ports as a ``.cfg`` file: one ``[port ID]`` section each, with ``port``, ``mode``
and ``transport`` (the transport parameters, ``name=value;name=value``).

The grammar is the options files' (``applications.cfg``): nothing new to learn. Each section is judged
by the port form itself (``PortForm``: the number, the mode and the upgrade-mode rule, the transport
parameters, ``secured`` / ``mutual_tls`` derived from ``tls`` / ``tls-mutual``), so the import accepts
exactly what the Server Info tab's form accepts; on top of that, a new or changed port may not take a
number another port of the application keeps.

The import is applied as port edits (``services.save_object``: the same audit event per port, checks
and restart flag) and one version of the application, all or nothing, and only while the application's
ports are still the version the page was opened at (``ports_version``). A port ID absent from the file
is left alone: nothing is deleted through a file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q

from applications import history, services, versioning
from applications.cfg import CfgEntry, CfgError, parse_cfg, render_cfg, writable
from applications.forms import PortForm
from applications.limits import MAX_PORTS_PER_FILE
from applications.models import Application, Port
from applications.text import quoted
from applications.transport import port_flags

PORT, MODE, TRANSPORT = "port", "mode", "transport"
KEYS = (PORT, MODE, TRANSPORT)
# Which key of a section a form field's error is about (the others are about the section itself).
KEY_OF_FIELD = {"number": PORT, "mode": MODE, "transport_params": TRANSPORT, "secured": TRANSPORT,
                "mutual_tls": TRANSPORT}

NEW, CHANGED, UNCHANGED, INVALID, NOT_IN_FILE = "new", "changed", "unchanged", "invalid", "not in the file"


class PortsInvalid(ValueError):
    """Lines of the file the import refuses; nothing was applied."""

    def __init__(self, messages: list[str]):
        self.messages = messages
        super().__init__(" ".join(messages))


# The version of an application's ports, as the Server Info tab shows them.


def _ports_events(app: Application) -> Q:
    return Q(object_type=services.OBJECT_TYPES[Port], application=app)


def _ports_state(app: Application) -> dict:
    return {port.port_id: services.object_state(port) for port in Port.objects.filter(application=app)}


def ports_version(app: Application) -> str:
    """The version of all the application's ports (a port added, changed or deleted moves it)."""
    return versioning.version(_ports_state(app), _ports_events(app))


def check_ports_version(app: Application, expected_version: str | None) -> None:
    """``EditConflict`` (who changed which port since) unless the ports are still ``expected_version``."""
    versioning.check(expected=expected_version, state=_ports_state(app), events_about=_ports_events(app),
                     what=f"the ports of {app.name}")


# Export.


def export_ports_cfg(app: Application) -> str:
    """Every port of the application, sorted by port ID. Parameters a .cfg line cannot carry (stored
    before today's rules) are left out and named in the header: an import then keeps them as stored."""
    rows, left_out = [], []
    for port in Port.objects.filter(application=app).order_by("port_id"):
        if not writable(port.port_id, PORT, str(port.number)):
            left_out.append(f"the port {quoted(port.port_id)}")
            continue
        rows += [(port.port_id, PORT, str(port.number)), (port.port_id, MODE, port.mode)]
        if writable(port.port_id, TRANSPORT, port.transport_params):
            rows.append((port.port_id, TRANSPORT, port.transport_params))
        else:
            left_out.append(f"the transport parameters of {port.port_id}")
    header = (f"Ports of {app.name} ({app.get_app_type_display()}): one [port ID] section each; "
              "port = number, mode = default, upgrade or secure, transport = name=value;name=value.\n"
              "Importing this file changes only the ports it holds; a port left out is kept.")
    if left_out:
        header += f"\nNot exported (a line break, a control character or spaces at an end): {', '.join(left_out)}"
    return render_cfg(rows, header=header)


# Import: a plan per section, then the apply.


@dataclass
class PortPlan:
    port_id: str
    status: str
    old: tuple[int, str, str] | None  # (number, mode, transport parameters) as stored
    new: tuple[int, str, str] | None  # as the import would store them
    line: int = 0
    messages: list[str] = field(default_factory=list)
    form: PortForm | None = None
    opened_version: str | None = None  # the stored port's version, read before the form was bound


def _stored(port: Port) -> tuple[int, str, str]:
    return (port.number, port.mode, port.transport_params)


def _section_plan(app: Application, port_id: str, entries: list[CfgEntry], port: Port | None) -> PortPlan:
    given = {entry.name: entry for entry in entries}
    first_line = entries[0].line
    plan = PortPlan(port_id, INVALID, _stored(port) if port else None, None, line=first_line,
                    opened_version=services.object_version(port) if port else None)
    for entry in entries:
        if entry.name not in KEYS:
            plan.messages.append(f"line {entry.line}: [{port_id}] {entry.name} is not a port setting "
                                 "(a port has port, mode and transport).")
    if port is None and PORT not in given:
        plan.messages.append(f"line {first_line}: [{port_id}] is a new port: give its number (port = …).")
    if plan.messages:
        return plan
    data = {"port_id": port_id, "number": given[PORT].value if PORT in given else str(port.number)}
    if MODE in given:
        data["mode"] = given[MODE].value
    if TRANSPORT in given:
        data["transport_params"] = given[TRANSPORT].value
    elif port is None:
        data["transport_params"] = ""
    # The boxes say what the parameters say, so the parameters alone decide (as typed in the form).
    secured, mutual = port_flags(data.get("transport_params", port.transport_params if port else ""))
    data.update({name: "on" for name, ticked in (("secured", secured), ("mutual_tls", mutual)) if ticked})
    form = PortForm(data, instance=port or Port(application=app), application=app, number_clash=False)
    if not form.is_valid():
        for name, errors in form.errors.items():
            key = KEY_OF_FIELD.get(name)
            where = f"line {given[key].line}: [{port_id}] {key}" if key in given else f"line {first_line}: [{port_id}]"
            plan.messages += [f"{where}: {error}" for error in errors]
        return plan
    plan.form = form
    plan.new = (form.cleaned_data["number"], form.cleaned_data["mode"], form.cleaned_data["transport_params"])
    plan.status = NEW if port is None else (UNCHANGED if plan.new == plan.old else CHANGED)
    return plan


def plan_import(app: Application, data: bytes) -> list[PortPlan]:
    """What importing ``data`` would do, port by port: the file's sections in their order, then the
    application's ports the file leaves out. ``CfgError`` for a file that cannot be read at all."""
    sections: dict[str, list[CfgEntry]] = {}
    for entry in parse_cfg(data):
        sections.setdefault(entry.section, []).append(entry)
        if len(sections) > MAX_PORTS_PER_FILE:
            raise CfgError(f"Line {entry.line}: a ports file holds at most {MAX_PORTS_PER_FILE} [port ID] sections.")
    existing = {port.port_id: port for port in Port.objects.filter(application=app).select_related("application")}
    plans = [_section_plan(app, port_id, entries, existing.get(port_id)) for port_id, entries in sections.items()]
    # Two ports of one application on one number: refused for a port the file adds or changes.
    numbers: dict[int, list[str]] = {}
    for port_id, port in existing.items():
        if port_id not in sections:
            numbers.setdefault(port.number, []).append(port_id)
    for plan in plans:
        number = (plan.new or plan.old or (None,))[0]
        if number is not None:
            numbers.setdefault(number, []).append(plan.port_id)
    for plan in plans:
        if plan.status in (NEW, CHANGED) and len(numbers[plan.new[0]]) > 1:
            others = ", ".join(p for p in numbers[plan.new[0]] if p != plan.port_id)
            line = next((e.line for e in sections[plan.port_id] if e.name == PORT), plan.line)
            plan.status, plan.form = INVALID, None
            plan.messages.append(f"line {line}: [{plan.port_id}] port {plan.new[0]} is also the number of "
                                 f"{others}: two ports cannot listen on one number.")
    plans += [PortPlan(port_id, NOT_IN_FILE, _stored(port), None) for port_id, port in sorted(existing.items())
              if port_id not in sections]
    return plans


@transaction.atomic
def apply_ports_import(*, application: Application, data: bytes, actor, expected_version: str | None,
                       filename: str = "", note: str = "") -> int:
    """Apply the new and changed ports of a file, all or nothing; returns how many ports changed.
    ``EditConflict`` when the ports are no longer ``expected_version``; ``PortsInvalid`` naming each
    refused line; ``CfgError`` for a file that cannot be read."""
    # The locks a port save takes, taken once in id order for every port (see ``save_object``): the
    # application, its ports' clients and their primaries. Every port write locks the application first,
    # so the ports cannot change between the check below and the last save.
    affected = {application.pk}
    for port in Port.objects.filter(application=application):
        affected.update(services.affected_applications(port))
    history.lock(affected)
    app = Application.objects.get(pk=application.pk)
    check_ports_version(app, expected_version)
    plans = plan_import(app, data)
    refused = [message for plan in plans for message in plan.messages]
    if refused:
        raise PortsInvalid(refused)
    work = [plan for plan in plans if plan.status in (NEW, CHANGED)]
    note = " ".join(part for part in (f"Imported from {filename or 'a .cfg file'}.", note) if part)
    # One version of the application for the whole file, as a revert writes one.
    with history.batch(note=note, source=services.VERSION_SOURCES[Port], actor=actor):
        for plan in work:
            services.save_object(form=plan.form, actor=actor, expected_version=plan.opened_version, note=note)
    return len(work)
