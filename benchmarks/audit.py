"""The audit trail at 100,000 events: export (CSV, JSON Lines) and ``verify_audit``.

Writes ``--events`` chained events through ``audit.record_rows`` (PostgreSQL COPY, the path of a
20,000-option import) in batches of 20,000, then times, each in a process of its own whose peak
memory is read with ``resource.getrusage`` at its end:

- ``manage.py export_audit --format csv`` and ``--format jsonl`` (every event);
- the audit page's CSV download, streamed through Django's test client as the Administrator;
- ``manage.py verify_audit``.

A database whose name starts with ``bench`` is recreated; any other (your own scratch database,
given with ``--database-url``) is migrated and the events are added to what it holds.

    .venv/bin/python benchmarks/audit.py [--events 100000] [--database-url postgres://.../bench_audit] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from _common import BASE_DIR, PYTHON, child_env, database_name, default_database_url, fresh_database, machine, migrate

TARGET_SECONDS = 10.0
TARGET_RSS_MB = 150.0
BATCH = 20_000


def child(task: str, argument: str) -> None:
    """Run in a fresh process: one export or verification; prints its figures as JSON."""
    import resource

    import django

    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cobrowse_admin.settings")
    django.setup()
    from django.core.management import CommandError, call_command

    started, cpu = time.perf_counter(), time.process_time()
    result: dict = {}
    if task == "export":
        out = os.path.join(tempfile.gettempdir(), f"bench-audit-{os.getpid()}.{argument}")
        call_command("export_audit", "--format", argument, "--out", out, verbosity=0)
        result["bytes"] = os.path.getsize(out)
        os.unlink(out)
    elif task == "page":
        from django.contrib.auth import get_user_model
        from django.test import Client
        from django.urls import reverse

        client = Client()
        client.force_login(get_user_model().objects.get(username="bench-admin"))
        response = client.get(reverse("applications:audit_export", args=[argument]))
        result["bytes"] = sum(len(chunk) for chunk in response.streaming_content)
    elif task == "verify":
        try:
            call_command("verify_audit", verbosity=0)
            result["intact"] = True
        except CommandError as exc:
            result["intact"], result["error"] = False, str(exc)
    result["seconds"] = time.perf_counter() - started
    result["cpu_seconds"] = time.process_time() - cpu
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def create_events(total: int) -> tuple[float, int]:
    """Chained events through the bulk path, ``BATCH`` at a time; returns (seconds, events now)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cobrowse_admin.settings")
    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import transaction

    from applications import audit
    from applications.models import AuditEvent

    admin, _ = get_user_model().objects.get_or_create(username="bench-admin")
    admin.groups.add(Group.objects.get(name="Administrator"))
    by = audit.actor_fields(admin)
    started = time.perf_counter()
    for start in range(0, total, BATCH):
        rows = [{**by, "action": "update", "object_type": "option", "object_repr": f"[bench] option-{i % 500:04d}",
                 "changes": {"value": [f"old value {i}", f"new value {i}"]}, "message": "imported from bench.cfg",
                 "options_revision": i // BATCH + 1}
                for i in range(start, min(start + BATCH, total))]
        with transaction.atomic():
            audit.record_rows(rows)
    return time.perf_counter() - started, AuditEvent.objects.count()


def run_child(url: str, task: str, argument: str = "") -> dict:
    process = subprocess.run([PYTHON, __file__, "--child", task, argument], env=child_env(url), cwd=BASE_DIR,
                             capture_output=True, text=True, check=False)
    if process.returncode != 0:
        raise SystemExit(f"{task} {argument} failed:\n{process.stderr[-3000:]}")
    return json.loads(process.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--database-url", default=default_database_url("bench_audit"))
    parser.add_argument("--quick", action="store_true", help="500 events (the smoke test)")
    parser.add_argument("--existing", action="store_true",
                        help="write no events: time the export and verification of those the database holds")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    total = 500 if args.quick else args.events
    url = args.database_url
    if database_name(url).startswith("bench") and not args.existing:
        fresh_database(url)
    migrate(url)
    os.environ.update(child_env(url))
    seconds, count = create_events(0 if args.existing else total)
    if not args.existing:
        print(f"Audit trail: {total} events written in {seconds:.2f} s ({total / seconds:,.0f}/s, chained, "
              f"in batches of {BATCH}: COPY on PostgreSQL).")
    print(f"{count} events in the database. {machine()}; load average {os.getloadavg()[0]:.1f}")
    rows = []
    for label, task, argument in (("export_audit --format csv", "export", "csv"),
                                  ("export_audit --format jsonl", "export", "jsonl"),
                                  ("audit page, CSV download", "page", "csv"),
                                  ("verify_audit", "verify", "")):
        result = run_child(url, task, argument)
        size = f"{result['bytes'] / 1e6:.1f} MB" if "bytes" in result else ("intact" if result["intact"] else "BROKEN")
        met = result["seconds"] <= TARGET_SECONDS and (task == "verify" or result["peak_rss_mb"] < TARGET_RSS_MB)
        rows.append((label, f"{result['seconds']:.2f} s", f"CPU {result['cpu_seconds']:.2f} s",
                     f"{result['peak_rss_mb']:.0f} MB", size, "met" if met else "NOT MET"))
        if task == "verify" and not result["intact"]:
            print(result["error"])
    widths = [max(len(r[i]) for r in rows) for i in range(6)]
    print(f"\n{count} events; targets: at most {TARGET_SECONDS:.0f} s, export peak memory under "
          f"{TARGET_RSS_MB:.0f} MB; load average now {os.getloadavg()[0]:.1f}")
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
