"""``manage.py validate``: the sweep from a shell, its summary and its exit status."""

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

BASE_DIR = Path(__file__).resolve().parents[2]


def run(*args: str) -> tuple[str, str, int]:
    from io import StringIO

    out, err = StringIO(), StringIO()
    try:
        call_command("validate", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return out.getvalue(), str(exc), exc.returncode
    return out.getvalue(), err.getvalue(), 0


def test_it_prints_the_errors_and_warnings_per_object_and_fails_when_there_are_errors(world):
    world.store("Expired", certs=("expired-ca.pem",))
    world.security(world.node1, provider="PEM")
    world.connect(world.cluster, world.message_default)

    out, err, status = run()

    # The expired store; Node 1's trusted-ca missing; neither Node has a TLS connection to run.
    assert status == 1 and err == "4 error(s) found"
    lines = out.splitlines()
    assert re.match(r"Sweep #\d+ done: 6 object\(s\) checked, 4 error\(s\), 2 warning\(s\)\.$", lines[0])
    assert "store Expired: 1 error(s), 0 warning(s)" in lines
    assert "application Cobrowse_Node_1: 2 error(s), 0 warning(s)" in lines
    assert any(line.strip().startswith("error    store.expired  ") for line in lines)


def test_it_succeeds_when_there_are_only_warnings(world):
    store = world.store("Genesys CA")
    world.security(world.node1, store=store)
    world.security(world.node2, store=store)
    world.connect(world.cluster, world.message_secure)
    world.connect(world.cluster, world.message_default)

    out, err, status = run("--wait")

    assert status == 0
    assert "0 error(s), 1 warning(s)" in out.splitlines()[0]


def manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(BASE_DIR / "manage.py"), *args], cwd=BASE_DIR, env=env,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def shell_env(tmp_path_factory) -> dict:
    db = tmp_path_factory.mktemp("validate-cli") / "db.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "REDIS_URL": "", "DJANGO_DEBUG": "1"}
    result = manage("migrate", "--noinput", env=env)
    assert result.returncode == 0, result.stderr
    return env


def test_from_a_shell_without_a_broker_it_runs_here(shell_env):
    result = manage("validate", env=shell_env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Sweep #")


def test_an_unreachable_broker_is_one_line_and_status_2(shell_env):
    env = {**shell_env, "REDIS_URL": f"redis://127.0.0.1:{closed_port()}/0"}

    result = manage("validate", "--wait", env=env)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("CommandError: cannot reach the task queue")
    assert manage("validate", "--here", env=env).returncode == 0


def test_an_unreachable_database_is_one_line_and_status_2(shell_env):
    env = {**shell_env, "DATABASE_URL": f"postgres://postgres@127.0.0.1:{closed_port()}/nowhere"}

    result = manage("validate", env=env)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("CommandError: the database is unreachable")
