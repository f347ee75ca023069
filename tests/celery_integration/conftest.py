"""A real Redis and real Celery workers for the integration tests.

- Redis: a ``redis-server`` started here on a free port (never the shared one on 6379), so a test
  can stop it to show what happens when the broker is unreachable.
- Workers: ``celery -A cobrowse_admin worker --pool=solo`` child processes, pointed at that Redis
  and at the test database (``DATABASE_URL`` built from the test connection), started and killed
  by the tests. The tests use committed transactions (``transactional_db``) so the worker sees the
  data; on SQLite the test database is a file for the same reason.
- This process (the "web side") sends tasks to that Redis instead of running them in-process.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from kombu import pools

from cobrowse_admin.celery import app as celery_app
from tests.conftest import require

BASE_DIR = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server")

pytestmark = pytest.mark.celery


def use_a_file_for_the_sqlite_test_database() -> None:
    """The workers are other processes: an in-memory SQLite test database is invisible to them.

    Runs when this directory is collected, before pytest-django creates the test database, so the
    whole session then uses a file (removed at the end). PostgreSQL needs nothing of the kind."""
    if connection.vendor == "sqlite":
        name = Path(tempfile.gettempdir()) / f"cobrowse-admin-test-{os.getpid()}.sqlite3"
        connection.settings_dict.setdefault("TEST", {})["NAME"] = str(name)


use_a_file_for_the_sqlite_test_database()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition: Callable[[], object], *, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class RedisServer:
    def __init__(self, directory: Path, port: int | None = None):
        self.directory = directory
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        import redis

        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory), "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)

        def answers() -> bool:
            try:
                return bool(client.ping())
            except redis.exceptions.ConnectionError:
                return False

        wait_until(answers, timeout=10, what=f"redis-server on port {self.port}")
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


def test_database_url() -> str:
    """The URL of the database this test session uses, for the worker processes."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user = quote(settings.get("USER") or "")
    password = quote(settings.get("PASSWORD") or "")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{credentials}{host}:{port}/{settings['NAME']}"


class Worker:
    """One ``celery worker`` child process; its log goes to a file the tests can show on failure."""

    def __init__(self, *, redis_url: str, log: Path, name: str, beat: bool = False, env: dict | None = None):
        self.redis_url = redis_url
        self.log = log
        self.name = name
        self.beat = beat
        self.extra_env = env or {}
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> Worker:
        env = {
            **os.environ,
            "REDIS_URL": self.redis_url,
            "DATABASE_URL": test_database_url(),
            "DJANGO_DEBUG": "1",
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }
        args = [sys.executable, "-m", "celery", "-A", "cobrowse_admin", "worker", "--pool=solo", "--loglevel=INFO",
                "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"{self.name}@%h"]
        if self.beat:
            args += ["--beat", "--schedule", str(self.log.with_suffix(".beat-schedule"))]
        self.log.parent.mkdir(parents=True, exist_ok=True)
        offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as out:
            # In a session of its own, so that kill() reaches the embedded beat's child process too.
            self.process = subprocess.Popen(args, cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)

        def ready() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"the worker exited with {self.process.returncode}:\n{self.output()}")
            return b" ready." in self.log.read_bytes()[offset:]

        wait_until(ready, timeout=timeout, what=f"worker {self.name} to be ready", interval=0.1)
        return self

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-6000:] if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL: no warm shutdown, no acknowledgement, the task it was running is lost with it.
        The whole process group: a worker started with ``--beat`` runs beat in a child process,
        which would otherwise outlive it."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass  # the group is gone already
        self.process.wait(timeout=10)

def use_broker(url: str | None) -> dict:
    """Send this process's tasks to ``url`` (None: back to what the settings said)."""
    conf = celery_app.conf
    saved = {"broker_url": conf.broker_url, "result_backend": conf.result_backend,
             "task_always_eager": conf.task_always_eager}
    if url is not None:
        conf.update(broker_url=url, result_backend=url, task_always_eager=False)
    # Connection pools are cached per URL, globally: drop them all so the next task uses ``url``.
    pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    return saved


def restore_broker(saved: dict) -> None:
    celery_app.conf.update(saved)
    use_broker(None)


@pytest.fixture(scope="session")
def redis_available():
    require(REDIS_SERVER is not None, "redis-server (Debian package redis-server)")


@pytest.fixture(scope="module")
def redis_server(redis_available, tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
def broker(redis_server):
    """This process sends its tasks to the test Redis (not eager) for the duration of the test."""
    saved = use_broker(redis_server.url)
    yield redis_server
    restore_broker(saved)


@pytest.fixture
def workers(tmp_path, request):
    """``workers.start(redis_url, name=...)`` → a started Worker; all are stopped after the test,
    and their logs are printed when the test failed."""

    class Workers:
        def __init__(self):
            self.started: list[Worker] = []

        def start(self, redis_url: str, *, name: str = "w1", **kwargs) -> Worker:
            worker = Worker(redis_url=redis_url, log=tmp_path / f"{name}.log", name=name, **kwargs).start()
            self.started.append(worker)
            return worker

    pool = Workers()
    yield pool
    for worker in pool.started:
        worker.kill()  # idle by now; a warm or cold shutdown would only cost seconds
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        for worker in pool.started:
            print(f"--- log of worker {worker.name} ---\n{worker.output()}")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
