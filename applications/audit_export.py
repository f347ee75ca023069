"""The audit trail as CSV or JSON Lines, with the audit page's filters, streamed.

Rows are read with ``.iterator(chunk_size)`` (a server-side cursor on PostgreSQL) and written one by
one, so memory stays flat however many events there are: the page's download and
``manage.py export_audit`` use the same generators. Events are written oldest first (id order).
Secret values never reach the trail (the services record "(secret changed)"), so neither the export
nor the hash ever holds one.
"""

import csv
import json
from collections.abc import Iterator
from datetime import date

from django.db.models import Q, QuerySet

from applications.audit_chain import iso_utc
from applications.text import FORMULA_STARTS

_json = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode

CHUNK = 2000
# Columns a person or a writer of the database chose; the others are numbers, times and hashes.
TEXT_COLUMNS = ("actor", "action", "object_type", "object_id", "object", "application", "message")
COLUMNS = ["id", "seq", "at", "actor", "action", "object_type", "object_id", "object", "application",
           "changes", "message", "options_revision", "prev_hash", "chain_hash"]
FIELDS = ["id", "seq", "at", "actor_name", "action", "object_type", "object_id", "object_repr",
          "application__name", "changes", "message", "options_revision", "prev_hash", "chain_hash"]


def filter_events(events: QuerySet, data: dict) -> QuerySet:
    """The audit page's filters (``AuditFilterForm.cleaned_data``; absent keys filter nothing)."""
    if data.get("q"):
        events = events.filter(Q(object_repr__icontains=data["q"]) | Q(message__icontains=data["q"]))
    if data.get("actor"):
        events = events.filter(actor_name__icontains=data["actor"])
    if data.get("object_type"):
        events = events.filter(object_type=data["object_type"])
    if data.get("action"):
        events = events.filter(action=data["action"])
    if data.get("since"):
        events = events.filter(at__date__gte=data["since"])
    if data.get("until"):
        events = events.filter(at__date__lte=data["until"])
    return events


def export_rows(events: QuerySet) -> Iterator[dict]:
    for values in events.order_by("id").values_list(*FIELDS).iterator(chunk_size=CHUNK):
        row = dict(zip(COLUMNS, values, strict=True))
        row["at"] = iso_utc(row["at"])
        yield row


class _Echo:
    def write(self, value):
        return value


def csv_lines(events: QuerySet) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(COLUMNS)
    for row in export_rows(events):
        row["changes"] = _json(row["changes"])  # an object: starts with "{", never a formula
        for name in TEXT_COLUMNS:  # csv_cell, on the columns that need it (100,000 rows)
            text = row[name]
            if text and text[0] in FORMULA_STARTS:
                row[name] = "'" + text
        yield writer.writerow([row[name] for name in COLUMNS])


def jsonl_lines(events: QuerySet) -> Iterator[str]:
    for row in export_rows(events):
        yield json.dumps(row, ensure_ascii=False) + "\n"


FORMATS = {"csv": (csv_lines, "text/csv; charset=utf-8"),
           "jsonl": (jsonl_lines, "application/x-ndjson; charset=utf-8")}


def filename(fmt: str, today: date) -> str:
    return f"audit-trail-{today:%Y-%m-%d}.{fmt}"
