"""The REST API at scale: server-side time and SQL queries of its list endpoints (first and last
page, 100 a page) and of the reads scripts make most (the options of an application with 200 options).

For each scale N: a fresh database, ``seed_demo --scale N``, one validation sweep (so readiness has
verdicts), then each endpoint requested many times in-process through Django's test ``Client`` with
an API token (the whole stack: token lookup, throttle, permission, serializer; no network, no WSGI
server) as the Administrator (who alone lists users). Debug off while measuring; queries counted on a separate request.

Targets (issue 13): every list p95 <= 50 ms with a query count that does not grow with the data; the
options of a 200-option application p95 <= 30 ms.

    .venv/bin/python benchmarks/api.py [--scales 500,5000] [--requests 40] [--quick]

The databases are ``bench_api_<scale>`` on ``BENCH_DATABASE_SERVER`` (recreated: the name must start
with ``bench``, as every benchmark's).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import warnings

from _common import (
    BASE_DIR,
    PYTHON,
    child_env,
    database_name,
    default_database_url,
    machine,
    median,
    percentile,
    seeded_database,
    table,
)

LIST_TARGET_MS = 50
OPTIONS_TARGET_MS = 30


def last_page(client, headers, path: str) -> int:
    count = client.get(path, headers=headers).json()["count"]
    return max(1, -(-count // 100))


def endpoints(client, headers, ids: dict) -> list[tuple[str, str, float]]:
    """(label, URL, target ms)."""
    rows = []
    for label, path in [("hosts", "/api/v1/hosts/"), ("applications", "/api/v1/applications/"),
                        ("ports", "/api/v1/ports/"), ("connections", "/api/v1/connections/"),
                        ("users", "/api/v1/users/"), ("certificates", "/api/v1/certificates/"),
                        ("trusted stores", "/api/v1/stores/"), ("findings", "/api/v1/findings/"),
                        ("sweeps", "/api/v1/sweeps/"), ("probe results", "/api/v1/probes/")]:
        rows.append((f"{label}, first page", path, LIST_TARGET_MS))
        rows.append((f"{label}, last page", f"{path}?page={last_page(client, headers, path)}", LIST_TARGET_MS))
    rows += [
        ("applications, Nodes not ready", "/api/v1/applications/?type=cobrowse_node&readiness=not-ready",
         LIST_TARGET_MS),
        ("applications, restart required", "/api/v1/applications/?restart=true", LIST_TARGET_MS),
        ("findings, errors of Nodes", "/api/v1/findings/?severity=error&app_type=cobrowse_node", LIST_TARGET_MS),
        ("findings, text", "/api/v1/findings/?q=expired", LIST_TARGET_MS),
        ("certificates, expiring", "/api/v1/certificates/?expiring=true", LIST_TARGET_MS),
        ("audit events, newest 100", "/api/v1/audit-events/", LIST_TARGET_MS),
        ("audit events, filtered", "/api/v1/audit-events/?object_type=application&action=update", LIST_TARGET_MS),
        ("versions of the 200-option application", f"/api/v1/applications/{ids['big']}/versions/", LIST_TARGET_MS),
        ("application with 200 options: read", f"/api/v1/applications/{ids['big']}/", LIST_TARGET_MS),
        ("application with 200 options: options", f"/api/v1/applications/{ids['big']}/options/",
         OPTIONS_TARGET_MS),
    ]
    return rows


def measure(database_url: str, requests: int) -> dict:
    from _common import use_database

    use_database(database_url, API_TOKEN_RATE="1000000/min")
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from api.tokens import create_token
    from applications.models import Application, AuditEvent, Connection, Option, Port
    from cobrowse_admin.serving import prepare_worker
    from console.management.commands._scale import BIG_APPLICATION
    from security import sweeps

    started = time.perf_counter()
    sweep = sweeps.sweep_create(trigger="command", actor="benchmark")
    sweeps.run_sweep(sweep.pk)
    sweep_seconds = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    # A server process after start-up: its URL patterns and templates loaded, and what is loaded kept out of
    # the garbage collector's full passes, as cobrowse_admin/wsgi.py arranges for gunicorn's workers.
    prepare_worker()
    settings.DEBUG = False

    token = create_token(user=User.objects.get(username="admin"), name="benchmark").secret
    headers = {"Authorization": f"Bearer {token}"}
    client = Client()
    big = Application.objects.get(name=BIG_APPLICATION)
    results = []
    for label, url, target in endpoints(client, headers, {"big": big.pk}):
        response = client.get(url, headers=headers)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}: {response.content[:300]!r}")
        with CaptureQueriesContext(connection) as queries:
            client.get(url, headers=headers)
        query_count = len(queries)
        times = []
        for _ in range(requests):
            start = time.perf_counter()
            client.get(url, headers=headers)
            times.append((time.perf_counter() - start) * 1000)
        results.append({"label": label, "url": url, "queries": query_count, "p50": median(times),
                        "p95": percentile(times, 95), "target": target, "bytes": len(response.content)})
    return {
        "sweep_seconds": sweep_seconds,
        "rows": {"applications": Application.objects.count(), "ports": Port.objects.count(),
                 "options": Option.objects.count(), "connections": Connection.objects.count(),
                 "audit events": AuditEvent.objects.count(),
                 "options of the big application": Option.objects.filter(application=big).count()},
        "endpoints": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="500,5000", help="comma-separated numbers of applications")
    parser.add_argument("--requests", type=int, default=40, help="timed requests per endpoint")
    parser.add_argument("--database-url", default=default_database_url("bench_api"),
                        help="database to recreate for each scale (suffixed with the scale)")
    parser.add_argument("--quick", action="store_true", help="60 applications, 3 requests: a smoke test")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    if args.measure:
        print(json.dumps(measure(args.database_url, args.requests)))
        return

    scales = [60] if args.quick else [int(s) for s in args.scales.split(",")]
    requests = 3 if args.quick else args.requests
    print(f"REST API at scale, in-process (Django test Client, token auth, server-side time), {requests} "
          f"requests per endpoint; {machine()}")
    figures = {}
    for scale in scales:
        name = database_name(args.database_url)
        url = args.database_url.replace(name, f"{name}_{scale}")
        seed_seconds = seeded_database(url, scale)
        out = subprocess.run([PYTHON, __file__, "--measure", "--database-url", url, "--requests", str(requests)],
                             cwd=BASE_DIR, env=child_env(url), capture_output=True, text=True)
        if out.returncode != 0:
            raise SystemExit(f"measuring at scale {scale} failed:\n{out.stdout}{out.stderr}")
        figures[scale] = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"\nscale {scale}: seed_demo took {seed_seconds:.1f} s; sweep {figures[scale]['sweep_seconds']:.1f} s; "
              + ", ".join(f"{v:,} {k}" for k, v in figures[scale]["rows"].items()))

    last = scales[-1]
    header = ["endpoint"] + [f"queries @{s}" for s in scales] + [f"p50 @{s}" for s in scales] + [
        f"p95 @{s}" for s in scales] + ["target"]
    rows, over = [], []
    for index, endpoint in enumerate(figures[last]["endpoints"]):
        per = [figures[s]["endpoints"][index] for s in scales]
        rows.append([endpoint["label"]] + [str(p["queries"]) for p in per] + [f"{p['p50']:.1f} ms" for p in per]
                    + [f"{p['p95']:.1f} ms" for p in per] + [f"{endpoint['target']} ms"])
        if endpoint["p95"] > endpoint["target"]:
            over.append(endpoint["label"])
        if any(later["queries"] > earlier["queries"] for earlier, later in zip(per, per[1:], strict=False)):
            over.append(f"{endpoint['label']} (query count grows)")
    print()
    print(table(rows, header))
    print()
    print("targets: lists p95 <= 50 ms, options of a 200-option application p95 <= 30 ms, query counts "
          "independent of the scale: " + ("met" if not over else "NOT met for " + "; ".join(over)))


if __name__ == "__main__":
    sys.exit(main())
