"""Writes of hosts, applications, ports and connections: each in a transaction with its audit event.

Options have their own module (``options.py``) because of the catalogue, secrets and restart rules.
"""

from django.db import transaction
from django.db.models import Model

from applications import audit
from applications.models import Application, Connection, Host, Option, Port
from applications.restart import option_label
from applications.scheduling import request_checks

AUDITED_FIELDS = {
    Host: ["name", "address", "os_type", "description"],
    Application: [
        "name", "app_type", "version", "host", "enabled", "cluster", "scs_controlled",
        "service_account", "working_directory",
    ],
    Port: ["port_id", "number", "secured", "mutual_tls"],
    Connection: [
        "port", "protocol", "addp_local_timeout", "addp_remote_timeout", "addp_trace", "transport_params",
    ],
}
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
    """Applications whose checks depend on this object (a port matters to its clients too)."""
    if isinstance(obj, Host):
        return list(obj.applications.values_list("pk", flat=True))
    if isinstance(obj, Port):
        return [obj.application_id, *obj.connections.values_list("client_id", flat=True)]
    app = owning_application(obj)
    return [app.pk] if app and app.pk else []


@transaction.atomic
def save_object(*, form, actor) -> Model:
    """Save a bound, valid ModelForm of a host, application, port or connection, audited."""
    instance = form.instance
    model = type(instance)
    fields = AUDITED_FIELDS[model]
    creating = instance.pk is None
    before = {} if creating else audit.snapshot(model.objects.get(pk=instance.pk), fields)
    obj = form.save()
    after = audit.snapshot(obj, fields)
    changes = audit.field_changes(before, after)
    if creating or changes:
        audit.record(
            actor=actor,
            action="create" if creating else "update",
            object_type=OBJECT_TYPES[model],
            obj=obj,
            application=owning_application(obj),
            changes=changes,
        )
        request_checks(affected_applications(obj))
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
def delete_object(*, obj: Model, actor) -> None:
    model = type(obj)
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
    audit.record(
        actor=actor,
        action="delete",
        object_type=OBJECT_TYPES[model],
        object_repr=repr_,
        application=None if isinstance(obj, Application) else app,
        changes={key: [value, None] for key, value in before.items()},
        message="; ".join(f"{k}: {', '.join(v)}" for k, v in impact.items()),
    )
    request_checks(affected)


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
    )
    Port.objects.bulk_create(
        Port(application=clone, port_id=p.port_id, number=p.number, secured=p.secured, mutual_tls=p.mutual_tls)
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
    request_checks([clone.pk], restart=True)
    return clone
