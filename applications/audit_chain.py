"""The audit trail as a chain that shows tampering.

Every event carries ``seq`` (its place: 1, 2, 3, … with no gap), ``prev_hash`` (the previous
event's hash) and ``chain_hash``: an HMAC-SHA256, keyed with ``settings.AUDIT_CHAIN_KEY`` (kept out
of the database), over the event's canonical content and the previous hash. An event edited in the
database no longer matches its hash (*changed*); a deleted one leaves a gap in ``seq`` (*removed*);
one added outside the chain has no ``seq``, a duplicate one, a ``seq`` past the head, or a
``prev_hash`` that is not its predecessor's (*inserted*).

Writers take turns on one row, ``AuditChainHead``, locked with ``select_for_update`` in the
transaction that inserts the events: the **last** lock a service takes (after its own row locks and
after ``request_checks``), so it never waits for a row while holding the head. On SQLite every
transaction already begins IMMEDIATE (settings), which serialises writers the same way.

What the hash covers (``content``) is what the trail says and never changes after the write: the
time (ISO, UTC, microseconds), the actor's name, the action, the object's type, id and text, the
changes as stored (secrets in them are already "(secret changed)": never a clear value), the message
and the options revision. Not the foreign keys ``actor_id`` and ``application_id``: the database
sets them to null when the user or the application is deleted, which is not tampering; the names
stay in the hashed fields.
"""

import hmac
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.utils import timezone

from applications.models import AuditChainCheck, AuditChainHead, AuditEvent

GENESIS = "0" * 64  # the "previous hash" of event #1
FORMAT = 1  # in the hashed content: a later format can add fields without breaking older events
HASHED = ("at", "actor_name", "action", "object_type", "object_id", "object_repr", "changes", "message",
          "options_revision")
VERIFY_CHUNK = 5000


# --- pure functions -------------------------------------------------------------------------------

def iso_utc(at: datetime) -> str:
    if at.tzinfo is not UTC:  # the database gives UTC already: no conversion for 100,000 events
        at = at.astimezone(UTC)
    return at.isoformat(timespec="microseconds")


_json_value = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
_json_text = json.encoder.encode_basestring  # a str as JSON, as the encoder above writes it


def reference_content(seq: int, fields: Mapping) -> bytes:
    """The definition of the canonical bytes: JSON with sorted keys, explicit fields, no whitespace.
    ``content`` writes the same bytes faster (the tests compare them)."""
    data = {name: fields[name] for name in HASHED}
    data["at"] = iso_utc(data["at"])
    data["seq"] = seq
    data["v"] = FORMAT
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def content(seq: int, fields: Mapping) -> bytes:
    """The canonical bytes of an event (``reference_content``), written key by key in sorted order."""
    revision = fields["options_revision"]
    return (
        '{"action":' + _json_text(fields["action"])
        + ',"actor_name":' + _json_text(fields["actor_name"])
        + ',"at":"' + iso_utc(fields["at"])
        + '","changes":' + _json_value(fields["changes"])
        + ',"message":' + _json_text(fields["message"])
        + ',"object_id":' + _json_text(fields["object_id"])
        + ',"object_repr":' + _json_text(fields["object_repr"])
        + ',"object_type":' + _json_text(fields["object_type"])
        + ',"options_revision":' + ("null" if revision is None else str(int(revision)))
        + ',"seq":' + str(int(seq))
        + ',"v":' + str(FORMAT) + "}"
    ).encode()


def link_hash(key: bytes, prev_hash: str, event_content: bytes) -> str:
    return hmac.digest(key, prev_hash.encode() + b"\n" + event_content, "sha256").hex()


def chain_key() -> bytes:
    return settings.AUDIT_CHAIN_KEY.encode()


# --- writing --------------------------------------------------------------------------------------

def head_from_events() -> dict:
    """A head for a database that has none (a flushed test database, a deleted row): after the last
    chained event, so a new event never takes a ``seq`` already used."""
    last = AuditEvent.objects.filter(seq__isnull=False).order_by("-seq").values("seq", "chain_hash").first()
    return {"seq": last["seq"], "chain_hash": last["chain_hash"]} if last else {"seq": 0, "chain_hash": GENESIS}


def locked_head() -> AuditChainHead:
    """The head, locked until the transaction ends. Take it last (see the module's docstring)."""
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1, defaults=head_from_events())
    return head


def link(events: Iterable) -> None:
    """Give the events (unsaved ``AuditEvent`` instances, or dicts of attribute names for
    ``bulk_insert``) their ``seq``, ``prev_hash`` and ``chain_hash``, in order, and move the head.
    Must run in the transaction that inserts them (``transaction.atomic``), just before the insert."""
    head = locked_head()
    key = chain_key()
    seq, prev = head.seq, head.chain_hash or GENESIS
    now = timezone.now()
    for event in events:
        fields = event if isinstance(event, dict) else event.__dict__
        if fields.get("at") is None:
            fields["at"] = now
        # As the database will give it back: tuples become lists, keys strings.
        fields["changes"] = json.loads(_json_value(fields.get("changes") or {}))
        for name, default in (("actor_name", ""), ("object_id", ""), ("object_repr", ""), ("message", ""),
                              ("options_revision", None)):
            fields.setdefault(name, default)
        seq += 1
        fields["seq"], fields["prev_hash"] = seq, prev
        prev = fields["chain_hash"] = link_hash(key, prev, content(seq, fields))
    head.seq, head.chain_hash = seq, prev
    head.save(update_fields=["seq", "chain_hash"])


# --- verifying ------------------------------------------------------------------------------------

@dataclass
class Verdict:
    intact: bool
    events: int
    problem: str = ""  # AuditChainCheck.Problem
    event_id: int | None = None
    event_at: datetime | None = None
    detail: str = ""

    def sentence(self) -> str:
        if self.intact:
            return f"Audit trail intact: {self.events} event(s)."
        where = f"event {self.event_id}" + (f" ({self.event_at:%Y-%m-%d %H:%M:%S} UTC)" if self.event_at else "")
        return f"Audit trail broken at {where}: {self.problem}. {self.detail}"


def verify(*, chunk_size: int = VERIFY_CHUNK) -> Verdict:
    """Walk the chain in order, streamed, and name the first event changed, removed or inserted."""
    key = chain_key()
    # The highest seq first, then the head: an event past the head was not written through it.
    beyond = AuditEvent.objects.filter(seq__isnull=False).order_by("-seq").values_list("seq", flat=True).first() or 0
    head = AuditChainHead.objects.filter(pk=1).first()
    head_seq = head.seq if head else 0
    first: Verdict | None = None
    expected, prev, last = 0, GENESIS, None
    rows = (AuditEvent.objects.filter(seq__isnull=False, seq__lte=head_seq).order_by("seq")
            .values_list("id", "seq", "prev_hash", "chain_hash", *HASHED).iterator(chunk_size=chunk_size))
    for row in rows:
        event_id, seq, prev_hash, stored, at = row[0], row[1], row[2], row[3], row[4]
        expected += 1
        if seq != expected:
            first = Verdict(False, expected - 1, "removed", event_id, at,
                            f"Event #{seq} follows event #{expected - 1}: "
                            f"{seq - expected} event(s) before it are missing.")
            break
        intact = link_hash(key, prev_hash, content(seq, dict(zip(HASHED, row[4:], strict=True)))) == stored
        if not intact or prev_hash != prev:
            # Ids are handed out in chain order; a row whose id is past its successor's was added later.
            successor = next(rows, None)
            if successor is not None and event_id > successor[0]:
                first = Verdict(False, expected - 1, "inserted", event_id, at,
                                f"It was put into the chain at #{seq} after the events that follow it were written.")
            elif not intact:
                first = Verdict(False, expected - 1, "changed", event_id, at,
                                "Its content no longer matches its hash: it was edited after it was written.")
            else:
                first = Verdict(False, expected - 1, "inserted", event_id, at,
                                f"It does not follow event #{seq - 1}: it was put into the chain from outside.")
            break
        prev, last = stored, (event_id, at)
    if first is None and expected < head_seq:
        event_id, at = last if last else (None, None)
        first = Verdict(False, expected, "removed", event_id, at,
                        f"The chain ends at event #{expected} but its head is at #{head_seq}: the last "
                        f"{head_seq - expected} event(s) were removed.")
    if first is None and beyond > head_seq:
        event_id, at = AuditEvent.objects.filter(seq__gt=head_seq).order_by("seq").values_list("id", "at").first()
        first = Verdict(False, expected, "inserted", event_id, at,
                        f"It is numbered past the chain's head (#{head_seq}).")
    outside = AuditEvent.objects.filter(seq__isnull=True).order_by("id").values_list("id", "at").first()
    if outside and (first is None or first.event_id is None or outside[0] < first.event_id):
        first = Verdict(False, expected, "inserted", outside[0], outside[1],
                        "It is not in the chain (no place, no hash): it was written around the audit service.")
    return first or Verdict(True, expected)


def verify_and_store(*, by: str = "") -> AuditChainCheck:
    """Verify the whole chain and keep the result for the audit page."""
    started = time.monotonic()
    verdict = verify()
    return AuditChainCheck.objects.create(
        by=by[:150], intact=verdict.intact, events=verdict.events, problem=verdict.problem,
        broken_event_id=verdict.event_id, broken_event_at=verdict.event_at, detail=verdict.detail,
        seconds=round(time.monotonic() - started, 3),
    )


def chain_state() -> dict:
    """What the audit page says about the chain: the last verification and how many events were
    written since (a page view never walks the chain: 100,000 events take seconds)."""
    check = AuditChainCheck.objects.first()
    head = AuditChainHead.objects.filter(pk=1).first()
    head_seq = head.seq if head else 0
    return {"check": check, "events": head_seq,
            "written_since": max(0, head_seq - check.events) if check and check.intact else None}

