"""The audit trail's export (page and command) and the chain's state on the audit page."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from applications import audit
from applications.models import AuditChainCheck, AuditEvent

pytestmark = pytest.mark.django_db


def events(count: int, **fields) -> None:
    for i in range(count):
        audit.record(actor=fields.get("actor", "seed"), action=fields.get("action", "update"), object_type="host",
                     object_repr=fields.get("object_repr", f"host-{i}"), message=fields.get("message", ""))


def body(response) -> str:
    return b"".join(response.streaming_content).decode()


def test_the_csv_holds_every_event_the_filters_select_not_only_one_page(client_as):
    events(60, actor="alice")
    events(3, actor="bob")
    response = client_as("viewer").get(reverse("applications:audit_export", args=["csv"]), {"actor": "alice"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(body(response))))
    assert len(rows) == 60 and {r["actor"] for r in rows} == {"alice"}
    assert [int(r["seq"]) for r in rows] == sorted(int(r["seq"]) for r in rows)  # oldest first


def test_a_value_that_looks_like_a_formula_stays_text_in_the_csv(client_as):
    events(1, object_repr="=HYPERLINK(\"http://evil\")", message="+1+1")
    rows = list(csv.DictReader(io.StringIO(body(client_as("viewer").get(
        reverse("applications:audit_export", args=["csv"]))))))
    assert rows[0]["object"] == "'=HYPERLINK(\"http://evil\")"
    assert rows[0]["message"] == "'+1+1"


def test_json_lines_are_one_event_per_line_with_the_chain_fields(client_as):
    events(3, action="delete")
    events(2, action="create")
    response = client_as("viewer").get(reverse("applications:audit_export", args=["jsonl"]), {"action": "delete"})
    assert response["Content-Type"].startswith("application/x-ndjson")
    lines = body(response).splitlines()
    assert len(lines) == 3
    first = json.loads(lines[0])
    assert first["action"] == "delete" and len(first["chain_hash"]) == 64 and first["at"].endswith("+00:00")


def test_a_bad_filter_sends_back_to_the_page_with_its_error(client_as):
    client = client_as("viewer")
    response = client.get(reverse("applications:audit_export", args=["csv"]), {"since": "next tuesday"})
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200 and "Enter a valid date" in page.content.decode()


def test_an_unknown_format_is_not_found(client_as):
    assert client_as("viewer").get(reverse("applications:audit_export", args=["xlsx"])).status_code == 404


def test_the_command_keeps_the_days_asked_for(tmp_path):
    events(2)
    old = timezone.now() - timedelta(days=10)
    AuditEvent.objects.filter(pk=AuditEvent.objects.order_by("id").first().pk).update(at=old)
    out = tmp_path / "audit.jsonl"
    call_command("export_audit", "--format", "jsonl", "--since", (old + timedelta(days=1)).date().isoformat(),
                 "--out", str(out), verbosity=0)
    assert len(out.read_text().splitlines()) == 1
    call_command("export_audit", "--format", "jsonl", "--until", old.date().isoformat(), "--out", str(out),
                 verbosity=0)
    assert len(out.read_text().splitlines()) == 1


@pytest.mark.parametrize(("arguments", "said"), [
    (["--since", "2026-02-30"], '--since: expected a date like 2026-12-31, got "2026-02-30"'),
    (["--since", "2026-03-02", "--until", "2026-03-01"], "--since 2026-03-02 is after --until 2026-03-01"),
    (["--out", "/nonexistent-dir/audit.csv"], "cannot write /nonexistent-dir/audit.csv: No such file or directory"),
])
def test_the_command_says_what_is_wrong_in_one_line_and_exits_2(arguments, said, tmp_path):
    argv = ["--format", "csv", "--out", str(tmp_path / "a.csv"), *arguments]
    with pytest.raises(CommandError) as error:
        call_command("export_audit", *argv, verbosity=0)
    assert error.value.returncode == 2
    assert str(error.value) == said


def test_the_command_refuses_a_directory_and_leaves_no_partial_file(tmp_path):
    with pytest.raises(CommandError) as error:
        call_command("export_audit", "--format", "csv", "--out", str(tmp_path), verbosity=0)
    assert error.value.returncode == 2 and "is a directory" in str(error.value)
    assert list(tmp_path.iterdir()) == []


def test_the_audit_page_says_the_chain_was_not_verified_yet_then_what_the_verification_found(client_as, committed):
    events(4)
    viewer = client_as("viewer")
    page = viewer.get(reverse("applications:audit")).content.decode()
    assert "Audit trail not verified yet" in page and "Verify now" not in page
    admin = client_as("admin")
    with committed():
        response = admin.post(reverse("applications:audit_verify"))
    assert response.status_code == 302
    page = admin.get(response["Location"]).content.decode()
    assert "Audit trail intact</strong>, 4 events, verified at" in page and "by admin" in page
    assert "Verify now" in page
    events(2)
    assert "2 events written since, not yet verified" in viewer.get(reverse("applications:audit")).content.decode()

    broken = AuditEvent.objects.order_by("id")[1]
    AuditEvent.objects.filter(pk=broken.pk).update(message="nothing happened")
    with committed():
        admin.post(reverse("applications:audit_verify"))
    page = viewer.get(reverse("applications:audit")).content.decode()
    assert f"Audit trail broken at event #{broken.pk}" in page and ": changed." in page
    assert AuditChainCheck.objects.count() == 2
