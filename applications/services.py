"""Writes of hosts, applications, ports and connections: each in a transaction with its audit event.

Options have their own module (``options.py``) because of the catalogue, secrets and restart rules.
An edit or a delete made from a page takes the version the page was opened on (``object_version``)
and changes nothing when the object changed since (``versioning.EditConflict``).
"""

from django.db import transaction
from django.db.models import Model

from applications import audit, history, versioning
from applications.models import Application, Connection, Host, Option, Port
from applications.restart import option_label
from applications.scheduling import request_checks

AUDITED_FIELDS = {
    Host: ["name", "address", "os_type", "description"],
    Application: [
        "name", "app_type", "version", "host", "enabled", "cluster", "scs_controlled",
        "service_account", "working_directory", "command_line", "command_line_arguments", "backup_server",
    ],
    # secured / mutual_tls are derived from transport_params on save: audited, never edited alone.
    Port: ["port_id", "number", "mode", "transport_params", "secured", "mutual_tls"],
    Connection: [
        "port", "protocol", "addp_local_timeout", "addp_remote_timeout", "addp_trace", "transport_params",
    ],
}
VERSION_SOURCES = {Application: "general", Port: "ports", Connection: "connections"}
OBJECT_TYPES = {Host: "host", Application: "application", Port: "port", Connection: "connection"}


def owning_application(obj: Model) -> Application | None:
    if isinstance(obj, Application):
        return obj
    if isinstance(obj, Port):
        return obj.application
    if isinstance(obj, Connection):
        return obj.client
    return None


def affected_applications(obj: Model) -> list[int]:
    """Applications whose checks depend on this object (a port matters to its clients too), with the
    primary servers of those (a primary's checks compare it with its backup server)."""
    if isinstance(obj, Host):
        ids = list(obj.applications.values_list("pk", flat=True))
    elif isinstance(obj, Port):
        ids = [obj.application_id, *obj.connections.values_list("client_id", flat=True)]
    else:
        app = owning_application(obj)
        ids = [app.pk] if app and app.pk else []
    if ids:
        ids += [pk for pk in Application.objects.filter(backup_server_id__in=ids).values_list("pk", flat=True)
                if pk not in ids]
    return ids


def describe(obj: Model) -> str:
    """How the conflict banner names the object: "the port secure of MessageServer"."""
    if isinstance(obj, Port):
        return f"the port {obj.port_id} of {obj.application.name}"
    if isinstance(obj, Connection):
        return f"the connection {obj}"
    return f"the {OBJECT_TYPES[type(obj)]} {obj}"


def object_state(obj: Model) -> dict:
    """What the edit form of ``obj`` edits, as stored: its version is a digest of this."""
    return versioning.column_state(obj, AUDITED_FIELDS[type(obj)])


def object_version(obj: Model) -> str:
    """The version an edit form or a delete confirmation of ``obj`` carries (from the object as
    loaded for the page, so the version is exactly what the page shows)."""
    return versioning.version(object_state(obj), versioning.about(OBJECT_TYPES[type(obj)], obj.pk))


def check_version(obj: Model, expected_version: str | None) -> None:
    """``EditConflict`` unless ``obj``, as loaded for this request, is the version the page was opened
    on. The views ask first, so a conflict is said before any form error (the form's rows may be
    what changed); ``save_object`` and ``delete_object`` check again under the lock."""
    versioning.check(expected=expected_version, state=object_state(obj),
                     events_about=versioning.about(OBJECT_TYPES[type(obj)], obj.pk), what=describe(obj))


def locked_and_checked(obj: Model, expected_version: str | None, *, deleting: bool = False) -> Model:
    """``obj`` as stored now, its row locked until the transaction ends; ``EditConflict`` when it is
    no longer the version the page was opened on.

    A save locks FOR NO KEY UPDATE, as ``options_apply`` does: rows that point at this one (a Node's
    Cluster, an application's host) check their foreign key with a KEY SHARE lock at commit, which
    FOR UPDATE would block, and a Host save that waits on such a row would deadlock."""
    model = type(obj)
    current = model.objects.select_for_update(no_key=not deleting).get(pk=obj.pk)
    versioning.check(expected=expected_version, state=object_state(current),
                     events_about=versioning.about(OBJECT_TYPES[model], obj.pk), what=describe(current))
    return current


def saved_columns(form) -> list[str]:
    """The columns a form's save may write: what it edits and what is derived from that. Never the
    rest of the row (an application's options revision, restart and check times), which other
    writers own: the instance the form was bound to was read before the lock was taken."""
    model = form._meta.model
    edited = set(AUDITED_FIELDS[model]) | set(form._meta.fields or ())
    return sorted(field.name for field in model._meta.concrete_fields
                  if field.name in edited or field.name == "version_key" or getattr(field, "auto_now", False))


@transaction.atomic
def save_object(*, form, actor, expected_version: str | None = None, note: str = "") -> Model:
    """Save a bound, valid ModelForm of a host, application, port or connection, audited.

    Editing an existing object: ``expected_version`` is the version the form was opened on
    (``object_version``); ``EditConflict`` when it changed since, and nothing is saved. None saves
    unconditionally. ``note`` (the form's "Why") goes with the audit event and the version."""
    instance = form.instance
    model = type(instance)
    fields = AUDITED_FIELDS[model]
    creating = instance.pk is None
    app = owning_application(instance)
    if app is not None and app.pk is not None:
        # The application first, as the validators lock it before its connections: its version is
        # written at the end, and taking its row after the connection's could deadlock with them. With
        # it, in one id-ordered lock, the applications whose checks this save will request (a port's
        # clients): taking the owner alone first, then the others in id order, deadlocked with a save
        # that took them in id order.
        history.lock([app.pk, *([] if creating else affected_applications(instance))])
    if creating:
        before = {}
        obj = form.save()
    else:
        before = audit.snapshot(locked_and_checked(instance, expected_version), fields)
        obj = form.save(commit=False)
        obj.save(update_fields=saved_columns(form))
    after = audit.snapshot(obj, fields)
    changes = audit.field_changes(before, after)
    if creating or changes:
        # The checks first: the audit event locks the chain's head, which must be the last lock.
        request_checks(affected_applications(obj))
        audit.record(
            actor=actor,
            action="create" if creating else "update",
            object_type=OBJECT_TYPES[model],
            obj=obj,
            application=owning_application(obj),
            changes=changes,
            message=note,
        )
        # Its application's row is locked already (history.lock above): no new lock after the chain's head.
        app = owning_application(obj)
        if app is not None:
            history.record(app.pk, actor=actor, note=note, source=VERSION_SOURCES[model])
    return obj


def delete_impact(obj: Model) -> dict[str, list]:
    """What deleting ``obj`` would take with it or break, for the confirmation page."""
    if isinstance(obj, Host):
        return {"applications that run on it (deletion is refused while they exist)": list(obj.applications.all())}
    if isinstance(obj, Application):
        return {
            "connections of other applications to its ports (removed too)": list(
                Connection.objects.filter(port__application=obj).exclude(client=obj).select_related(
                    "client", "port__application"
                )
            ),
            "its own connections (removed)": list(obj.connections.select_related("port__application")),
            "its ports (removed)": list(obj.ports.all()),
            "Nodes of this Cluster (left without a Cluster)": list(obj.nodes.all()),
            "options (removed)": [f"{n} option(s)" for n in [Option.objects.filter(application=obj).count()] if n],
        }
    if isinstance(obj, Port):
        return {
            "connections through this port (removed too)": list(obj.connections.select_related("client")),
        }
    return {}


@transaction.atomic
def delete_object(*, obj: Model, actor, expected_version: str | None = None, note: str = "") -> None:
    """Delete ``obj`` with what it takes along; ``expected_version`` as in ``save_object``."""
    model = type(obj)
    if not isinstance(obj, (Host, Application)):
        history.lock(affected_applications(obj))  # before the rows the delete cascades to (see save_object)
    obj = locked_and_checked(obj, expected_version, deleting=True)
    affected = [pk for pk in affected_applications(obj) if not (isinstance(obj, Application) and pk == obj.pk)]
    if isinstance(obj, Application):
        affected += list(
            Connection.objects.filter(port__application=obj).exclude(client=obj).values_list("client_id", flat=True)
        )
    before = audit.snapshot(obj, AUDITED_FIELDS[model])
    app = owning_application(obj)
    repr_ = str(obj)
    impact = {k: [str(x) for x in v] for k, v in delete_impact(obj).items() if v}
    obj.delete()
    request_checks(affected)  # before the audit event, which takes the chain's head: the last lock
    audit.record(
        actor=actor,
        action="delete",
        object_type=OBJECT_TYPES[model],
        object_repr=repr_,
        application=None if isinstance(obj, Application) else app,
        changes={key: [value, None] for key, value in before.items()},
        message="; ".join([*(f"{k}: {', '.join(v)}" for k, v in impact.items()), *([note] if note else [])]),
    )
    if not isinstance(obj, (Host, Application)):
        # A port takes its clients' connections along: their configuration changed too (their rows
        # are locked already, by history.lock above).
        for app_id in dict.fromkeys(affected):
            history.record(app_id, actor=actor, note=note, source=VERSION_SOURCES[model])


def options_a_clone_leaves_out(source: Application, actor) -> list[str]:
    """The options of ``source`` a clone made by ``actor`` does not copy: the ``[security]`` section
    (any case) and the secrets, unless the actor is a Security officer (who alone may set them)."""
    from applications.options import may_change_option

    return [option_label(section, name) for section, name in
            source.options.order_by("section", "name").values_list("section", "name")
            if not may_change_option(actor, section, name)]


@transaction.atomic
def clone_application(*, source: Application, name: str, actor) -> Application:
    """A copy of the application with its ports, options and connections (not its connections'
    clients). The security section and the secrets are copied only when a Security officer clones
    (``options_a_clone_leaves_out``); secrets stay encrypted."""
    from applications.options import clear_value, new_option

    left_out = set(options_a_clone_leaves_out(source, actor))
    clone = Application.objects.create(
        name=name,
        app_type=source.app_type,
        version=source.version,
        host=source.host,
        enabled=source.enabled,
        cluster=source.cluster,
        scs_controlled=source.scs_controlled,
        service_account=source.service_account,
        working_directory=source.working_directory,
        command_line=source.command_line,
        command_line_arguments=source.command_line_arguments,
    )
    Port.objects.bulk_create(
        Port(application=clone, port_id=p.port_id, number=p.number, mode=p.mode, transport_params=p.transport_params)
        for p in source.ports.all()
    )
    Option.objects.bulk_create(
        (new_option(application_id=clone.pk, section=o.section, name=o.name, value=clear_value(o))
         for o in source.options.all() if option_label(o.section, o.name) not in left_out),
        batch_size=1000,
    )
    Connection.objects.bulk_create(
        Connection(
            client=clone,
            port=c.port,
            protocol=c.protocol,
            addp_local_timeout=c.addp_local_timeout,
            addp_remote_timeout=c.addp_remote_timeout,
            addp_trace=c.addp_trace,
            transport_params=c.transport_params,
        )
        for c in source.connections.all()
    )
    audit.record(
        actor=actor,
        action="create",
        object_type="application",
        obj=clone,
        application=clone,
        message=f"Cloned from {source.name}." + (
            f" Not copied, a Security officer sets them: {', '.join(sorted(left_out))}." if left_out else ""),
        changes=audit.field_changes({}, audit.snapshot(clone, AUDITED_FIELDS[Application])),
    )
    request_checks([clone.pk], restart=True)  # the clone's own row: no wait while holding the chain's head
    history.record(clone.pk, actor=actor, note=f"Cloned from {source.name}.", source="clone")
    return clone
