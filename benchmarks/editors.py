"""Concurrent editors: gunicorn, many clients editing options, applications, ports and trusted stores.

Production settings (debug off, static files from a manifest), gunicorn with several workers, a
Celery worker on a private Redis (each save queues the restart flag and the checks, as in
production), and ``--clients`` threads, each logged in as its own Security officer (who has the
Operator's rights too). Each client edits, in turn, four kinds of objects shared with other clients,
as a browser does: GET the form, change it, POST the whole form with the version (or options
revision) it was opened at:
- the options editor of an application: add one to its own counter option ``[editors] client-NN``;
- the General tab of the same application: add one to the counter in its service account;
- a port of that application: add one to its number;
- a trusted store: add one to the counter in its description, and add or remove "its" certificate.
A conflict answer (someone saved the same object in between) is the correct outcome, counted apart,
and the client reloads and tries again.

At the end, what was written is counted: every counter must equal the number of successful saves of
its object (with one audit event per save), each application's options revision must have moved by
the number of options saves, and each certificate is in its store exactly when it was toggled an odd
number of times. Any difference is a lost (or phantom) update.

    .venv/bin/python benchmarks/editors.py [--clients 20] [--seconds 60] [--workers 4] [--sqlite] [--quick]
"""

from __future__ import annotations

import argparse
import http.client
import logging
import re
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from _browser import Browser, Form
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
KINDS = ("options", "application", "port", "store")
PORT_BASE = 10000
COUNTER = re.compile(r"(\d+)$")


@dataclass
class Target:
    """What one client edits: an application (options, General, its bench port) and a store, with the
    certificate of the store it adds and removes."""

    app_id: int
    port_id: int
    store_id: int
    certificate_id: int


@dataclass
class Stats:
    gets: list[float] = field(default_factory=list)
    posts: list[float] = field(default_factory=list)
    saves: Counter = field(default_factory=Counter)  # kind → successful saves
    conflicts: Counter = field(default_factory=Counter)
    toggles: int = 0  # saves of the store that added or removed its certificate
    server_errors: int = 0
    other_errors: list[str] = field(default_factory=list)


def client(index: int, port: int, target: Target, kinds: tuple[str, ...], deadline_box: list, stats: Stats,
           ready: threading.Barrier):
    try:
        browser = Browser(port)
        browser.login(f"bench-editor-{index:02d}", PASSWORD)
        ready.wait()
        edit_loop(browser, index, target, kinds, deadline_box, stats)
    except Exception as exc:  # noqa: BLE001 - reported with the figures, and the others stop waiting
        stats.other_errors.append(f"client stopped: {exc!r}")
        ready.abort()


def counted(text: str) -> int:
    found = COUNTER.search(text or "")
    return int(found.group(1)) if found else 0


def edit_options(form: Form, index: int) -> bool:
    mine = f"client-{index:02d}"
    row = next((name.rsplit("-", 1)[0] for name, value in form.fields
                if name.endswith("-name") and value == mine
                and form.value(name.replace("-name", "-section")) == SECTION), None)
    if row is None:
        return False
    form.set(f"{row}-value", str(int(form.value(f"{row}-value")) + 1))
    return True


def edit_application(form: Form, _index: int) -> bool:
    form.set("service_account", f"bench {counted(form.value('service_account')) + 1}")
    return True


def edit_port(form: Form, _index: int) -> bool:
    form.set("number", str(int(form.value("number")) + 1))
    return True


def edit_store(form: Form, _index: int, certificate_id: int) -> bool:
    form.set("description", f"bench {counted(form.value('description')) + 1}")
    members = form.values("certificates")
    mine = str(certificate_id)
    form.set("certificates", *([m for m in members if m != mine] if mine in members else [*members, mine]))
    return True


def edit_loop(browser: Browser, index: int, target: Target, kinds: tuple[str, ...], deadline_box: list,
              stats: Stats) -> None:
    app, store = f"/applications/{target.app_id}/", f"/security/stores/{target.store_id}/"
    pages = {  # kind → (form, its version field, where a save leads)
        "options": (f"{app}options/edit/", "revision", f"{app}options/"),
        "application": (f"{app}edit/", "opened_version", app),
        "port": (f"{app}ports/{target.port_id}/edit/", "opened_version", f"{app}ports/"),
        "store": (f"{store}edit/", "opened_version", store),
    }
    turn = index
    while time.monotonic() < deadline_box[0]:
        kind = kinds[turn % len(kinds)]
        turn += 1
        path, containing, done = pages[kind]
        start = time.perf_counter()
        try:
            answer, form = browser.form(path, containing=containing)
        except LookupError as exc:
            stats.other_errors.append(str(exc)[:60])
            continue
        finally:
            stats.gets.append((time.perf_counter() - start) * 1000)
        if answer.status >= 500:
            stats.server_errors += 1
            continue
        if kind == "store":
            changed = edit_store(form, index, target.certificate_id)
        else:
            edit = {"options": edit_options, "application": edit_application, "port": edit_port}[kind]
            changed = edit(form, index)
        if not changed:
            stats.other_errors.append(f"{kind}: own row not on the page")
            continue
        start = time.perf_counter()
        answer = browser.post(path, form, ("_save", ""))
        stats.posts.append((time.perf_counter() - start) * 1000)
        if answer.status == 302 and answer.location.rstrip("/").endswith(done.rstrip("/")):
            stats.saves[kind] += 1
            stats.toggles += kind == "store"
        elif answer.stale:
            stats.conflicts[kind] += 1  # correct: someone saved in between; reload and try again
        elif answer.status >= 500:
            stats.server_errors += 1
        else:
            stats.other_errors.append(f"POST {kind} {answer.status}")


def lost_updates(targets: dict[int, Target], stats: list[Stats], revisions: dict[int, int],
                 first_event: int) -> list:
    """Every difference between what was saved (as the clients counted it) and what is stored."""
    from applications.models import Application, AuditEvent, Option, Port
    from security.models import StoreEntry, TrustedStore

    lost = []
    updates = AuditEvent.objects.filter(id__gt=first_event, action="update")
    per_object: dict[tuple[str, int], int] = Counter()
    toggles: dict[tuple[int, int], int] = Counter()
    for i, target in targets.items():
        value = int(Option.objects.get(application_id=target.app_id, section=SECTION, name=f"client-{i:02d}").value)
        events = updates.filter(application_id=target.app_id, object_type="option",
                                object_repr=f"[{SECTION}] client-{i:02d}").count()
        if value != stats[i].saves["options"] or events != stats[i].saves["options"]:
            lost.append(f"client {i}: {stats[i].saves['options']} options saves, value {value}, {events} audit events")
        per_object["options", target.app_id] += stats[i].saves["options"]
        per_object["application", target.app_id] += stats[i].saves["application"]
        per_object["port", target.port_id] += stats[i].saves["port"]
        per_object["store", target.store_id] += stats[i].saves["store"]
        toggles[target.store_id, target.certificate_id] += stats[i].toggles
    for (kind, pk), saved in sorted(per_object.items()):
        if kind == "options":
            moved = Application.objects.get(pk=pk).options_revision - revisions[pk]
            stored, events = moved, moved
        elif kind == "application":
            stored = counted(Application.objects.get(pk=pk).service_account)
            events = updates.filter(object_type="application", object_id=str(pk),
                                    changes__has_key="service_account").count()
        elif kind == "port":
            stored = Port.objects.get(pk=pk).number - PORT_BASE
            events = updates.filter(object_type="port", object_id=str(pk)).count()
        else:
            stored = counted(TrustedStore.objects.get(pk=pk).description)
            events = updates.filter(object_type="store", object_id=str(pk)).count()
        if stored != saved or events != saved:
            lost.append(f"{kind} {pk}: {saved} saves, counter {stored}, {events} audit events")
    for (store_id, certificate_id), count in sorted(toggles.items()):
        present = StoreEntry.objects.filter(store_id=store_id, certificate_id=certificate_id).exists()
        if present != (count % 2 == 1):
            lost.append(f"store {store_id}: certificate {certificate_id} toggled {count} times but "
                        f"{'in' if present else 'not in'} the store")
    return lost


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
    parser.add_argument("--kinds", default=",".join(KINDS),
                        help=f"what the clients edit, in turn (default: {','.join(KINDS)}; options alone is the "
                             "workload of the figures before 3 December 2026)")
    parser.add_argument("--sqlite", action="store_true",
                        help="the default database of `make run` instead: an SQLite file in benchmarks/out/")
    parser.add_argument("--quick", action="store_true", help="3 clients, 3 seconds, 2 workers: a smoke test")
    args = parser.parse_args()
    kinds = tuple(k for k in KINDS if k in args.kinds.split(","))
    if not kinds:
        parser.error(f"--kinds: choose among {', '.join(KINDS)}")
    warnings.simplefilter("ignore")
    if args.quick:
        args.clients, args.seconds, args.workers, args.applications, args.scale = 3, 3, 2, 1, 20
    url = f"sqlite:///{BASE_DIR / 'benchmarks' / 'out' / 'bench_editors.sqlite3'}" if args.sqlite else args.database_url
    engine = "SQLite" if url.startswith("sqlite") else "PostgreSQL"

    fresh_database(url)
    migrate(url)
    env = child_env(url, **production_env(), **SETTINGS)
    env["PYTHONPATH"] = str(BASE_DIR / "benchmarks")
    run_manage(["seed_demo", "--scale", str(args.scale)], env=env, quiet=True)
    run_manage(["collectstatic", "--noinput", "-v", "0"], env=env, quiet=True)

    use_database(url, **production_env())
    # The stores made below have their checks run here (no broker in this process): not worth a log line.
    logging.getLogger("celery").setLevel(logging.WARNING)
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group, User

    from applications.models import Application, AppType, AuditEvent, Option, Port
    from applications.roles import SECURITY_OFFICER
    from security.models import Certificate, Provider, TrustedStore
    from security.stores import store_save

    apps = list(Application.objects.filter(app_type=AppType.COBROWSE_NODE, name__startswith="scale-node-0")
                .order_by("name")[: args.applications])
    encoded = make_password(PASSWORD)  # one hash for all: the logins are not what is measured
    group = Group.objects.get(name=SECURITY_OFFICER)  # stores too; an Operator's rights included
    users = User.objects.bulk_create(User(username=f"bench-editor-{i:02d}", password=encoded)
                                     for i in range(args.clients))
    group.user_set.add(*users)
    certificates = list(Certificate.objects.order_by("pk")[: max(2, args.clients // 2 + 1)])
    if len(certificates) < 2:
        raise SystemExit("the environment has fewer than 2 certificates (seed_demo --scale at least 20)")
    stores, ports = [], {}
    for k, app in enumerate(apps):
        ports[app.pk] = Port.objects.create(application=app, port_id="bench", number=PORT_BASE)
        if k % 2 == 0:  # a store for every two applications: more clients share each
            stores.append(store_save(store=TrustedStore(name=f"bench-store-{k:02d}", provider=Provider.PEM,
                                                        path=f"/opt/genesys/trust/bench-{k:02d}.pem",
                                                        description="bench 0"),
                                     certificates=certificates[:1], password=None, actor="bench"))
    targets = {
        i: Target(app_id=apps[i % len(apps)].pk, port_id=ports[apps[i % len(apps)].pk].pk,
                  store_id=stores[i % len(stores)].pk,
                  certificate_id=certificates[1 + i % (len(certificates) - 1)].pk)
        for i in range(args.clients)
    }
    Option.objects.bulk_create(Option(application_id=t.app_id, section=SECTION, name=f"client-{i:02d}", value="0")
                               for i, t in targets.items())
    Application.objects.filter(pk__in=[a.pk for a in apps]).update(service_account="bench 0")
    revisions = {a.pk: a.options_revision for a in Application.objects.filter(pk__in=[a.pk for a in apps])}
    first_event = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    worker_class = "gthread" if args.threads > 1 else "sync"
    print(f"Concurrent editors: {args.clients} clients on {len(apps)} application(s), {len(apps)} port(s) and "
          f"{len(stores)} trusted store(s) for {args.seconds:.0f} s; "
          f"gunicorn {args.workers} {worker_class} worker(s)"
          + (f" x {args.threads} threads" if args.threads > 1 else "")
          + f", one Celery worker, {engine}, production settings; {machine()}")

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
            threads = [threading.Thread(target=client, args=(i, port, targets[i], kinds, deadline, stats[i], ready),
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

    lost = lost_updates(targets, stats, revisions, first_event)

    def spread(values: list[float]) -> list[str]:
        if not values:
            return ["none", ""]
        return [f"p50 {median(values):.0f} ms", f"p95 {percentile(values, 95):.0f} ms"]

    gets = [t for s in stats for t in s.gets]
    posts = [t for s in stats for t in s.posts]
    everything = gets + posts
    saves = Counter()
    conflicts = Counter()
    for client_stats in stats:
        saves.update(client_stats.saves)
        conflicts.update(client_stats.conflicts)
    server_errors = sum(s.server_errors for s in stats)
    others = [e for s in stats for e in s.other_errors]
    rows = [
        ["requests", f"{len(everything):,} in {elapsed:.1f} s", f"{len(everything) / elapsed:.1f} per second"],
        ["GET form", *spread(gets)],
        ["POST save", *spread(posts)],
        ["all requests", *spread(everything)],
        ["saves", f"{sum(saves.values()):,}", f"{sum(saves.values()) / elapsed:.1f} per second"],
    ]
    for kind in kinds:
        tried = saves[kind] + conflicts[kind]
        rows.append([f"  {kind}", f"{saves[kind]:,} saved, {conflicts[kind]:,} conflicts",
                     f"{conflicts[kind] / max(1, tried):.0%} of its POSTs"])
    rows += [
        ["conflict answers (reloaded)", f"{sum(conflicts.values()):,}",
         f"{sum(conflicts.values()) / max(1, len(posts)):.0%} of POSTs"],
        ["5xx", f"{server_errors}", f"{logged_5xx} in gunicorn's access log"],
        ["other errors", f"{len(others)}", "; ".join(sorted(set(others)))[:60]],
        ["lost updates", f"{len(lost)}", "values, audit events and members match the saves" if not lost
         else "listed below"],
    ]
    print(table(rows, ["figure", "value", ""]))
    if lost:
        print("\nlost updates:\n" + "\n".join(lost))
    if problems:
        print("\nerrors logged by gunicorn (benchmarks/out/editors-gunicorn.log):")
        print("\n".join(problems[:20]))
    if server_errors or logged_5xx or lost or others:
        sys.exit(1)


if __name__ == "__main__":
    sys.exit(main())
