"""The calendar feed (RFC 5545, parsed back with icalendar) at a secret URL that can be revoked, and the
commands: notification_channel add/list and send_notifications, with one-line errors."""

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse
from icalendar import Calendar

from notifications.models import CalendarToken, Channel
from tests.notifications.conftest import SECRET
from tests.notifications.helpers import utc
from tests.notifications.world import ROOT_END, estate

pytestmark = pytest.mark.django_db
BASE_DIR = Path(__file__).resolve().parents[2]


def test_the_calendar_feed_has_each_expiry_with_the_tiers_as_alarms(client_as, users, links):
    with time_machine.travel(utc(2031, 1, 1), tick=False):
        estate()
    viewer = client_as("viewer")
    page = viewer.post(reverse("notifications:mine"), {"action": "calendar_new"})
    url = re.search(rb'value="(https://console.example.test/notifications/calendar/[^"]+\.ics)"', page.content)
    path = url.group(1).decode().removeprefix("https://console.example.test")
    token = path.rsplit("/", 1)[1].removesuffix(".ics")
    assert token not in CalendarToken.objects.get().digest  # only its digest is kept
    assert token.encode() not in viewer.get(reverse("notifications:mine")).content  # shown once
    anonymous = client_as(None)
    feed = anonymous.get(path)
    assert feed.status_code == 200 and feed["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(feed.content)
    events = {str(e["summary"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {"Certificate expires: Partner Root CA", "Certificate expires: Partner Issuing CA"}
    intermediate = events["Certificate expires: Partner Issuing CA"]
    assert intermediate.decoded("dtstart") == ROOT_END  # with its root, not its own end
    triggers = sorted(a.decoded("trigger") for a in intermediate.walk("VALARM"))
    assert triggers == [-dt.timedelta(days=d) for d in (60, 30, 14, 7, 1)] + [dt.timedelta(0)]
    # Revoked: the same URL is a 404, like one that never existed.
    client_as("viewer").post(reverse("notifications:mine"), {"action": "calendar_revoke"})
    assert not CalendarToken.objects.exists()
    anonymous = client_as(None)
    assert anonymous.get(path).status_code == 404
    assert anonymous.get("/notifications/calendar/cal_nothing.ics").status_code == 404


def test_channel_commands(tmp_path, capsys, settings):
    settings.EMAIL_HOST = ""
    call_command("notification_channel", "add", "email", "ops@example.test", "--events", "expiry,resolved")
    secret = tmp_path / "secret"
    secret.write_text(SECRET + "\n")
    call_command("notification_channel", "add", "webhook", "https://hooks.example.test/x", "--secret-file", str(secret))
    call_command("notification_channel", "list")
    out = capsys.readouterr().out
    assert "email\tops@example.test\tevents: expiry, resolved\tenabled, not configured" in out
    assert "webhook\thttps://hooks.example.test/x\tevents: all\tenabled" in out
    assert SECRET not in out
    assert Channel.objects.count() == 2
    for args, message in [
        (["add", "email", "not-an-address"], "'not-an-address' is not an email address"),
        (["add", "webhook", "https://h.example.test/"], "a webhook needs --secret-file F"),
        (["add", "webhook", "https://h.example.test/", "--secret-file", str(tmp_path / "missing")], "does not exist"),
        (["add", "email", "a@example.test", "--events", "expiry,bogus"], "unknown event kind(s) bogus"),
    ]:
        with pytest.raises(CommandError, match=re.escape(message)):
            call_command("notification_channel", *args)
    short = tmp_path / "short"
    short.write_text("tiny\n")
    with pytest.raises(CommandError, match="at least 16 characters"):
        call_command("notification_channel", "add", "webhook", "https://h.example.test/", "--secret-file", str(short))
    assert Channel.objects.count() == 2


def test_send_notifications_exits_0_and_bad_input_is_one_line(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=BASE_DIR, env=env, check=True)
    sent = subprocess.run([sys.executable, "manage.py", "send_notifications"], cwd=BASE_DIR, env=env,
                          capture_output=True, text=True)
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout.strip() == "0 new notice(s), 0 delivery(ies) queued; sent 0, retrying 0, failed 0."
    bad = subprocess.run([sys.executable, "manage.py", "notification_channel", "add", "email", "nope"], cwd=BASE_DIR,
                         env=env, capture_output=True, text=True)
    assert bad.returncode == 1 and bad.stderr.strip() == "CommandError: 'nope' is not an email address"
