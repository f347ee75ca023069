"""The connection map at scale: server-side time and SQL queries of the map page (issue 14.5).

For each scale N: a fresh database, ``seed_demo --scale N`` (N applications in Co-browse Clusters of
about ten Nodes, 4·N connections, with the demo environment), one validation sweep so every connection
has its verdict, then the map page requested many times in-process through Django's test ``Client``
(middleware, session, template; no network) as the Security officer, debug off. Besides the wall-clock
p50/p95, the CPU time of a request (this process and the layout program it ran), which does not depend
on what else the machine is doing. Each page is timed
twice: "laid out" empties the cache before every request, so each one runs the layout program
(graphviz-pure) as the first look after any change does; "from the cache" is the same unchanged
map looked at again. Queries are counted on a separate request. Then the parts of one laid-out map:
loading the applications, connections and verdicts, writing the DOT source, laying it out.

    .venv/bin/python benchmarks/map.py [--scales 100,300] [--requests 20] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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

TARGET_MS = 1000  # the whole map of a 300-application Cluster environment, laid out


def pages(ids: dict) -> list[tuple[str, str, bool]]:
    """(label, url, laid out each time)."""
    return [
        ("whole map, by Cluster, laid out", "/security/map/", True),
        ("whole map, by Cluster, from the cache", "/security/map/", False),
        ("whole map, by host, laid out", "/security/map/?group=host", True),
        ("whole map, fit to width, from the cache", "/security/map/?zoom=fit", False),
        ("one Cluster, laid out", f"/security/map/?cluster={ids['cluster']}", True),
        ("one host, by host, laid out", f"/security/map/?host={ids['host']}&group=host", True),
        ("one application (a server), laid out", f"/security/map/?application={ids['server']}", True),
    ]


def cpu_seconds() -> float:
    """CPU time of this process and of the layout programs it ran and waited for: what a request costs
    whatever else the machine is doing (the wall-clock figures include waiting for a core)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def vacuum_analyze() -> None:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def measure(database_url: str, requests: int) -> dict:
    """In the child process: sweep once, then time every page and the parts of the map."""
    from _common import use_database

    use_database(database_url)
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from applications.models import Application, AppType, Connection, Host
    from cobrowse_admin.serving import prepare_worker
    from security import sweeps
    from security.connection_map import load_map, map_dot, map_titles, render_svg

    sweeps.run_sweep(sweeps.sweep_create(trigger="command", actor="benchmark").pk)
    vacuum_analyze()
    # A server process after start-up: its URL patterns and templates loaded, and what is loaded kept out of
    # the garbage collector's full passes, as cobrowse_admin/wsgi.py arranges for gunicorn's workers.
    prepare_worker()
    settings.DEBUG = False

    cluster = Application.objects.filter(app_type=AppType.COBROWSE_CLUSTER, name__startswith="scale-").first()
    server = Application.objects.filter(name__startswith="scale-", ports__connections__isnull=False).first()
    ids = {"cluster": cluster.pk, "host": Host.objects.filter(name__startswith="scale-").first().pk,
           "server": server.pk}
    client = Client()
    client.force_login(User.objects.get(username="security"))
    results = []
    for label, url, laid_out in pages(ids):
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        query_count = len(queries)
        times, cpu = [], []
        for _ in range(requests):
            if laid_out:
                cache.clear()
            start, start_cpu = time.perf_counter(), cpu_seconds()
            client.get(url)
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((cpu_seconds() - start_cpu) * 1000)
        results.append({"label": label, "queries": query_count, "p50": median(times), "p95": percentile(times, 95),
                        "max": max(times), "cpu": median(cpu), "kb": len(response.content) / 1024})

    parts: dict[str, list[float]] = {"load (queries and verdicts)": [], "DOT source": [], "layout (graphviz-pure)": []}
    for _ in range(max(3, requests // 2)):
        cache.clear()
        t0 = time.perf_counter()
        picture = load_map()
        t1 = time.perf_counter()
        dot = map_dot(picture)
        titles = map_titles(picture)
        t2 = time.perf_counter()
        render_svg(dot, titles)
        t3 = time.perf_counter()
        for name, seconds in zip(parts, (t1 - t0, t2 - t1, t3 - t2), strict=True):
            parts[name].append(seconds * 1000)
    return {
        "rows": {"applications": Application.objects.count(), "connections": Connection.objects.count(),
                 "hosts": Host.objects.count(),
                 "Clusters": Application.objects.filter(app_type=AppType.COBROWSE_CLUSTER).count()},
        "pages": results,
        "parts": {name: median(values) for name, values in parts.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="100,300", help="comma-separated numbers of applications")
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page (p50/p95 over them)")
    parser.add_argument("--database-url", default=default_database_url("bench_map"),
                        help="database to recreate for each scale (suffixed with the scale)")
    parser.add_argument("--quick", action="store_true", help="40 and 60 applications, 3 requests: a smoke test")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    if args.measure:
        print(json.dumps(measure(args.database_url, args.requests)))
        return

    scales = [40, 60] if args.quick else [int(s) for s in args.scales.split(",")]
    requests = 3 if args.quick else args.requests
    print(f"Connection map at scale, in-process (Django test Client, server-side time), {requests} requests per "
          f"page; {machine()}")
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
        print(f"\nscale {scale}: seed_demo --scale {scale} took {seed_seconds:.1f} s; "
              + ", ".join(f"{v:,} {k}" for k, v in figures[scale]["rows"].items())
              + "; the whole map laid out: " + ", ".join(
                  f"{k} {v:.0f} ms" for k, v in figures[scale]["parts"].items()))

    last = scales[-1]
    header = ["page"] + [f"queries @{s}" for s in scales] + [f"p50 @{s}" for s in scales] + [
        f"p95 @{s}" for s in scales] + [f"CPU p50 @{last}", f"KB @{last}"]
    rows, over = [], []
    for index, page in enumerate(figures[last]["pages"]):
        per = [figures[s]["pages"][index] for s in scales]
        rows.append([page["label"]] + [str(p["queries"]) for p in per] + [f"{p['p50']:.0f} ms" for p in per]
                    + [f"{p['p95']:.0f} ms" for p in per] + [f"{page['cpu']:.0f} ms", f"{page['kb']:.0f}"])
        if any(later["queries"] != earlier["queries"] for earlier, later in zip(per, per[1:], strict=False)):
            over.append(f"{page['label']} (query count changes with the size)")
    whole = figures[last]["pages"][0]
    if whole["p95"] > TARGET_MS:
        over.append(f"the whole map laid out at {last}: p95 {whole['p95']:.0f} ms")
    print()
    print(f"load average when done: {' '.join(f'{v:.1f}' for v in os.getloadavg())} ({os.cpu_count()} cores)")
    print(table(rows, header))
    print()
    print(f"target: map of the whole {last}-application environment laid out p95 <= {TARGET_MS} ms, query counts "
          "independent of the size: " + ("met" if not over else "NOT met for " + "; ".join(over)))


if __name__ == "__main__":
    sys.exit(main())
