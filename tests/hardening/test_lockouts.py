"""Lockouts: the page a locked-out person sees, the Users page that shows them, and the unlock.

Every lockout here is a real one, made through the login form (django-axes' own records)."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from applications.lockouts import Attempts, locked_until, lockouts_of
from applications.models import AuditEvent

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
USERS = "/users/"
WRONG = "wrong-Passw0rd-xyz"


def fail_logins(username, *, address="203.0.113.77", times=None, client=None):
    """``times`` failed logins (the limit by default) for ``username`` from ``address``; the last response."""
    client = client or Client(REMOTE_ADDR=address)
    response = None
    for _ in range(times or settings.AXES_FAILURE_LIMIT):
        response = client.post(LOGIN, {"username": username, "password": WRONG})
    return response


def unlock_url(user):
    return reverse("applications:user_unlock", args=[user.pk])


# --- the lockout page --------------------------------------------------------------------------

def test_the_lockout_page_says_what_happened_how_long_and_who_lifts_it(users):
    response = fail_logins("operator")
    assert response.status_code == 429
    text = response.content.decode()
    assert "Login locked" in text
    assert f"too many failed logins ({settings.AXES_FAILURE_LIMIT})" in text
    assert "<strong>operator</strong>" in text
    assert "15 minutes after the last failed attempt" in text
    assert "an Administrator" in text and "<em>Users</em> page" in text
    assert f'href="{LOGIN}"' in text and "Back to the login page" in text


def test_the_lockout_page_shows_no_shell_command(users):
    text = fail_logins("operator").content.decode()
    for command in ("manage.py", "axes_reset", "python", "<code>", "$ "):
        assert command not in text


def test_the_lockout_page_without_a_cool_off_says_only_an_administrator_lifts_it(users, settings):
    settings.AXES_COOLOFF_TIME = None
    text = fail_logins("operator").content.decode()
    assert "until an Administrator unlocks it" in text
    assert "minutes" not in text


def test_the_lockout_page_escapes_the_typed_name(users):
    text = fail_logins('<script>alert("x")</script>').content.decode()
    assert "<script>alert" not in text
    assert "&lt;script&gt;" in text


# --- the Users page ----------------------------------------------------------------------------

def locked_item(text, username):
    """The entry of ``username`` in the page's "Locked accounts" list ("" when absent)."""
    marker = f'data-locked="{username}"'
    return text[text.index(marker):].split("</li>")[0] if marker in text else ""


def user_row(text, username):
    return text[text.index(f'data-user="{username}"'):].split("</tr>")[0]


def test_the_users_page_shows_who_is_locked_with_count_and_time_only(users, client_as):
    fail_logins("operator", address="203.0.113.77")
    text = client_as("admin").get(USERS).content.decode()
    item = locked_item(text, "operator")
    assert f"{settings.AXES_FAILURE_LIMIT} failed logins" in item and "locked until" in item
    assert f'action="{unlock_url(users["operator"])}"' in item
    assert "badge text-bg-danger" in user_row(text, "operator")
    assert locked_item(text, "viewer") == "" and "badge" not in user_row(text, "viewer")
    # Nothing of the attempts beyond their count and time: no address, no typed password.
    assert "203.0.113.77" not in text and WRONG not in text


def test_a_name_below_the_limit_is_not_locked(users, client_as):
    fail_logins("operator", times=settings.AXES_FAILURE_LIMIT - 1)
    text = client_as("admin").get(USERS).content.decode()
    assert "badge text-bg-danger" not in text and 'id="lockouts"' not in text
    assert Client(REMOTE_ADDR="203.0.113.77").post(LOGIN, {"username": "operator",
                                                          "password": "operator-pass-123"}).status_code == 302


def test_the_users_page_counts_locked_names_that_are_no_users_without_showing_them(users, client_as):
    typed = "Operator-Secret-2026!"  # someone's password typed in the user name field
    fail_logins(typed)
    text = client_as("admin").get(USERS).content.decode()
    assert typed not in text
    assert "1 login name that does not exist is locked" in text


def test_a_lockout_from_two_addresses_says_so(users, client_as):
    fail_logins("operator", address="203.0.113.77")
    fail_logins("operator", address="198.51.100.9")
    text = client_as("admin").get(USERS).content.decode()
    assert "from 2 addresses" in text
    assert "203.0.113.77" not in text and "198.51.100.9" not in text


def test_the_lockout_ends_after_the_cool_off_and_the_page_says_so(users, client_as):
    start = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        fail_logins("operator")
        text = client_as("admin").get(USERS).content.decode()
        assert "locked until 08:15 UTC" in locked_item(text, "operator")
    with time_machine.travel(start + dt.timedelta(minutes=16), tick=False):
        text = client_as("admin").get(USERS).content.decode()
        assert "badge text-bg-danger" not in text
        ok = Client(REMOTE_ADDR="203.0.113.77").post(LOGIN, {"username": "operator", "password": "operator-pass-123"})
        assert ok.status_code == 302


# --- the unlock ---------------------------------------------------------------------------------

def test_an_administrator_unlocks_and_the_user_logs_in_again_from_the_same_address(users, client_as):
    locked_client = Client(REMOTE_ADDR="203.0.113.77")
    fail_logins("operator", client=locked_client)
    assert locked_client.post(LOGIN, {"username": "operator", "password": "operator-pass-123"}).status_code == 429

    admin = client_as("admin")
    response = admin.post(unlock_url(users["operator"]))
    assert response.status_code == 302 and response["Location"] == USERS
    page = admin.get(USERS).content.decode()
    # The try with the right password while locked counted too (and would have restarted the wait).
    assert f"Unlocked operator (locked after {settings.AXES_FAILURE_LIMIT + 1} failed logins)" in page
    assert "badge text-bg-danger" not in page

    response = locked_client.post(LOGIN, {"username": "operator", "password": "operator-pass-123"})
    assert response.status_code == 302 and response["Location"] == "/"


def test_the_unlock_is_audited_with_who_unlocked_whom_and_no_attempt_details(users, client_as):
    fail_logins("operator")
    client_as("admin").post(unlock_url(users["operator"]))
    event = AuditEvent.objects.get(action="unlock")
    assert (event.actor_name, event.object_type, event.object_repr) == ("admin", "user", "operator")
    assert event.object_id == str(users["operator"].pk)
    assert event.changes == {"login": [f"locked after {settings.AXES_FAILURE_LIMIT} failed logins", "unlocked"]}
    assert WRONG not in str(event.changes) + event.message and "203.0.113.77" not in str(event.changes)
    assert "unlock" in client_as("admin").get(reverse("applications:audit") + "?action=unlock").content.decode()


@pytest.mark.parametrize("role", ["viewer", "operator", "security"])
def test_only_an_administrator_may_unlock(users, client_as, role):
    fail_logins("operator")
    assert client_as(role).post(unlock_url(users["operator"])).status_code == 403
    assert "badge text-bg-danger" in client_as("admin").get(USERS).content.decode()
    assert not AuditEvent.objects.filter(action="unlock").exists()


def test_the_unlock_is_a_post_with_a_csrf_token(users):
    fail_logins("operator")
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["admin"])
    assert client.get(unlock_url(users["operator"])).status_code == 405
    assert client.post(unlock_url(users["operator"])).status_code == 403  # no token
    assert not AuditEvent.objects.filter(action="unlock").exists()


def test_unlocking_an_account_that_is_not_locked_changes_nothing_and_audits_nothing(users, client_as):
    client = client_as("admin")
    response = client.post(unlock_url(users["viewer"]), follow=True)
    assert "was not locked" in response.content.decode()
    assert not AuditEvent.objects.filter(action="unlock").exists()


def test_unlocking_one_account_leaves_the_others_locked(users, client_as):
    fail_logins("operator")
    fail_logins("viewer")
    client_as("admin").post(unlock_url(users["operator"]))
    text = client_as("admin").get(USERS).content.decode()
    assert locked_item(text, "viewer") and not locked_item(text, "operator")
    assert "badge text-bg-danger" in user_row(text, "viewer")
    assert User.objects.get(username="viewer").is_active


# --- the rule, as a pure function ----------------------------------------------------------------

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
COOL = dt.timedelta(minutes=15)


def minutes_ago(n):
    return NOW - dt.timedelta(minutes=n)


def test_locked_when_the_recent_failures_reach_the_limit():
    assert locked_until([(minutes_ago(1), 5)], limit=5, cool_off=COOL, now=NOW) == minutes_ago(1) + COOL
    assert locked_until([(minutes_ago(1), 4)], limit=5, cool_off=COOL, now=NOW) is False
    assert locked_until([(minutes_ago(16), 9)], limit=5, cool_off=COOL, now=NOW) is False


def test_the_lockout_ends_when_the_row_that_reached_the_limit_leaves_the_cool_off():
    # Two browsers from one address: 3 failures 10 minutes ago, 2 a minute ago.
    rows = [(minutes_ago(10), 3), (minutes_ago(1), 2)]
    assert locked_until(rows, limit=5, cool_off=COOL, now=NOW) == minutes_ago(10) + COOL
    assert locked_until(rows, limit=2, cool_off=COOL, now=NOW) == minutes_ago(1) + COOL


def test_without_a_cool_off_a_lockout_lasts_until_lifted():
    assert locked_until([(minutes_ago(600), 5)], limit=5, cool_off=None, now=NOW) is None


def test_lockouts_are_per_name_and_address():
    attempts = [
        Attempts("operator", "10.0.0.1", 3, minutes_ago(2)),
        Attempts("operator", "10.0.0.2", 3, minutes_ago(1)),  # 6 in all, but 3 from each address
        Attempts("viewer", "10.0.0.1", 5, minutes_ago(3)),
        Attempts("viewer", "10.0.0.2", 5, minutes_ago(4)),
    ]
    locked = lockouts_of(attempts, limit=5, cool_off=COOL, now=NOW)
    assert set(locked) == {"viewer"}
    assert locked["viewer"].addresses == 2 and locked["viewer"].failures == 10
    assert locked["viewer"].until == minutes_ago(3) + COOL and locked["viewer"].last_at == minutes_ago(3)
