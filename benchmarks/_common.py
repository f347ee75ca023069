"""What the benchmark scripts share: a fresh database, a private Redis, child processes, figures.

Every script recreates the database it is given, so the name must start with ``bench`` (a
PostgreSQL database, or an SQLite file): pointing a benchmark at real data cannot destroy it.
"""

from __future__ import annotations

import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
MANAGE = str(BASE_DIR / "manage.py")
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"

if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))


def default_database_url(name: str) -> str:
    """``BENCH_DATABASE_SERVER`` (a PostgreSQL URL without a database) + ``name``."""
    server = os.environ.get("BENCH_DATABASE_SERVER", DEFAULT_SERVER).rstrip("/")
    return f"{server}/{name}"


def database_name(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme.startswith("sqlite"):
        return Path(parts.path).name
    return parts.path.lstrip("/")


def fresh_database(url: str) -> None:
    """Drop and create the database (or delete the SQLite file); it is migrated by ``migrate``."""
    name = database_name(url)
    if not name.startswith("bench"):
        raise SystemExit(f"refusing to recreate {name!r}: a benchmark database name must start with 'bench'")
    parts = urlsplit(url)
    if parts.scheme.startswith("sqlite"):
        path = Path(parts.path)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    import psycopg

    admin = urlunsplit(("postgresql", parts.netloc, "/postgres", "", ""))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def seeded_database(url: str, scale: int) -> float:
    """A fresh, migrated database with ``seed_demo --scale``; the seconds the seeding took."""
    fresh_database(url)
    migrate(url)
    started = time.perf_counter()
    run_manage(["seed_demo", "--scale", str(scale)], env=child_env(url), quiet=True)
    return time.perf_counter() - started


def clone_database(template_url: str, url: str) -> None:
    """A fresh copy of a migrated database (PostgreSQL ``CREATE DATABASE ... TEMPLATE``, or a file copy)."""
    fresh_database(url)
    parts, source = urlsplit(url), urlsplit(template_url)
    if parts.scheme.startswith("sqlite"):
        shutil.copyfile(source.path, parts.path)
        return
    import psycopg

    admin = urlunsplit(("postgresql", parts.netloc, "/postgres", "", ""))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{database_name(url)}"')
        conn.execute(f'CREATE DATABASE "{database_name(url)}" TEMPLATE "{database_name(template_url)}"')


def migrate(url: str) -> None:
    run_manage(["migrate", "--noinput", "-v", "0"], env=child_env(url), quiet=True)


def child_env(database_url: str, *, redis_url: str = "", **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update({"DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1", "PYTHONWARNINGS": "ignore"})
    env.setdefault("DJANGO_DEBUG", "1")
    if redis_url:
        env["REDIS_URL"] = redis_url
    env.update(extra)
    return env


_PRODUCTION_KEYS: dict[str, str] = {}


def production_env() -> dict[str, str]:
    """Debug off with keys made for this run (the same for every process of the run: the seeded
    truststore passwords must decrypt in the workers)."""
    if not _PRODUCTION_KEYS:
        from cryptography.fernet import Fernet

        _PRODUCTION_KEYS.update({
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "bench-" + Fernet.generate_key().decode(),
            "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "SECURE_SSL_REDIRECT": "0",
        })
    return dict(_PRODUCTION_KEYS)


def run_manage(args: list[str], *, env: dict[str, str], quiet: bool = False) -> subprocess.CompletedProcess:
    result = subprocess.run([PYTHON, MANAGE, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    if not quiet and result.stdout.strip():
        print(result.stdout.rstrip())
    return result


def use_database(url: str, **env: str) -> None:
    """Point this process's Django at ``url`` and set it up (call before importing models)."""
    os.environ.pop("REDIS_URL", None)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_DEBUG", "1")
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cobrowse_admin.settings")
    import django

    django.setup()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition, *, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise SystemExit(f"timed out after {timeout} s waiting for {what}")


@contextmanager
def redis_server():
    """A private ``redis-server`` on a free port, without persistence; yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed (Debian package redis-server)")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--loglevel", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        import redis

        client = redis.Redis(port=port, socket_connect_timeout=0.2)

        def answers() -> bool:
            try:
                return bool(client.ping())
            except redis.exceptions.ConnectionError:
                return False

        wait_until(answers, timeout=10, what="redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    return statistics.median(values)


def machine() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (f"{os.cpu_count()} cores ({cpu or platform.processor() or 'unknown CPU'}){memory}, "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}; "
            f"reference loop {reference_loop_ms():.0f} ms, load average {os.getloadavg()[0]:.1f}")


def reference_loop_ms() -> float:
    """The best of five runs of a fixed pure-Python workload (dicts, strings, sorting: what a request and a
    sweep spend their CPU on), in milliseconds. The machines these benchmarks run on are shared virtual ones
    whose speed differs from one day to the next (the same sweep took 16 s on one and 26 s on another):
    this figure, printed with every run, says how fast the machine was, so runs on different days compare.
    Lower is faster."""
    def workload() -> int:
        rows = [{"pk": i, "name": f"app-{i % 977:04d}", "value": str(i * 7919 % 10007)} for i in range(60_000)]
        rows.sort(key=lambda r: (r["name"], r["value"]))
        text = ";".join(f"{r['name']}={r['value']}" for r in rows[:20_000])
        parsed = dict(part.split("=", 1) for part in text.split(";"))
        return len(parsed) + sum(len(r["name"]) for r in rows)

    best = float("inf")
    for _ in range(5):
        start = time.process_time()
        workload()
        best = min(best, time.process_time() - start)
    return best * 1000


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    for row in rows:
        out.append("  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                             for i, (c, w) in enumerate(zip(row, widths, strict=True))))
    return "\n".join(out)


def start_worker(env: dict, log: Path, *, name: str) -> subprocess.Popen:
    """One Celery worker (solo pool, logging to ``log``) on the environment's broker, once it says it is ready."""
    args = [PYTHON, "-m", "celery", "-A", "cobrowse_admin", "worker", "--pool=solo", "--loglevel=INFO",
            "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"{name}@%h"]
    with log.open("wb") as out:
        process = subprocess.Popen(args, cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)

    def ready() -> bool:
        if process.poll() is not None:
            raise SystemExit(f"the worker exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        return b" ready." in log.read_bytes()

    wait_until(ready, timeout=60, what="the Celery worker", interval=0.1)
    return process
