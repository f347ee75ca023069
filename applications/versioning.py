"""Versions of what an edit form shows, so that a save made from an old page changes nothing.

Every form that writes carries the version of the object it was opened on. The service that saves
reads the object again inside its transaction, under a row lock (``select_for_update``; on SQLite
the ``BEGIN IMMEDIATE`` transaction holds the database's write lock), and when the version differs
it raises ``EditConflict`` before writing anything. The views turn that exception into one banner
(``templates/_edit_conflict.html``): who changed what since, when, a Reload link, the operator's
entries kept on the page. The command line passes no version (``None``: unconditional).

A version is ``<digest>.<event id>``:
- the digest is a keyed hash of the saved state *the form edits* (its fields as stored, foreign
  keys as ids, plus what the form edits beside the row: a store's ordered members and its password
  token, a user's role and password hash). Only a change to that state is a conflict; the digest
  is keyed with the secret key, so it tells nothing about a password hash or token in it;
- the event id is the newest audit event about the object when the form was opened. It decides
  nothing: it only lets the banner list the events since.

Computed, not stored: no version column on the models, and it works for Django's ``User`` too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import Max, Model, Q
from django.utils.crypto import salted_hmac

from applications.models import AuditEvent

# The hidden field of every edit form and delete confirmation.
VERSION_FIELD = "opened_version"
# At most this many events are listed in the banner (the newest are kept).
EVENTS_SHOWN = 20


@dataclass(frozen=True)
class Version:
    digest: str
    seen_event: int

    def __str__(self) -> str:
        return f"{self.digest}.{self.seen_event}"

    @classmethod
    def parse(cls, text: str | None) -> Version | None:
        """The version a form sent back; None when missing or garbled (which is never current)."""
        digest, dot, event = (text or "").strip().partition(".")
        if not dot or len(digest) != 16 or not all(c in "0123456789abcdef" for c in digest):
            return None
        if not event.isascii() or not event.isdigit() or len(event) > 18:
            return None
        return cls(digest, int(event))


class EditConflict(Exception):
    """The object changed since the form was opened; nothing was saved.

    ``what`` names the object for the banner ("the host core-01"); ``events`` are the audit events
    about it since the form was opened, oldest first; ``current_version`` is the version now (what
    a reloaded form would carry)."""

    def __init__(self, *, what: str, events: list[AuditEvent], current_version: str = ""):
        self.what = what
        self.events = events
        self.current_version = current_version
        super().__init__(f"Changed by someone else since it was opened: {what}. Nothing was saved.")


def state_digest(state: Mapping) -> str:
    """A short keyed digest of a JSON-able state."""
    payload = json.dumps(state, sort_keys=True, default=str, ensure_ascii=True)
    return salted_hmac("applications.versioning", payload, algorithm="sha256").hexdigest()[:16]


def column_state(instance: Model, fields: list[str]) -> dict:
    """The stored values of ``fields``: a foreign key as its id, so renaming the host of an
    application is not a change of the application."""
    state = {}
    for name in fields:
        field = instance._meta.get_field(name)
        state[name] = getattr(instance, field.attname)
    return state


def about(object_type: str, object_id) -> Q:
    """The audit events about one object."""
    return Q(object_type=object_type, object_id=str(object_id))


def latest_event_id(events_about: Q) -> int:
    return AuditEvent.objects.filter(events_about).aggregate(latest=Max("id"))["latest"] or 0


def version(state: Mapping, events_about: Q) -> str:
    """The version a form opened now carries. The event id is read first: an event written while
    the state is read is listed again rather than missed."""
    seen = latest_event_id(events_about)
    return str(Version(state_digest(state), seen))


def events_since(events_about: Q, seen_event: int | None) -> list[AuditEvent]:
    """The events about the object after ``seen_event`` (the newest few when that is unknown)."""
    events = AuditEvent.objects.filter(events_about)
    if seen_event is not None:
        events = events.filter(id__gt=seen_event)
    newest = list(events.order_by("-id")[:EVENTS_SHOWN])
    return newest[::-1]


def check(*, expected: str | None, state: Mapping, events_about: Q, what: str) -> None:
    """Raise ``EditConflict`` unless ``expected`` is the version of ``state`` (read under the lock).

    ``expected`` None saves unconditionally (the command line, the demo data)."""
    if expected is None:
        return
    sent = Version.parse(expected)
    digest = state_digest(state)
    if sent is not None and sent.digest == digest:
        return
    raise EditConflict(
        what=what,
        events=events_since(events_about, sent.seen_event if sent else None),
        current_version=str(Version(digest, latest_event_id(events_about))),
    )


def options_events_since(application, revision: int) -> list[AuditEvent]:
    """The options changes of an application after its options revision ``revision``."""
    events = AuditEvent.objects.filter(application=application, object_type="option", options_revision__gt=revision)
    return list(events.order_by("-id")[:50])[::-1]


def posted_version(request) -> str:
    """The version a form posted; an empty text (never current) when the field is missing."""
    return request.POST.get(VERSION_FIELD, "")
