"""The audit trail shows tampering: an event edited, deleted or inserted in the database is named by
``verify_audit`` (SQLite by default, PostgreSQL with DATABASE_URL)."""

import hashlib
import importlib

import pytest
from django.apps import apps as django_apps
from django.core.management import CommandError, call_command
from django.db import connection

from applications import audit, audit_chain, services
from applications.audit_chain import GENESIS, content, verify
from applications.forms import HostForm
from applications.models import AuditChainCheck, AuditChainHead, AuditEvent
from applications.options import OptionChange, options_apply

pytestmark = pytest.mark.django_db


def write_events(users, count: int = 5) -> list[AuditEvent]:
    for i in range(count):
        audit.record(actor=users["operator"], action="update", object_type="host",
                     object_repr=f"host-{i}", changes={"address": [f"10.0.0.{i}", f"10.0.1.{i}"]})
    return list(AuditEvent.objects.order_by("seq"))


def verify_command() -> tuple[int, str]:
    try:
        call_command("verify_audit", verbosity=0)
    except CommandError as exc:
        return exc.returncode, str(exc)
    return 0, ""


def test_the_services_write_one_unbroken_chain(users, env):
    form = HostForm({"name": "edge-01", "address": "10.1.1.1", "os_type": "linux"})
    assert form.is_valid(), form.errors
    services.save_object(form=form, actor=users["operator"])
    options_apply(application=env.chat, actor=users["operator"],
                  changes=[OptionChange("log", "verbose", "debug"), OptionChange("log", "all", "stdout")])
    events = list(AuditEvent.objects.order_by("id"))
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert [e.prev_hash for e in events] == [GENESIS] + [e.chain_hash for e in events[:-1]]
    assert AuditChainHead.objects.get(pk=1).seq == len(events)
    assert verify().intact
    assert verify_command() == (0, "")


def test_a_large_options_batch_is_chained_in_one_go(users, env):
    # 600 events: PostgreSQL writes them through COPY (applications.bulk), SQLite through bulk_create.
    changes = [OptionChange("bulk", f"option-{i:04d}", f"value {i}") for i in range(600)]
    assert options_apply(application=env.chat, actor=users["operator"], changes=changes) == 600
    seqs = list(AuditEvent.objects.order_by("id").values_list("seq", flat=True))
    assert seqs == list(range(1, 601))
    assert verify().intact


def test_an_event_edited_in_the_database_is_named_as_changed(users):
    events = write_events(users)
    AuditEvent.objects.filter(pk=events[2].pk).update(changes={"address": ["10.0.0.2", "10.6.6.6"]})
    verdict = verify()
    assert (verdict.intact, verdict.problem, verdict.event_id) == (False, "changed", events[2].pk)
    code, message = verify_command()
    assert code == 1
    assert f"event {events[2].pk} (" in message and ": changed." in message


def test_an_edit_with_the_hash_recomputed_without_the_key_is_still_caught(users):
    # Someone with write access to the database and the code, but not AUDIT_CHAIN_KEY.
    events = write_events(users)
    target = AuditEvent.objects.get(pk=events[1].pk)
    target.actor_name = "someone-else"
    fields = {name: getattr(target, name) for name in audit_chain.HASHED}
    forged = hashlib.sha256(target.prev_hash.encode() + b"\n" + content(target.seq, fields)).hexdigest()
    AuditEvent.objects.filter(pk=target.pk).update(actor_name="someone-else", chain_hash=forged)
    AuditEvent.objects.filter(pk=events[2].pk).update(prev_hash=forged)
    verdict = verify()
    assert (verdict.problem, verdict.event_id) == ("changed", events[1].pk)


def test_an_event_deleted_in_the_database_is_named_as_removed(users):
    events = write_events(users)
    AuditEvent.objects.filter(pk=events[2].pk).delete()
    verdict = verify()
    # The event after the gap is named: the deleted one is gone.
    assert (verdict.problem, verdict.event_id) == ("removed", events[3].pk)
    assert "1 event(s) before it are missing" in verdict.detail
    assert verify_command()[0] == 1


def test_the_last_event_deleted_is_named_as_removed(users):
    events = write_events(users)
    AuditEvent.objects.filter(pk=events[-1].pk).delete()
    verdict = verify()
    assert (verdict.problem, verdict.event_id) == ("removed", events[-2].pk)
    assert "the last 1 event(s) were removed" in verdict.detail


def test_an_event_inserted_around_the_audit_service_is_named_as_inserted(users):
    write_events(users)
    AuditEvent.objects.bulk_create([AuditEvent(actor_name="admin", action="delete", object_type="host",
                                               object_repr="nothing to see")])
    forged = AuditEvent.objects.order_by("-id").first()
    verdict = verify()
    assert (verdict.problem, verdict.event_id) == ("inserted", forged.pk)
    code, message = verify_command()
    assert code == 1 and f"event {forged.pk}" in message and "inserted" in message


def test_an_event_inserted_into_the_middle_of_the_chain_is_named_as_inserted(users):
    events = write_events(users)
    # Make room at #3 (highest first: seq is unique), then insert a row there that links to #2.
    for event in reversed(events[2:]):
        AuditEvent.objects.filter(pk=event.pk).update(seq=event.seq + 1)
    AuditChainHead.objects.filter(pk=1).update(seq=len(events) + 1)
    forged = AuditEvent.objects.create(seq=3, prev_hash=events[1].chain_hash, chain_hash="f" * 64,
                                       actor_name="admin", action="delete", object_type="host")
    verdict = verify()
    assert (verdict.problem, verdict.event_id) == ("inserted", forged.pk)


def test_an_event_numbered_past_the_head_is_named_as_inserted(users):
    events = write_events(users)
    forged = AuditEvent.objects.create(seq=len(events) + 1, prev_hash=events[-1].chain_hash, chain_hash="e" * 64,
                                       actor_name="admin", action="delete", object_type="host")
    verdict = verify()
    assert (verdict.problem, verdict.event_id) == ("inserted", forged.pk)


def test_the_verification_is_kept_for_the_audit_page(users):
    write_events(users, 3)
    assert verify_command() == (0, "")
    check = AuditChainCheck.objects.get()
    assert (check.intact, check.events, check.by) == (True, 3, "verify_audit")


def test_events_written_before_the_chain_existed_are_chained_by_the_migration(users):
    AuditEvent.objects.bulk_create([AuditEvent(actor_name="old", action="update", object_type="host",
                                               object_repr=f"h{i}", changes={"n": [i, i + 1]}) for i in range(4)])
    AuditChainHead.objects.all().delete()
    assert not verify().intact
    migration = importlib.import_module("applications.migrations.0010_audit_chain_existing_events")
    migration.chain_existing(django_apps, connection.schema_editor())
    assert list(AuditEvent.objects.order_by("id").values_list("seq", flat=True)) == [1, 2, 3, 4]
    assert verify().intact
    audit.record(actor="test", action="update", object_type="host")  # and the chain goes on from there
    assert verify() == audit_chain.Verdict(True, 5)


def test_a_head_row_lost_is_rebuilt_after_the_last_event(users):
    write_events(users, 2)
    AuditChainHead.objects.all().delete()
    audit.record(actor="test", action="update", object_type="host")
    assert AuditEvent.objects.order_by("-id").first().seq == 3


def test_a_secret_never_reaches_the_hash_input_or_the_export(users, env, tmp_path):
    options_apply(application=env.chat, actor=users["security"],
                  changes=[OptionChange("security", "truststore-password", "Very-S3cret-Value")])
    hashed = b"".join(content(e.seq, {n: getattr(e, n) for n in audit_chain.HASHED})
                      for e in AuditEvent.objects.all())
    assert b"Very-S3cret-Value" not in hashed
    assert audit.SECRET_CHANGED.encode() in hashed
    for fmt in ("csv", "jsonl"):
        out = tmp_path / f"audit.{fmt}"
        call_command("export_audit", "--format", fmt, "--out", str(out), verbosity=0)
        text = out.read_text()
        assert "truststore-password" in text and "Very-S3cret-Value" not in text


def test_the_chain_key_is_what_makes_the_hash(users, settings):
    write_events(users, 2)
    settings.AUDIT_CHAIN_KEY = "another key"
    assert verify().problem == "changed"


def test_an_application_deleted_later_does_not_break_the_chain(users, env):
    options_apply(application=env.chat, actor=users["operator"], changes=[OptionChange("log", "verbose", "debug")])
    assert AuditEvent.objects.filter(application=env.chat).exists()
    env.chat.delete()  # the events' application link becomes null: not tampering
    assert verify().intact


@pytest.mark.parametrize("fields", [
    {"actor_name": "", "action": "update", "object_type": "host", "object_id": "", "object_repr": "",
     "changes": {}, "message": "", "options_revision": None},
    {"actor_name": "zoë \"quoted\"", "action": "import", "object_type": "option", "object_id": "12",
     "object_repr": "[log] all\\path\n\u2028\x00", "message": "line\tbreak ✓ 🙂",
     "changes": {"b": [None, 1], "a": {"z": [1.5, True], "é": "x"}, "value": ["(secret changed)", None]},
     "options_revision": 7},
])
def test_the_fast_canonical_form_is_the_reference_json(fields):
    from datetime import UTC, datetime, timedelta, timezone

    for at in (datetime(2026, 12, 3, 13, 1, 2, 345678, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC),
               datetime(2026, 6, 1, 2, 0, tzinfo=timezone(timedelta(hours=2)))):
        assert content(42, {**fields, "at": at}) == audit_chain.reference_content(42, {**fields, "at": at})


def test_the_time_an_event_is_hashed_with_is_the_time_it_is_saved_with():
    """``at`` is given before hashing and kept on save: an ``auto_now_add`` would replace it on insert."""
    field = AuditEvent._meta.get_field("at")
    assert not field.auto_now_add and not field.auto_now
