"""Every benchmark script runs in its tiny ``--quick`` mode, so the scripts do not rot.

These are not the figures (see PERFORMANCE.md): only a check that each script still runs to the
end and prints its summary. The scripts start together, each on its own databases on the
PostgreSQL server (the test database's, or 127.0.0.1:5432) and its own Redis, and the databases
are dropped afterwards.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.conftest import require

ROOT = Path(__file__).resolve().parents[2]
PREFIX = f"bench_smoke_{os.getpid()}"
SCRIPTS = {
    "store_build": "ratio, production, JKS: keytool loop / ours",
    "pages": "target: p95",
    "sweep": "store contents checked",
    "editors": "lost updates",
    "options_scale": "target: editor requests",
    "audit": "events; targets: at most",
    "api": "targets: lists p95",
    "map": "target: map of the whole",
    "probes": "The previous design (one probe after the other",
}

pytestmark = [pytest.mark.postgres, pytest.mark.celery, pytest.mark.interop]


def postgres_server() -> str:
    """The PostgreSQL server of the test database, or the local one; without a database name."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        url = "postgres://postgres@127.0.0.1:5432/postgres"
    parts = urlsplit(url)
    return urlunsplit(("postgres", parts.netloc, "", "", ""))


def server_answers(server: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(server.replace("postgres://", "postgresql://", 1) + "/postgres", connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def drop_databases(server: str) -> None:
    import psycopg

    with psycopg.connect(server.replace("postgres://", "postgresql://", 1) + "/postgres", autocommit=True) as conn:
        names = [row[0] for row in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s",
                                                 (PREFIX + "%",))]
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """All the scripts, started at once (two cores: they overlap well); yields name → Popen."""
    server = postgres_server()
    require(server_answers(server), "PostgreSQL")
    require(shutil.which("redis-server") is not None, "redis-server")
    require(shutil.which("keytool") is not None and shutil.which("openssl") is not None, "keytool and openssl")
    out = tmp_path_factory.mktemp("benchmarks")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env["BENCH_STATIC_ROOT"] = str(out / "static")
    processes = {}
    for name in SCRIPTS:
        log = (out / f"{name}.log").open("wb")
        processes[name] = (subprocess.Popen(
            [sys.executable, f"benchmarks/{name}.py", "--quick", "--database-url", f"{server}/{PREFIX}_{name}"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True), out / f"{name}.log")
    yield processes
    for process, _log in processes.values():
        stop(process)
    drop_databases(server)


def stop(process: subprocess.Popen) -> None:
    """The script and whatever it started and still runs (gunicorn, a Celery worker, redis-server): its
    process group (each script is started in a session of its own). Killing the script alone, when a
    run of a few of these tests left the others unfinished, left those running and busy after the tests."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return  # the script and everything it started have ended
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # what did not end on SIGTERM (gunicorn's graceful timeout)
    except ProcessLookupError:
        pass
    process.wait()


HANG_GUARD_SECONDS = 420


@pytest.mark.parametrize("name", list(SCRIPTS))
def test_the_benchmark_runs_in_quick_mode_and_prints_its_figures(runs, name):
    process, log = runs[name]
    try:
        # A guard against a hung script, not a speed target: the quick runs start together and share
        # the machine's cores with the rest of the suite (on a loaded machine store_build took > 120 s).
        process.wait(timeout=HANG_GUARD_SECONDS)
    except subprocess.TimeoutExpired:
        stop(process)
        tail = log.read_text()[-3000:]
        pytest.fail(f"benchmarks/{name}.py --quick did not finish in {HANG_GUARD_SECONDS} s:\n{tail}")
    output = log.read_text(errors="replace")
    assert process.returncode == 0, output[-3000:]
    assert SCRIPTS[name] in output, output[-3000:]
