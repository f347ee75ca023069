"""Versions of an application's configuration, written by the services in the transaction of the change.

Every write service (``services.save_object`` / ``delete_object`` / ``clone_application``,
``options.options_apply`` and so the editor, the ``.cfg`` import, the security section and
cluster-wide apply, and ``revert.revert_application``) calls ``record`` once after its writes.
``record`` snapshots the whole configuration and compares it with the newest version: a save that
changed nothing creates no version, whatever the caller thinks it did.

A revert writes through several services; ``batch`` makes their ``record`` calls one version per
application, written when the batch ends (and none when it fails).

Secrets stay encrypted: an option or password is kept as its Fernet token with a keyed digest of
the clear value, so two versions can be compared without decrypting either, and a revert can put
the very same secret back.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

from django.db.models import Max

from applications import audit, snapshots
from applications.models import Application, ApplicationVersion, AppType, AuditEvent, Connection, Option, Port
from cobrowse_admin import secret_box

GENERAL_FIELDS = ["name", "app_type", "version", "host", "enabled", "cluster", "scs_controlled",
                  "service_account", "working_directory", "backup_server"]
# The general fields that are foreign keys: kept as ids, shown by name (``names``).
FOREIGN_KEYS = ("host", "cluster", "backup_server")
NOTE_MAX = 1000

_batch: contextvars.ContextVar[dict | None] = contextvars.ContextVar("history_batch", default=None)


def secret_value(token: str) -> dict:
    return snapshots.secret(token, secret_box.digest(secret_box.decrypt(token)) if token else "")


def application_snapshot(app: Application) -> dict:
    """The whole configuration of ``app`` as stored now, in four queries whatever its size."""
    return snapshots_of([app.pk])[app.pk]


def snapshots_of(app_ids: list[int], models=None) -> dict[int, dict]:
    """The snapshots of several applications in four queries. ``models`` (an object with the
    attributes Application, Option, Port, Connection) lets a data migration pass its historical models."""
    m = models or _Models
    type_labels = dict(AppType.choices)
    result: dict[int, dict] = {}
    # A historical model of a data migration may predate a field: only the fields it has.
    fields = [name for name in GENERAL_FIELDS if any(f.name == name for f in m.Application._meta.get_fields())]
    apps = m.Application.objects.filter(pk__in=app_ids).values(
        "pk", *(f"{name}_id" if name in FOREIGN_KEYS else name for name in fields),
        *(f"{name}__name" for name in FOREIGN_KEYS if name in fields))
    for row in apps:
        general = {name: row[f"{name}_id" if name in FOREIGN_KEYS else name] for name in fields}
        if general.get("backup_server") is None:
            # Absent rather than None: versions written before the backup server existed compare equal.
            general.pop("backup_server", None)
        result[row["pk"]] = {
            "general": general,
            "names": {"host": row["host__name"] or "", "cluster": row["cluster__name"] or "",
                      **({"backup_server": row["backup_server__name"]} if general.get("backup_server") else {}),
                      "type": type_labels.get(row["app_type"], row["app_type"])},
            "options": {}, "ports": {}, "connections": {},
        }
    for app_id, section, name, value, secret in (m.Option.objects.filter(application_id__in=app_ids)
                                                 .order_by("section", "name")
                                                 .values_list("application_id", "section", "name", "value",
                                                              "is_secret")):
        result[app_id]["options"].setdefault(section, {})[name] = secret_value(value) if secret else value
    # A port's transport parameters and mode exist from migration 0015: a data migration before it
    # passes historical models without them.
    port_fields = [name for name in ("mode", "transport_params")
                   if name in {f.name for f in m.Port._meta.get_fields()}]
    for row in (m.Port.objects.filter(application_id__in=app_ids).order_by("port_id")
                .values("application_id", "port_id", "number", "secured", "mutual_tls", *port_fields)):
        result[row["application_id"]]["ports"][row["port_id"]] = {
            "number": row["number"], "secured": row["secured"], "mutual_tls": row["mutual_tls"],
            **{name: row[name] for name in port_fields}}
    for row in (m.Connection.objects.filter(client_id__in=app_ids).order_by("pk")
                .values("client_id", "port__application_id", "port__application__name", "port__port_id", "protocol",
                        "addp_local_timeout", "addp_remote_timeout", "addp_trace", "transport_params")):
        result[row["client_id"]]["connections"][f"{row['port__application_id']}:{row['port__port_id']}"] = {
            "server_id": row["port__application_id"], "server": row["port__application__name"],
            "port_id": row["port__port_id"], "protocol": row["protocol"],
            "addp_local_timeout": row["addp_local_timeout"], "addp_remote_timeout": row["addp_remote_timeout"],
            "addp_trace": row["addp_trace"], "transport_params": row["transport_params"],
        }
    return result


class _Models:
    Application = Application
    Option = Option
    Port = Port
    Connection = Connection


def baseline(*, actor="system", note: str = "", models=None, chunk: int = 500) -> int:
    """Version 1 of every application that has no version yet (the configuration as it is): for a
    data migration, the demo data and the bulk writers. Returns how many were written."""
    m = models or _Models
    version_model = getattr(m, "ApplicationVersion", ApplicationVersion)
    event_model = getattr(m, "AuditEvent", AuditEvent)
    missing = list(m.Application.objects.filter(config_versions__isnull=True).order_by("pk")
                   .values_list("pk", flat=True))
    by = audit.actor_fields(actor)
    for start in range(0, len(missing), chunk):
        ids = missing[start:start + chunk]
        snaps = snapshots_of(ids, models=m)
        last_events = dict(event_model.objects.filter(application_id__in=ids).values("application_id")
                           .annotate(m=Max("id")).values_list("application_id", "m"))
        version_model.objects.bulk_create([
            version_model(application_id=pk, number=1, actor_id=by["actor_id"], actor_name=by["actor_name"],
                          source="baseline", note=note, summary="first version", snapshot=snaps[pk],
                          last_event_id=last_events.get(pk) or 0)
            for pk in ids if pk in snaps
        ], batch_size=500)
    return len(missing)


@contextmanager
def batch(*, note: str = "", source: str = "", actor=None) -> Iterator[None]:
    """Inside, ``record`` only notes which applications changed; one version each is written at the
    end (with this note and source), unless the block raises."""
    if _batch.get() is not None:  # already in one: the outer batch writes
        yield
        return
    pending: dict = {"apps": [], "actor": actor, "note": note, "source": source}
    token = _batch.set(pending)
    try:
        yield
    finally:
        _batch.reset(token)
    for app_id in dict.fromkeys(pending["apps"]):
        write(app_id, actor=pending["actor"], note=note, source=source)


def lock(application_ids) -> None:
    """Lock the applications' rows (in id order, FOR NO KEY UPDATE) until the transaction ends: a
    write that will record their versions takes them before the rows below them."""
    ids = sorted(set(application_ids))
    if ids:
        list(Application.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk")
             .values_list("pk", flat=True))


def record(application_id: int, *, actor, note: str = "", source: str = "") -> ApplicationVersion | None:
    """The next version of the application when its configuration changed since the newest one.
    Call it from a write service, in its transaction, after the writes and their audit events."""
    pending = _batch.get()
    if pending is not None:
        pending["apps"].append(application_id)
        if pending["actor"] is None:
            pending["actor"] = actor
        return None
    return write(application_id, actor=actor, note=note, source=source)


def next_version_summary(latest, snapshot: dict, groups) -> str | None:
    """The one-line summary of the version after ``latest`` (an application's or a store's), from the
    differences of the two snapshots as ``groups`` shows them; None when nothing differs (no version)."""
    if latest is None:
        return "first version"
    changes = snapshots.compare(groups(latest.snapshot), groups(snapshot))
    return snapshots.summary(changes) if changes else None


def write(application_id: int, *, actor, note: str, source: str) -> ApplicationVersion | None:
    # The row lock serialises version numbers (the services hold it already for options).
    app = Application.objects.select_for_update(no_key=True).filter(pk=application_id).first()
    if app is None:
        return None
    latest = ApplicationVersion.objects.filter(application=app).order_by("-number").first()
    snapshot = application_snapshot(app)
    summary = next_version_summary(latest, snapshot, display_groups)
    if summary is None:
        return None
    last_event = AuditEvent.objects.filter(application=app).aggregate(m=Max("id"))["m"] or 0
    return ApplicationVersion.objects.create(
        application=app, number=(latest.number if latest else 0) + 1, **audit.actor_fields(actor),
        source=source[:32], note=(note or "")[:NOTE_MAX], summary=summary[:500], snapshot=snapshot,
        last_event_id=last_event,
    )


def display_groups(snapshot: dict) -> dict[str, dict]:
    """A stored snapshot as the groups the compare view shows (pure: no query)."""
    general = dict(snapshot.get("general") or {})
    names = snapshot.get("names") or {}
    if "host" in general:
        general["host"] = names.get("host") or None
    if "cluster" in general:
        general["cluster"] = names.get("cluster") or None
    if "backup_server" in general:
        general["backup_server"] = names.get("backup_server") or None
    if "app_type" in general:
        general["app_type"] = names.get("type") or general["app_type"]
    groups: dict[str, dict] = {"General": {label(k): v for k, v in general.items()}}
    for section in sorted(snapshot.get("options") or {}):
        groups[f"[{section}]"] = dict(snapshot["options"][section])
    groups["Server Info"] = {port_id: port_text(p) for port_id, p in (snapshot.get("ports") or {}).items()}
    groups["Connections"] = {f"{c['server']}:{c['port_id']}": connection_text(c)
                             for c in (snapshot.get("connections") or {}).values()}
    return groups


FIELD_LABELS = {"app_type": "type", "backup_server": "backup server", "scs_controlled": "controlled by SCS",
                "service_account": "service account",
                "working_directory": "working directory"}


def label(field: str) -> str:
    return FIELD_LABELS.get(field, field)


def port_text(port: dict) -> str:
    text = f"{port['number']}" + (", TLS" if port["secured"] else "") + (", mutual TLS" if port["mutual_tls"] else "")
    if port.get("mode") and port["mode"] != "default":
        text += f", mode {port['mode']}"
    if port.get("transport_params"):
        text += f"; {port['transport_params']}"
    return text


def connection_text(c: dict) -> str:
    text = f"protocol {c['protocol']}"
    if c["protocol"] == "addp":
        text += f" (timeouts {c['addp_local_timeout']}/{c['addp_remote_timeout']} s, trace {c['addp_trace']})"
    if c["transport_params"]:
        text += f"; {c['transport_params']}"
    return text


def latest_version(app: Application) -> ApplicationVersion | None:
    return ApplicationVersion.objects.filter(application=app).order_by("-number").first()


def latest_number(app_id: int) -> int:
    return ApplicationVersion.objects.filter(application_id=app_id).aggregate(m=Max("number"))["m"] or 0
