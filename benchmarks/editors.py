"""Concurrent editors: gunicorn on PostgreSQL, many clients editing options through the real editor.

Production settings (debug off, static files from a manifest), gunicorn with several workers, a
Celery worker on a private Redis (each save queues the restart flag and the checks, as in
production), and ``--clients`` threads, each logged in as its own Operator. Each client edits the
options of one of a few applications, shared with other clients, as a browser does: GET the editor,
add one to its own counter option ``[editors] client-NN``, POST the whole form with the revision it
was opened at. A stale-edit answer (someone saved the same application in between) is the correct
outcome, counted apart, and the client reloads and tries again.

At the end, what was written is counted: each client's option must equal its number of successful
saves, with exactly one audit event per save; any difference is a lost (or phantom) update.

    .venv/bin/python benchmarks/editors.py [--clients 20] [--seconds 60] [--workers 4] [--quick]
"""

from __future__ import annotations

import argparse
import http.client
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from _common import (
    BASE_DIR,
    PYTHON,
    child_env,
    default_database_url,
    free_port,
    fresh_database,
    machine,
    median,
    migrate,
    percentile,
    production_env,
    redis_server,
    run_manage,
    table,
    use_database,
    wait_until,
)

PASSWORD = "bench-editor-pass-2026"
SECTION = "editors"
SETTINGS = {"DJANGO_SETTINGS_MODULE": "bench_settings"}


class FormParser(HTMLParser):
    """The fields a browser would submit from the page's POST form (disabled fields are not sent)."""

    def __init__(self, action: str | None = None):
        super().__init__()
        self.action = action  # the form posting there (None: the one without an action, to the page itself)
        self.in_form = False
        self.fields: list[list[str]] = []
        self.select: list | None = None
        self.stale = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post" and a.get("action") == self.action:
            self.in_form = True
        if a.get("id") == "stale-edit":
            self.stale = True
        if not self.in_form or "disabled" in a or not a.get("name") and tag != "option":
            return
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind in ("submit", "button", "file"):
                return
            self.fields.append([a["name"], a.get("value") or ("on" if kind == "checkbox" else "")])
        elif tag == "select":
            self.select = [a["name"], None, None]
        elif tag == "option" and self.select is not None:
            value = a.get("value", "")
            if self.select[2] is None:
                self.select[2] = value
            if "selected" in a:
                self.select[1] = value

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False
        elif tag == "select" and self.select is not None:
            name, selected, first = self.select
            self.fields.append([name, selected if selected is not None else (first or "")])
            self.select = None


@dataclass
class Stats:
    gets: list[float] = field(default_factory=list)
    posts: list[float] = field(default_factory=list)
    saves: int = 0
    conflicts: int = 0
    server_errors: int = 0
    other_errors: list[str] = field(default_factory=list)


class Browser:
    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str, body: dict | list | None = None) -> tuple[int, str, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        data = None
        if body is not None:
            data = urlencode([tuple(pair) for pair in (body.items() if isinstance(body, dict) else body)])
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=data, headers=headers)
                response = self.conn.getresponse()
                text = response.read().decode("utf-8", "replace")
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # gunicorn's sync workers close the connection after each response: open a new one.
                self.conn.close()
                if attempt:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.getheader("Connection", "").lower() == "close":
            self.conn.close()
        return response.status, response.getheader("Location", ""), text

    def form(self, path: str, action: str | None = None) -> tuple[int, FormParser, str]:
        status, _location, text = self.request("GET", path)
        parser = FormParser(action)
        parser.feed(text)
        return status, parser, text

    def login(self, username: str) -> None:
        _status, form, _ = self.form("/accounts/login/", action="/accounts/login/")
        fields = dict(form.fields) | {"username": username, "password": PASSWORD}
        status, location, _ = self.request("POST", "/accounts/login/", fields)
        if status != 302:
            raise RuntimeError(f"login of {username} failed ({status})")


def client(index: int, port: int, app_id: int, deadline_box: list, stats: Stats, ready: threading.Barrier):
    try:
        browser = Browser(port)
        browser.login(f"bench-editor-{index:02d}")
        ready.wait()
        edit_loop(browser, index, app_id, deadline_box, stats)
    except Exception as exc:  # noqa: BLE001 - reported with the figures, and the others stop waiting
        stats.other_errors.append(f"client stopped: {exc!r}")
        ready.abort()


def edit_loop(browser: Browser, index: int, app_id: int, deadline_box: list, stats: Stats) -> None:
    editor = f"/applications/{app_id}/options/edit/"
    mine = f"client-{index:02d}"
    while time.monotonic() < deadline_box[0]:
        start = time.perf_counter()
        status, form, _ = browser.form(editor)
        stats.gets.append((time.perf_counter() - start) * 1000)
        if status >= 500:
            stats.server_errors += 1
            continue
        if status != 200:
            stats.other_errors.append(f"GET {status}")
            continue
        fields = form.fields
        names = dict(fields)
        row = next((k.rsplit("-", 1)[0] for k, v in fields
                    if k.endswith("-name") and v == mine and names.get(k.replace("-name", "-section")) == SECTION),
                   None)
        if row is None:
            stats.other_errors.append("own option not on the page")
            continue
        for pair in fields:
            if pair[0] == f"{row}-value":
                pair[1] = str(int(pair[1]) + 1)
        start = time.perf_counter()
        status, location, text = browser.request("POST", editor, fields + [["_save", ""]])
        stats.posts.append((time.perf_counter() - start) * 1000)
        if status == 302 and urlsplit(location).path.endswith("/options/"):
            stats.saves += 1
        elif status == 200 and 'id="stale-edit"' in text:
            stats.conflicts += 1  # correct: someone saved in between; reload and try again
        elif status >= 500:
            stats.server_errors += 1
        else:
            stats.other_errors.append(f"POST {status}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker (>1: gthread)")
    parser.add_argument("--applications", type=int, default=5, help="applications the clients share")
    parser.add_argument("--scale", type=int, default=500, help="size of the environment (seed_demo --scale)")
    parser.add_argument("--database-url", default=default_database_url("bench_editors"),
                        help="database to recreate (its name must start with 'bench')")
    parser.add_argument("--quick", action="store_true", help="3 clients, 3 seconds, 2 workers: a smoke test")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    if args.quick:
        args.clients, args.seconds, args.workers, args.applications, args.scale = 3, 3, 2, 1, 20
    url = args.database_url

    fresh_database(url)
    migrate(url)
    env = child_env(url, **production_env(), **SETTINGS)
    env["PYTHONPATH"] = str(BASE_DIR / "benchmarks")
    run_manage(["seed_demo", "--scale", str(args.scale)], env=env, quiet=True)
    run_manage(["collectstatic", "--noinput", "-v", "0"], env=env, quiet=True)

    use_database(url, **production_env())
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group, User

    from applications.models import Application, AppType, AuditEvent, Option
    from applications.roles import OPERATOR

    apps = list(Application.objects.filter(app_type=AppType.COBROWSE_NODE, name__startswith="scale-node-0")
                .order_by("name")[: args.applications])
    encoded = make_password(PASSWORD)  # one hash for all: the logins are not what is measured
    group = Group.objects.get(name=OPERATOR)
    users = User.objects.bulk_create(User(username=f"bench-editor-{i:02d}", password=encoded)
                                     for i in range(args.clients))
    group.user_set.add(*users)
    targets = {i: apps[i % len(apps)] for i in range(args.clients)}
    Option.objects.bulk_create(Option(application=app, section=SECTION, name=f"client-{i:02d}", value="0")
                               for i, app in targets.items())
    revisions = {a.pk: a.options_revision for a in Application.objects.filter(pk__in=[a.pk for a in apps])}
    worker_class = "gthread" if args.threads > 1 else "sync"
    print(f"Concurrent editors: {args.clients} clients on {len(apps)} application(s) for {args.seconds:.0f} s; "
          f"gunicorn {args.workers} {worker_class} worker(s)"
          + (f" x {args.threads} threads" if args.threads > 1 else "")
          + f", one Celery worker, PostgreSQL, production settings; {machine()}")

    with redis_server() as redis_url, tempfile.TemporaryDirectory(prefix="bench-editors-") as tmp:
        run_env = child_env(url, redis_url=redis_url, **production_env(), **SETTINGS)
        run_env["PYTHONPATH"] = str(BASE_DIR / "benchmarks")
        port = free_port()
        gunicorn_log = Path(tmp) / "gunicorn.log"
        worker_log = Path(tmp) / "worker.log"
        with gunicorn_log.open("wb") as out:
            gunicorn = subprocess.Popen(
                [PYTHON, "-m", "gunicorn", "cobrowse_admin.wsgi", "--workers", str(args.workers),
                 "--threads", str(args.threads), "--worker-class", worker_class, "--bind", f"127.0.0.1:{port}",
                 "--access-logfile", "-", "--log-level", "warning"],
                cwd=BASE_DIR, env=run_env, stdout=out, stderr=subprocess.STDOUT)
        with worker_log.open("wb") as out:
            worker = subprocess.Popen(
                [PYTHON, "-m", "celery", "-A", "cobrowse_admin", "worker", "--pool=solo", "--loglevel=WARNING",
                 "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", "bench-editors@%h"],
                cwd=BASE_DIR, env=run_env, stdout=out, stderr=subprocess.STDOUT)
        try:
            def answers() -> bool:
                if gunicorn.poll() is not None:
                    raise SystemExit(f"gunicorn exited:\n{gunicorn_log.read_text()[-3000:]}")
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                    conn.request("GET", "/accounts/login/")
                    return conn.getresponse().status == 200
                except OSError:
                    return False

            wait_until(answers, timeout=60, what="gunicorn", interval=0.1)
            stats = [Stats() for _ in range(args.clients)]
            deadline = [float("inf")]
            ready = threading.Barrier(args.clients + 1)
            threads = [threading.Thread(target=client, args=(i, port, targets[i].pk, deadline, stats[i], ready),
                                        daemon=True) for i in range(args.clients)]
            for thread in threads:
                thread.start()
            try:
                ready.wait(timeout=300)  # every client is logged in
            except threading.BrokenBarrierError:
                problems = "; ".join(e for s in stats for e in s.other_errors)
                raise SystemExit(f"a client could not start: {problems}") from None
            started = time.monotonic()
            deadline[0] = started + args.seconds
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - started
        finally:
            gunicorn.terminate()
            gunicorn.wait(timeout=30)
            worker.terminate()
            worker.wait(timeout=30)
        status_lines = gunicorn_log.read_text(errors="replace").splitlines()
        logged_5xx = sum(1 for line in status_lines if '" 5' in line)
        # Kept for a look afterwards (benchmarks/out/ is not in git); errors are shown below.
        out_dir = BASE_DIR / "benchmarks" / "out"
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "editors-gunicorn.log").write_text("\n".join(status_lines))
        (out_dir / "editors-worker.log").write_text(worker_log.read_text(errors="replace"))
        problems = [line for line in status_lines if "Traceback" in line or " ERROR " in line or "Error" in line]

    lost = []
    for i, app in targets.items():
        value = int(Option.objects.get(application=app, section=SECTION, name=f"client-{i:02d}").value)
        events = AuditEvent.objects.filter(application=app, object_type="option",
                                           object_repr=f"[{SECTION}] client-{i:02d}", action="update").count()
        if value != stats[i].saves or events != stats[i].saves:
            lost.append(f"client {i}: {stats[i].saves} saves, value {value}, {events} audit events")
    for app in apps:
        saves = sum(stats[i].saves for i, a in targets.items() if a.pk == app.pk)
        now = Application.objects.get(pk=app.pk).options_revision
        if now - revisions[app.pk] != saves:
            lost.append(f"{app.name}: {saves} saves but the revision moved by {now - revisions[app.pk]}")

    def spread(values: list[float]) -> list[str]:
        if not values:
            return ["none", ""]
        return [f"p50 {median(values):.0f} ms", f"p95 {percentile(values, 95):.0f} ms"]

    gets = [t for s in stats for t in s.gets]
    posts = [t for s in stats for t in s.posts]
    everything = gets + posts
    saves = sum(s.saves for s in stats)
    conflicts = sum(s.conflicts for s in stats)
    server_errors = sum(s.server_errors for s in stats)
    others = [e for s in stats for e in s.other_errors]
    print(table([
        ["requests", f"{len(everything):,} in {elapsed:.1f} s", f"{len(everything) / elapsed:.1f} per second"],
        ["GET editor", *spread(gets)],
        ["POST save", *spread(posts)],
        ["all requests", *spread(everything)],
        ["saves", f"{saves:,}", f"{saves / elapsed:.1f} per second"],
        ["stale-edit answers (reloaded)", f"{conflicts:,}", f"{conflicts / max(1, len(posts)):.0%} of POSTs"],
        ["5xx", f"{server_errors}", f"{logged_5xx} in gunicorn's access log"],
        ["other errors", f"{len(others)}", "; ".join(sorted(set(others)))[:60]],
        ["lost updates", f"{len(lost)}", "values and audit events match the saves" if not lost else "; ".join(lost)],
    ], ["figure", "value", ""]))
    if problems:
        print("\nerrors logged by gunicorn (benchmarks/out/editors-gunicorn.log):")
        print("\n".join(problems[:20]))
    if server_errors or logged_5xx or lost or others:
        sys.exit(1)


if __name__ == "__main__":
    sys.exit(main())
