"""Validation sweep at scale: every store and application through a real Celery worker on Redis.

A fresh database gets ``seed_demo --scale N``; a private ``redis-server`` and one
``celery -A cobrowse_admin worker`` (production settings: debug off) start; this process queues the
sweep exactly as the page's button does and watches the database until it is done. Printed: the
time from queuing to done, the worker's own start-to-finish time, the cost per object, and how
many distinct store contents were checked (stores with identical contents are checked once), from
the worker's log, the worker's CPU time (its whole life, its start included: on this shared machine
the wall time of a run depends on the other processes, its CPU time much less) and the time PostgreSQL
spent in the statements of the database (``pg_stat_database.active_time``: a cost of an index shows there).

    .venv/bin/python benchmarks/sweep.py [--scale 5000] [--runs 2] [--quick]
"""

from __future__ import annotations

import argparse
import re
import resource
import sys
import tempfile
import time
import warnings
from pathlib import Path

from _common import (
    child_env,
    default_database_url,
    fresh_database,
    machine,
    migrate,
    production_env,
    redis_server,
    run_manage,
    start_worker,
    table,
    use_database,
    wait_until,
)

TARGET_SECONDS = 15
DONE_RE = re.compile(r"Sweep #(\d+) done: (\d+) object\(s\), (\d+) store content\(s\) checked, (\d+) store file")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=5000, help="applications (seed_demo --scale)")
    parser.add_argument("--runs", type=int, default=2, help="sweeps, one after the other")
    parser.add_argument("--database-url", default=default_database_url("bench_sweep"),
                        help="database to recreate (its name must start with 'bench')")
    parser.add_argument("--quick", action="store_true", help="60 applications, one sweep: a smoke test")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    scale = 60 if args.quick else args.scale
    runs = 1 if args.quick else args.runs
    url = args.database_url
    print(f"Validation sweep of a scale-{scale} environment through one Celery worker (--pool=solo) on Redis, "
          f"PostgreSQL; {machine()}")

    fresh_database(url)
    migrate(url)
    started = time.perf_counter()
    run_manage(["seed_demo", "--scale", str(scale)], env=child_env(url, **production_env()), quiet=True)
    print(f"seed_demo --scale {scale}: {time.perf_counter() - started:.1f} s")

    with redis_server() as redis_url, tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        env = child_env(url, redis_url=redis_url, **production_env())
        log = Path(tmp) / "worker.log"
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        worker = start_worker(env, log, name="bench-sweep")
        try:
            use_database(url, REDIS_URL=redis_url, **production_env())
            from security import sweeps
            from security.models import Sweep, SweepItem, TrustedStore

            stores = TrustedStore.objects.count()
            distinct = TrustedStore.objects.values("contents_digest").distinct().count()
            rows = []
            totals = []
            statements_before = statement_seconds()
            for run in range(1, runs + 1):
                sweep = sweeps.sweep_create(trigger="command", actor="benchmark")
                queued = time.perf_counter()
                if not sweeps.enqueue_sweep(sweep):
                    raise SystemExit("could not queue the sweep")
                done = wait_until(lambda s=sweep: Sweep.objects.filter(pk=s.pk, status__in=["done", "failed"])
                                  .first(), timeout=900, what="the sweep", interval=0.02)
                total = time.perf_counter() - queued
                if done.status != "done":
                    raise SystemExit(f"sweep #{done.pk} {done.status}: {done.message}")
                items = SweepItem.objects.filter(sweep=done).count()
                worker_seconds = (done.finished_at - done.started_at).total_seconds()
                line = wait_until(lambda s=done: next((m for m in DONE_RE.finditer(log.read_text())
                                                       if int(m.group(1)) == s.pk), None),
                                  timeout=10, what="the worker's summary line")
                totals.append(total)
                rows.append([f"sweep {run}", f"{items:,}", f"{total:.2f} s", f"{worker_seconds:.2f} s",
                             f"{total / items * 1000:.2f} ms", f"{line.group(3)} of {stores}",
                             f"{done.error_count:,} / {done.warning_count:,}"])
        finally:
            worker.terminate()
            worker.wait(timeout=30)
        statements = statement_seconds() - statements_before
        children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        worker_cpu = (children_after.ru_utime - children_before.ru_utime
                      + children_after.ru_stime - children_before.ru_stime)

    print(table(rows, ["run", "objects", "queued to done", "in the worker", "per object",
                       "store contents checked", "errors / warnings"]))
    print(f"\nthe worker's CPU time: {worker_cpu:.2f} s for {runs} sweep(s), its start included; "
          f"PostgreSQL's time in statements: {statements:.2f} s")
    print(f"{stores} stores with {distinct} distinct contents; target <= {TARGET_SECONDS} s: "
          + ("met" if max(totals) <= TARGET_SECONDS else "NOT met"))


def statement_seconds() -> float:
    """The time PostgreSQL's backends spent executing statements in this database so far (their statistics
    are sent when a backend ends or every second or so: wait for them)."""
    from django.db import connection

    time.sleep(1.5)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT active_time FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0] / 1000


if __name__ == "__main__":
    sys.exit(main())
