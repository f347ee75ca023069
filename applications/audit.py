"""Audit events: written by the services, in the same transaction as the change they describe.

Every write goes through ``record``, ``record_many`` or ``record_rows``: they chain the events
(``applications.audit_chain``), which locks the chain's head until the transaction ends. Call them
after the service's other writes (``request_checks`` included), so the head is its last lock.
"""

from typing import Any

from django.db import transaction

from applications import audit_chain
from applications.bulk import bulk_insert
from applications.models import Application, AuditEvent

SECRET_CHANGED = "(secret changed)"


def record(**fields) -> AuditEvent:
    """Write one audit event; ``fields`` are those of ``event``."""
    audit_event = event(**fields)
    with transaction.atomic():
        audit_chain.link([audit_event])
        audit_event.save(force_insert=True)
    return audit_event


def record_many(events: list[AuditEvent]) -> list[AuditEvent]:
    """Write events made with ``event`` in one insert (an import of a hundred certificates)."""
    with transaction.atomic():
        audit_chain.link(events)
        return AuditEvent.objects.bulk_create(events)


def record_rows(rows: list[dict]) -> None:
    """Write events given as dicts of attribute names (``application_id``), through ``bulk_insert``
    (PostgreSQL COPY for the 20,000 events of a large import): chained in Python, the head locked
    once for the batch."""
    if not rows:
        return
    with transaction.atomic():
        audit_chain.link(rows)
        bulk_insert(AuditEvent, rows)


def event(
    *,
    actor,
    action: str,
    object_type: str,
    obj: Any = None,
    object_repr: str = "",
    application: Application | None = None,
    changes: dict | None = None,
    message: str = "",
    options_revision: int | None = None,
) -> AuditEvent:
    """An unsaved audit event."""
    return AuditEvent(
        **actor_fields(actor),
        action=action,
        object_type=object_type,
        object_id=str(getattr(obj, "pk", "") or ""),
        object_repr=(object_repr or (str(obj) if obj is not None else ""))[:500],
        application=application,
        changes=changes or {},
        message=message,
        options_revision=options_revision,
    )


def actor_fields(actor) -> dict:
    """``actor_id`` and ``actor_name`` of an event by ``actor`` (a user, or a command's name), worked out
    once for the thousands of events of a large import."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    return {
        "actor_id": user.pk if user else None,
        "actor_name": user.get_username() if user else (actor if isinstance(actor, str) else "system"),
    }


def field_changes(before: dict, after: dict) -> dict[str, list]:
    """``{field: [old, new]}`` for the fields whose value differs."""
    return {key: [before.get(key), after[key]] for key in after if before.get(key) != after[key]}


def snapshot(instance, fields: list[str]) -> dict:
    """Plain JSON-able values of ``fields`` (foreign keys as their text)."""
    values = {}
    for name in fields:
        value = getattr(instance, name)
        if hasattr(value, "pk"):
            value = str(value)
        values[name] = value
    return values
