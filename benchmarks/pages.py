"""Pages at scale: server-side time and SQL queries of the main pages, at two sizes of environment.

For each scale N: a fresh database, ``seed_demo --scale N`` (N applications, 10·N options, 4·N
connections, N/10 certificates, N/25 stores, 20·N audit events), one validation sweep so the pages
have findings to show, then each page requested many times in-process through Django's test
``Client`` (the whole middleware stack, sessions and templates; no network, no WSGI server) as the
Security officer. Time is measured around each request; queries are counted on a separate request.
Each scale is served by its own process, and the scales take turns: a sixth of a page's requests at the
smallest, as many at the next, and so on, six times. A drift of this shared machine's speed during a run
(1.5-2x within minutes, seen here) then falls on both sizes alike, and their ratio says what the estate's
size costs, not when each half ran (before 4 December they ran one after the other, minutes apart). Each turn
starts with two requests not timed, as the page looked at again (``WARM_UP``).
A list that is not full at the smaller size (14 hosts at 500 applications, 50 a page at 5,000) is measured
a second time at the larger sizes with its page limited to the rows it showed at the smallest: the same
order, the same code, as many rows; the raw figures and their ratio stay as they are, this comparison is
added beside them (what grows with the estate, not with the page's fill).
Debug is off while measuring (no query log); the tables are vacuumed and analysed after the bulk load
and the sweep, as autovacuum does on a running server; the objects loaded by then are frozen out of the
garbage collector's full passes, as the WSGI entry point does in gunicorn's workers.

    .venv/bin/python benchmarks/pages.py [--scales 500,5000] [--requests 60] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import warnings
from contextlib import contextmanager

from _common import (
    BASE_DIR,
    PYTHON,
    child_env,
    database_name,
    default_database_url,
    machine,
    median,
    percentile,
    reference_loop_ms,
    seeded_database,
    table,
)

TARGET_P95_MS = 50
TARGET_RATIO = 1.3  # p95 at the largest size over p95 at the smallest, in the same run
# Each page's requests are timed in this many turns, the scales one after the other in each turn.
ROUNDS = 6
# Requests not timed at the start of each turn: the first after the other scale's turn found the CPU's caches
# and PostgreSQL's shared buffers holding the other database (one slow request in each turn of 20, at 5,000
# more than at 500: the p95 at 5,000 was 1.4x its median, against 1.1x for the same process measured alone).
WARM_UP = 2


def pages(ids: dict) -> list[tuple[str, str]]:
    big, cluster, page = ids["big"], ids["cluster"], ids["page"]
    return [
        ("dashboard", "/"),
        ("findings, page 1", "/security/findings/"),
        ("findings, page N", f"/security/findings/?page={page}"),
        ("findings, warnings of Co-browse Nodes", "/security/findings/?severity=warning&app_type=cobrowse_node"),
        ("findings, text search", "/security/findings/?q=expire"),
        # "expire" matches nothing at 500 (no expired certificate yet) and 3,504 findings at 5,000, so its
        # query count and time do not compare; "trust" matches at both (1,612 of 3,725 findings at 500, 20,961
        # of 41,309 at 5,000: more than the page counts at both; each severity is read to its 1,001st match).
        ("findings, text search matching at every size", "/security/findings/?q=trust"),
        ("applications list, page 1", "/applications/"),
        ("applications list, filtered + sorted, page N",
         f"/applications/?app_type=cobrowse_node&version=%3E%3D8.5.003&sort=-version&page={page}"),
        ("applications list, text search, sorted by host", "/applications/?q=node-00&sort=host"),
        ("applications list, restart required", "/applications/?restart=on"),
        ("applications list, sorted by TLS (worst first)", "/applications/?sort=tls"),
        ("applications list, Nodes sorted by cluster, page N",
         f"/applications/?app_type=cobrowse_node&sort=-cluster&page={page}"),
        ("hosts list, page 1", "/hosts/"),
        ("hosts list, sorted by TLS (worst first)", "/hosts/?sort=tls"),
        ("applications list, not TLS-ready (dashboard card)", "/applications/?not_ready=on"),
        ("application with 200 options: General tab", f"/applications/{big}/"),
        ("application with 200 options: Options tab", f"/applications/{big}/options/"),
        ("application with 200 options: options editor", f"/applications/{big}/options/edit/"),
        ("Co-browse Cluster: General tab", f"/applications/{cluster}/"),
        ("application with 200 options: History tab (--versions, 1,000)", f"/applications/{big}/history/"),
        ("History tab, last page", f"/applications/{big}/history/?page=999"),
        ("compare two versions (200 options)",
         f"/applications/{big}/history/compare/?a={ids['versions'] - 1}&b={ids['versions']}"),
        ("compare a version with now, everything shown", f"/applications/{big}/history/compare/?a=1&b=current&all=1"),
        ("connection review, page 1", "/security/review/"),
        ("connection review, page N", f"/security/review/?page={page}"),
        ("connection review, insecure only", "/security/review/?insecure=on"),
        ("connection review, sorted by server, page N", f"/security/review/?sort=-server&page={page}"),
        ("audit trail, page 1", "/audit/"),
        ("audit trail, last page", "/audit/?page=999999"),
        ("audit trail, filtered", "/audit/?action=restart&object_type=application"),
        ("certificate library, page 1", "/security/certificates/"),
        ("certificate library, sorted by stores", "/security/certificates/?sort=-stores"),
        ("certificate library, expiring (dashboard card)", "/security/certificates/?expiring=on"),
        ("trusted stores", "/security/stores/"),
        ("trusted stores, sorted by status", "/security/stores/?sort=status"),
        ("trusted stores, sorted by used by", "/security/stores/?sort=-used_by"),
    ]


def selected(all_pages: list[tuple[str, str]], only: str) -> list[tuple[str, str]]:
    """The pages whose label starts with one of the comma-separated prefixes of ``only`` (all if empty)."""
    prefixes = [p.strip() for p in only.split(",") if p.strip()]
    return [page for page in all_pages if not prefixes or page[0].startswith(tuple(prefixes))]


def vacuum_analyze() -> None:
    """Statistics, and the visibility map an index-only scan needs: what autovacuum does after a bulk
    insert (PostgreSQL 13 and later vacuum a table after inserts too, not only after updates and deletes).
    Without it, a count over an index (the findings per severity) still reads every row of the table."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


LIST_BODY = re.compile(r"<tbody>(.*?)</tbody>", re.S)


def rows_shown(html: bytes) -> int:
    """The rows of a page's first table body (its list), 0 when it has none."""
    body = LIST_BODY.search(html.decode(errors="replace"))
    return body.group(1).count("<tr") if body else 0


@contextmanager
def rows_per_page(limit: int | None):
    """Every ``Paginator`` made meanwhile shows at most ``limit`` rows a page (no limit: None). The lists'
    own code runs unchanged; their first page is then the first ``limit`` rows of the same order."""
    from django.core.paginator import Paginator

    original = Paginator.__init__

    def limited(self, object_list, per_page, *args, **kwargs):
        original(self, object_list, min(int(per_page), limit), *args, **kwargs)

    if limit is not None:
        Paginator.__init__ = limited
    try:
        yield
    finally:
        Paginator.__init__ = original


def timed(client, url: str, requests: int) -> dict:
    """Wall and CPU (this process: Django's share, not the database's) milliseconds of ``requests`` GETs."""
    times, cpu = [], []
    for _ in range(requests):
        start, start_cpu = time.perf_counter(), time.process_time()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return {"times": times, "cpu": cpu}


def figures_of(timings: dict) -> dict:
    times = timings["times"]
    return {"p50": median(times), "p95": percentile(times, 95), "max": max(times), "cpu50": median(timings["cpu"])}


def serve(database_url: str, versions: int, only: str) -> None:
    """In a child process, one per scale: sweep once, then answer the parent's commands (one JSON line in,
    one out) until it closes stdin. The parent asks each scale in turn for a few requests of the same page,
    so that a drift of the machine's speed falls on both sizes alike (``measure_interleaved``)."""
    from _common import use_database

    replies = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    sys.stdout = sys.stderr  # anything else printed must not be read as a reply
    use_database(database_url)
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from applications.models import Application, AppType, AuditEvent, Connection, Option
    from cobrowse_admin.serving import prepare_worker
    from console.management.commands._scale import BIG_APPLICATION
    from security import sweeps
    from security.models import Certificate, Finding, TrustedStore

    def reply(value: dict) -> None:
        replies.write(json.dumps(value) + "\n")
        replies.flush()

    started = time.perf_counter()
    sweep = sweeps.sweep_create(trigger="command", actor="benchmark")
    sweeps.run_sweep(sweep.pk)
    sweep_seconds = time.perf_counter() - started
    vacuum_analyze()  # the sweep wrote every finding: as autovacuum leaves the tables soon after
    # A server process after start-up: its URL patterns and templates loaded, and what is loaded kept out of
    # the garbage collector's full passes, as cobrowse_admin/wsgi.py arranges for gunicorn's workers.
    prepare_worker()

    settings.DEBUG = False
    big = Application.objects.get(name=BIG_APPLICATION)
    cluster = Application.objects.filter(app_type=AppType.COBROWSE_CLUSTER, name__startswith="scale-").first()
    ids = {"big": big.pk, "cluster": cluster.pk, "page": max(2, Application.objects.count() // 50 // 20),
           "versions": add_history(big, versions)}
    chosen = selected(pages(ids), only)
    client = Client()
    client.force_login(User.objects.get(username="security"))
    reply({"sweep_seconds": sweep_seconds, "labels": [label for label, _url in chosen], "rows": {
        "applications": Application.objects.count(), "options": Option.objects.count(),
        "connections": Connection.objects.count(), "certificates": Certificate.objects.count(),
        "stores": TrustedStore.objects.count(), "audit events": AuditEvent.objects.count(),
        "findings": Finding.objects.count()}})
    for line in sys.stdin:
        command = json.loads(line)
        if command["do"] == "speed":
            reply({"ms": reference_loop_ms()})
            continue
        label, url = chosen[command["page"]]
        limit = command.get("limit")
        if command["do"] == "prepare":
            response = client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
            with CaptureQueriesContext(connection) as queries:
                client.get(url)
            # Read now: the next request empties the log (Django resets it when a request starts).
            reply({"label": label, "url": url, "queries": len(queries), "bytes": len(response.content),
                   "rows": rows_shown(response.content)})
        elif command["do"] == "limit":
            with rows_per_page(limit):
                reply({"paginated": rows_shown(client.get(url).content) == limit})
        elif command["do"] == "time":
            with rows_per_page(limit):
                for _ in range(WARM_UP):  # after the other scale's turn: its caches and PostgreSQL's buffers
                    client.get(url)
                reply(timed(client, url, command["requests"]))


class Child:
    """A ``serve`` process of one scale, asked one command at a time."""

    def __init__(self, scale: int, url: str, *, versions: int, only: str) -> None:
        self.scale = scale
        self.errors = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen(
            [PYTHON, __file__, "--serve", "--database-url", url, "--versions", str(versions), "--pages", only],
            cwd=BASE_DIR, env=child_env(url), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.errors,
            text=True)
        self.hello = self.read()

    def read(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            self.process.wait()
            self.errors.seek(0)
            raise SystemExit(f"measuring at scale {self.scale} failed:\n{self.errors.read()[-3000:]}")
        return json.loads(line)

    def ask(self, **command) -> dict:
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return self.read()

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait()


def measure_interleaved(children: dict[int, Child], requests: int, rounds: int) -> dict[int, list[dict]]:
    """Every page at every scale, the requests of each in ``rounds`` turns: a few at the first scale, as many
    at the next, and so on. A list not full at the smallest scale is also timed at the larger ones with its
    page limited to the rows it showed there (``rows_per_page``), in the same turns."""
    scales = sorted(children)
    first = scales[0]
    chunks = [requests // rounds + (1 if i < requests % rounds else 0) for i in range(rounds)]
    results: dict[int, list[dict]] = {s: [] for s in scales}
    for index in range(len(children[first].hello["labels"])):
        page = {s: children[s].ask(do="prepare", page=index) for s in scales}
        fewer = page[first]["rows"]
        limits = {s: fewer for s in scales[1:] if fewer and fewer < page[s]["rows"]
                  and children[s].ask(do="limit", page=index, limit=fewer)["paginated"]}
        timings = {s: {"times": [], "cpu": []} for s in scales}
        limited = {s: {"times": [], "cpu": []} for s in limits}
        for n in (chunk for chunk in chunks if chunk):
            for s in scales:
                for key, value in children[s].ask(do="time", page=index, requests=n).items():
                    timings[s][key] += value
                if s in limits:
                    for key, value in children[s].ask(do="time", page=index, requests=n, limit=limits[s]).items():
                        limited[s][key] += value
        for s in scales:
            figures = {**page[s], **figures_of(timings[s])}
            if s in limits:
                figures["equal_rows"] = {"rows": limits[s], **figures_of(limited[s])}
            results[s].append(figures)
    return results


def add_history(app, count: int) -> int:
    """``count`` versions of ``app``, each one option changed from the one before (as a day of edits
    would leave them), written in bulk. Returns the newest version's number."""
    from applications import history
    from applications.models import ApplicationVersion

    snapshot = history.application_snapshot(app)
    start = history.latest_number(app.pk)
    section = next(iter(snapshot["options"]), "bench")
    versions = []
    for i in range(1, count + 1):
        options = {**snapshot["options"], section: {**snapshot["options"].get(section, {}), "bench-step": str(i)}}
        versions.append(ApplicationVersion(application=app, number=start + i, actor_name="benchmark",
                                           source="options", note=f"step {i}",
                                           summary=f"1 change: [{section}] bench-step",
                                           snapshot={**snapshot, "options": options}))
    ApplicationVersion.objects.bulk_create(versions, batch_size=200)
    return start + count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="500,5000", help="comma-separated numbers of applications")
    parser.add_argument("--requests", type=int, default=60, help="timed requests per page (p50/p95 over them)")
    parser.add_argument("--database-url", default=default_database_url("bench_pages"),
                        help="database to recreate for each scale (suffixed with the scale)")
    parser.add_argument("--versions", type=int, default=1000,
                        help="versions of the 200-option application's configuration before measuring")
    parser.add_argument("--pages", default="",
                        help="only the pages whose label starts with one of these comma-separated prefixes "
                             "(e.g. 'dashboard,findings')")
    parser.add_argument("--quick", action="store_true", help="60 applications, 3 requests, 50 versions: a smoke test")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    if args.serve:
        serve(args.database_url, args.versions, args.pages)
        return

    scales = [60] if args.quick else [int(s) for s in args.scales.split(",")]
    requests = 3 if args.quick else args.requests
    versions = 50 if args.quick else args.versions
    print(f"Pages at scale, in-process (Django test Client, server-side time), {requests} requests per page, "
          f"the scales taking turns ({min(ROUNDS, requests)} turns a page); {machine()}")
    children: dict[int, Child] = {}
    seed_seconds = {}
    try:
        for scale in scales:
            name = database_name(args.database_url)
            url = args.database_url.replace(name, f"{name}_{scale}")
            seed_seconds[scale] = seeded_database(url, scale)
            children[scale] = Child(scale, url, versions=versions, only=args.pages)
        speed_before = {s: child.ask(do="speed")["ms"] for s, child in children.items()}
        measured = measure_interleaved(children, requests, min(ROUNDS, requests))
        speed_after = {s: child.ask(do="speed")["ms"] for s, child in children.items()}
    finally:
        for child in children.values():
            child.close()
    figures = {}
    for scale in scales:
        hello = children[scale].hello
        figures[scale] = {"pages": measured[scale]}
        print(f"\nscale {scale}: seed_demo --scale {scale} took {seed_seconds[scale]:.1f} s; "
              f"sweep before measuring {hello['sweep_seconds']:.1f} s; "
              + ", ".join(f"{v:,} {k}" for k, v in hello["rows"].items())
              + f"; reference loop {speed_before[scale]:.0f} ms before the pages, {speed_after[scale]:.0f} ms after")

    first, last = scales[0], scales[-1]
    header = (["page"] + [f"queries @{s}" for s in scales] + [f"rows @{s}" for s in scales]
              + [f"p50 @{s}" for s in scales] + [f"p95 @{s}" for s in scales]
              + ([f"p95 @{last} / @{first}"] if first != last else []))
    rows = []
    over = []
    for index, page in enumerate(figures[last]["pages"]):
        per = [figures[s]["pages"][index] for s in scales]
        ratio = page["p95"] / per[0]["p95"]
        rows.append([page["label"]] + [str(p["queries"]) for p in per] + [str(p["rows"] or "") for p in per]
                    + [f"{p['p50']:.1f} ms" for p in per] + [f"{p['p95']:.1f} ms" for p in per]
                    + ([f"{ratio:.2f}x"] if first != last else []))
        if page["p95"] > TARGET_P95_MS:
            over.append(page["label"])
        if first != last and ratio > TARGET_RATIO:
            over.append(f"{page['label']} (p95 ratio {ratio:.2f}x)")
        if any(later["queries"] > earlier["queries"] for earlier, later in zip(per, per[1:], strict=False)):
            over.append(f"{page['label']} (query count grows)")
    print()
    print(table(rows, header))
    print()
    ratio_target = f"p95 @{last} <= {TARGET_RATIO} x p95 @{first}, " if first != last else ""
    print(f"target: p95 <= {TARGET_P95_MS} ms, {ratio_target}query counts independent of the scale: "
          + ("met" if not over else "NOT met for " + "; ".join(over)))
    print_equal_rows(figures, first, last)


def print_equal_rows(figures: dict, first: int, last: int) -> None:
    """The lists not full at the smallest size, compared at equal rows: their page at the largest size
    limited to the rows shown at the smallest. The raw ratio (above) compares pages of different fill; this
    one what grows with the estate, and the difference between the two pages at the largest size gives the
    cost of a row."""
    limited = [(small, big) for small, big in zip(figures[first]["pages"], figures[last]["pages"], strict=True)
               if "equal_rows" in big]
    if not limited:
        return
    header = ["page not full @" + str(first), "rows", f"p95 @{first}", f"p95 @{last}, same rows",
              "ratio, same rows", f"CPU p50 @{first} / @{last} same rows / full", "per extra row (CPU p50)"]
    rows = []
    for small, big in limited:
        same = big["equal_rows"]
        per_row = (big["cpu50"] - same["cpu50"]) / (big["rows"] - same["rows"])
        rows.append([small["label"], f"{small['rows']} / {big['rows']}", f"{small['p95']:.1f} ms",
                     f"{same['p95']:.1f} ms", f"{same['p95'] / small['p95']:.2f}x",
                     f"{small['cpu50']:.1f} / {same['cpu50']:.1f} / {big['cpu50']:.1f} ms", f"{per_row:.2f} ms"])
    print()
    print(f"Lists not full at {first} (fewer rows than at {last}): the raw ratio above compares pages of "
          f"different fill. The same pages at {last} limited to the rows shown at {first} (same order, same code):")
    print(table(rows, header))


if __name__ == "__main__":
    sys.exit(main())
