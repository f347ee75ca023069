"""A refused request (403) is one log line: who, what, where, and the role it needed; no traceback.

Over HTTP with the test client (each refusal yields exactly one record), through the 403 handler with
paths an attacker chooses (no forged line or field), and through a real ``runserver`` as ``make run``
starts it (what the newcomer reads in the terminal)."""

import http.cookiejar
import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from applications.roles import ADMINISTRATOR, RoleRequired
from cobrowse_admin.forbidden import forbidden_line, handler403, log_value

ROOT = Path(__file__).resolve().parents[2]


def refusals(env):
    return [
        ("viewer", "GET", reverse("applications:user_list"), "Administrator"),
        ("security", "POST", reverse("applications:user_new"), "Administrator"),
        ("viewer", "POST", reverse("applications:user_unlock", args=[env.users["operator"].pk]), "Administrator"),
        ("viewer", "POST", reverse("applications:host_new"), "Operator"),
        ("viewer", "POST", reverse("applications:mark_restarted", args=[env.node.pk]), "Operator"),
        ("operator", "GET", reverse("security:certificate_upload"), "Security officer"),
        ("operator", "POST", reverse("security:store_new"), "Security officer"),
        # The Security tab: every role reads it, only a Security officer saves (a check inside the view).
        ("operator", "POST", reverse("security:section", args=[env.node.pk]), "Security officer"),
    ]


def test_each_refusal_is_exactly_one_record_without_a_traceback(env, client_as, caplog):
    caplog.set_level(logging.DEBUG)
    for username, method, url, needs in refusals(env):
        client = client_as(username)
        caplog.clear()
        response = client.get(url) if method == "GET" else client.post(url, {})
        assert response.status_code == 403, (username, method, url)
        loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(loud) == 1, (url, [r.getMessage() for r in loud])
        record = loud[0]
        assert record.name == "cobrowse_admin.forbidden"
        expected = f"forbidden user={username} method={method} path={log_value(url)} needs={log_value(needs)}"
        assert record.getMessage() == expected
        assert all(r.exc_info is None for r in caplog.records), url
        assert not any("Permission denied" in r.getMessage() for r in caplog.records), url


def test_the_line_names_the_role_in_a_form_a_reader_can_split(env, client_as, caplog):
    caplog.set_level(logging.WARNING)
    client_as("operator").get(reverse("security:certificate_upload"))
    (record,) = caplog.records
    assert record.getMessage() == ('forbidden user=operator method=GET path=/security/certificates/upload/ '
                                   'needs="Security officer"')


def test_the_403_page_still_says_what_role_is_needed(env, client_as):
    response = client_as("viewer").get(reverse("applications:user_list"))
    assert b"This needs the Administrator role." in response.content


def test_a_csrf_refusal_keeps_djangos_one_line(env, caplog):
    caplog.set_level(logging.DEBUG)
    client = Client(enforce_csrf_checks=True)
    client.force_login(env.users["operator"])
    response = client.post(reverse("applications:host_new"), {})
    assert response.status_code == 403
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in loud] == ["Forbidden (CSRF cookie not set.): /hosts/new/"]
    assert loud[0].exc_info is None


@pytest.mark.parametrize("path", [
    "/users/\n2026-01-01 00:00:00,000 WARNING cobrowse_admin.forbidden: forbidden user=admin",
    "/users/ needs=Viewer user=admin",
    '/users/"quoted"\\back',
    "/users/\u2028\u0000\x1b[31mred",
])
def test_a_path_cannot_forge_a_line_or_a_field(users, caplog, path):
    caplog.set_level(logging.WARNING)
    request = RequestFactory().get("/")
    request.path = path
    request.user = users["viewer"]
    response = handler403(request, RoleRequired(ADMINISTRATOR))
    assert response.status_code == 403
    (record,) = caplog.records
    line = record.getMessage()
    assert line.isprintable() and line.isascii(), line
    fields = re.fullmatch(r'forbidden user=viewer method=GET path=("(?:[^"\\]|\\.)*") needs=Administrator', line)
    assert fields, line
    assert json.loads(fields.group(1)) == path


def test_values_are_bare_when_plain_and_quoted_otherwise():
    assert log_value("/applications/12/options/") == "/applications/12/options/"
    assert log_value("Security officer") == '"Security officer"'
    assert log_value("a=b") == '"a=b"'
    assert log_value("") == '""'
    assert forbidden_line(username="", method="GET", path="/x/", needs="", reason="Not you.") == \
        'forbidden user=- method=GET path=/x/ needs=- reason="Not you."'


# --- a real runserver, as `make run` starts it ----------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(*args, env):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True, timeout=120)


def test_runserver_prints_one_line_per_refusal_and_no_traceback(tmp_path):
    env = {**os.environ, "DJANGO_DEBUG": "1", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
           "PYTHONUNBUFFERED": "1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    manage("migrate", "--noinput", "-v0", env=env)
    manage("shell", "-c", "from django.contrib.auth.models import Group, User; "
           "viewer = User.objects.create_user('viewer', password='viewer-pass-123'); "
           "viewer.groups.add(Group.objects.get(name='Viewer'))", env=env)
    port = free_port()
    server = subprocess.Popen([sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        deadline = time.monotonic() + 30
        while True:
            try:
                opener.open(f"{base}/accounts/login/", timeout=5)
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, "runserver did not start"
                time.sleep(0.2)
        token = next(c.value for c in jar if c.name == "csrftoken")
        form = f"csrfmiddlewaretoken={token}&username=viewer&password=viewer-pass-123".encode()
        opener.open(urllib.request.Request(f"{base}/accounts/login/", data=form), timeout=10)
        token = next(c.value for c in jar if c.name == "csrftoken")  # a new one after the login
        for url, data in ((f"{base}/users/", None), (f"{base}/hosts/new/", b"name=x")):
            request = urllib.request.Request(url, data=data, headers={"X-CSRFToken": token})
            with pytest.raises(urllib.error.HTTPError) as refused:
                opener.open(request, timeout=10)
            assert refused.value.code == 403
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert "Traceback" not in output and "Permission denied" not in output, output
    users_lines = [line for line in output.splitlines() if "/users/" in line]
    assert len(users_lines) == 1, output
    assert users_lines[0].endswith(
        "WARNING cobrowse_admin.forbidden: forbidden user=viewer method=GET path=/users/ needs=Administrator")
    hosts_lines = [line for line in output.splitlines() if "/hosts/new/" in line]
    assert len(hosts_lines) == 1, output
    assert hosts_lines[0].endswith("forbidden user=viewer method=POST path=/hosts/new/ needs=Operator")
    # The other requests keep runserver's access line.
    assert re.search(r'"POST /accounts/login/ HTTP/1.1" 302', output), output
