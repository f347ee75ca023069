"""Concurrent saves through a real server end as one save and conflict notices, never a 500.

gunicorn with several worker processes serves a database of its own: a temporary SQLite file with
the settings ``make run`` uses (the default database), and, when DATABASE_URL is PostgreSQL (CI), a
PostgreSQL database. Several sessions open the same form, wait for each other, and post at the same
moment; each race must end with exactly one save, a conflict banner for every other session, and no
answer of 500 or more ("database is locked" was one on SQLite). The saved value is the winner's.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from benchmarks._browser import Browser, Form

ROOT = Path(__file__).resolve().parents[2]
SESSIONS = 3  # posting at the same moment, each in its own session
ROUNDS = 2  # races per form

# Run in the server's database before it starts: the demo environment, a store holding two CAs, a
# signed-in session of seed_demo's Security officer (an Operator's rights and more) per racing
# session, and the ids the races need, printed as JSON.
SETUP = """
import json
from django.core.management import call_command
call_command("seed_demo", verbosity=0)
call_command("create_store", "Partners", "--provider", "PEM", "--path", "/opt/genesys/certs/partners.pem")
call_command("import_ca", *FILES, "--store", "Partners", verbosity=0)
from applications.models import Application, Host, Port
from security.models import TrustedStore
from django.contrib import auth
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore

def signed_in(user):
    # A session as the login page leaves it (logging in is not what these races measure).
    session = SessionStore()
    session[auth.SESSION_KEY] = str(user.pk)
    session[auth.BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[auth.HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key
app = Application.objects.get(name="Cobrowse_Node_1")
print(json.dumps({
    "host": Host.objects.get(name="cb-linux-02").pk,
    "application": app.pk,
    "port": [Port.objects.get(application__name="MessageServer", port_id="secure").application_id,
             Port.objects.get(application__name="MessageServer", port_id="secure").pk],
    "store": TrustedStore.objects.get(name="Partners").pk,
    "sessions": [signed_in(User.objects.get(username="security")) for _ in range(SESSIONS)],
}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def manage(args: list[str], env: dict[str, str]) -> str:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@contextmanager
def postgres_database():
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.skip("DATABASE_URL is not PostgreSQL (CI runs this on PostgreSQL)")
    import psycopg

    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'cobrowse'}_races_{os.getpid()}"
    admin = urlunsplit(("postgresql", parts.netloc, "/postgres", "", ""))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(("postgres", parts.netloc, f"/{name}", "", ""))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def sqlite_database(directory: Path):
    yield f"sqlite:///{directory / 'races.sqlite3'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def server(request, tmp_path, cert_files):
    """A migrated, seeded database and gunicorn (3 sync workers) serving it; yields (port, ids)."""
    require_gunicorn()
    database = sqlite_database(tmp_path) if request.param == "sqlite" else postgres_database()
    with database as url:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
        env.update({"DATABASE_URL": url, "DJANGO_DEBUG": "1", "PYTHONUNBUFFERED": "1"})
        manage(["migrate", "--noinput", "-v", "0"], env)
        files = [str(cert_files[name]) for name in ("ca.crt", "intermediate.crt")]
        output = manage(["shell", "-c", f"FILES = {files!r}\nSESSIONS = {SESSIONS}\n" + SETUP], env)
        ids = json.loads(output.strip().splitlines()[-1])
        port = free_port()
        log = (tmp_path / "gunicorn.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "cobrowse_admin.wsgi", "--workers", "3", "--bind",
             f"127.0.0.1:{port}", "--access-logfile", "-", "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for(port, process, tmp_path / "gunicorn.log")
            yield port, ids, tmp_path / "gunicorn.log"
        finally:
            process.terminate()
            process.wait(timeout=30)
            log.close()


def require_gunicorn() -> None:
    import importlib.util

    if importlib.util.find_spec("gunicorn") is None:
        pytest.fail("gunicorn is not installed (requirements.txt)")


def wait_for(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text(errors="replace")[-3000:]
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail("gunicorn did not answer within 60 s")


def race(browsers: list[Browser], path: str, *, containing: str, change) -> list:
    """Every session opens ``path``, then all post at the same moment, each its form with
    ``change(form, i)`` applied (which returns extra fields, the submit button); returns the answers,
    in session order."""
    opened = threading.Barrier(len(browsers))
    answers: list = [None] * len(browsers)

    def open_and_post(i: int) -> None:
        answer, form = browsers[i].form(path, containing=containing)
        assert answer.status == 200, (path, answer.status)
        extra = change(form, i)
        opened.wait(timeout=30)
        answers[i] = browsers[i].post(path, form, *extra)

    threads = [threading.Thread(target=open_and_post, args=(i,)) for i in range(len(browsers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return answers


def outcome(answers: list) -> tuple[int, int, list[int]]:
    """(saves, conflict notices, other statuses)."""
    saves = sum(1 for a in answers if a.status == 302)
    conflicts = sum(1 for a in answers if a.stale)
    others = [a.status for a in answers if a.status != 302 and not a.stale]
    return saves, conflicts, others


def test_concurrent_saves_end_as_one_save_and_conflict_notices_never_a_500(server):
    port, ids, log = server
    browsers = [Browser(port) for _ in range(SESSIONS)]
    for browser, session_key in zip(browsers, ids["sessions"], strict=True):
        browser.cookies["sessionid"] = session_key
    app, (server_app, port_pk), store = ids["application"], ids["port"], ids["store"]
    forms = {
        "host": (f"/hosts/{ids['host']}/edit/", "opened_version",
                 lambda f, i, r: [("description", f"racked by session {i}, round {r}")], "description"),
        "application": (f"/applications/{app}/edit/", "opened_version",
                        lambda f, i, r: [("working_directory", f"/opt/genesys/node-{r}-{i}")], "working_directory"),
        "port": (f"/applications/{server_app}/ports/{port_pk}/edit/", "opened_version",
                 lambda f, i, r: [("number", str(5000 + 10 * r + i))], "number"),
        "store": (f"/security/stores/{store}/edit/", "opened_version",
                  lambda f, i, r: [("description", f"membership and text by {i}, round {r}")], "description"),
        "options": (f"/applications/{app}/options/edit/", "revision", None, None),
    }
    results = []
    for r in range(ROUNDS):
        for kind, (path, containing, change, field) in forms.items():
            if kind == "options":
                answers = race(browsers, path, containing=containing, change=lambda f, i, r=r: new_option(f, i, r))
            else:
                def edit(form: Form, i: int, r=r, kind=kind, change=change) -> list:
                    if kind == "store":
                        toggle_member(form, i)
                    for name, value in change(form, i, r):
                        form.set(name, value)
                    return [("_save", "")]

                answers = race(browsers, path, containing=containing, change=edit)
            saves, conflicts, others = outcome(answers)
            results.append((kind, r, saves, conflicts, others))
            if field and saves == 1:
                winner = next(i for i, a in enumerate(answers) if a.status == 302)
                _answer, now = browsers[0].form(path, containing=containing)
                assert now.value(field) == dict(change(now, winner, r))[field], (kind, r)

    server_errors = [line for line in log.read_text(errors="replace").splitlines() if '" 5' in line]
    assert not server_errors, server_errors[:5]
    assert all(saves == 1 and conflicts == SESSIONS - 1 and not others for _k, _r, saves, conflicts, others
               in results), results


def toggle_member(form: Form, i: int) -> None:
    """Even sessions drop the last certificate of the store, odd ones keep them all."""
    members = form.values("certificates")
    if i % 2 == 0 and len(members) > 1:
        form.set("certificates", *members[:-1])


def new_option(form: Form, i: int, r: int) -> list:
    """A new option in the first blank row of the options editor."""
    total = int(form.value("form-TOTAL_FORMS"))
    for row in range(total):
        if not form.value(f"form-{row}-section") and not form.value(f"form-{row}-name"):
            form.set(f"form-{row}-section", "race").set(f"form-{row}-name", f"r{r}-s{i}").set(f"form-{row}-value", "1")
            return [("_save", "")]
    raise AssertionError("no blank row in the options editor")
