"""Options at the largest size the import accepts: editor, options tab, export and .cfg import of one application.

A fresh PostgreSQL database with the demo environment; a Co-browse Node gets its options from a
``.cfg`` file of ``--options`` options (20,000 by default: ``applications.limits``' largest) in
sections of 25, imported through the page as the Security officer (preview, then confirm). Then,
in-process through Django's test ``Client`` (whole middleware stack, sessions, templates; debug off):
the editor's first page, the editor filtered to one section, a save of one changed value posted
as a browser posts the page, the Options tab, the export. Each timed ``--requests`` times; the
import is timed on ``--imports`` fresh applications (each confirm writes every option).

The checks a save asks for (restart tracking, validation) run in Celery workers in production:
here they are queued without a worker, so the request is measured alone, and the checks of the big
application are timed on their own at the end. A few saves are also timed with the checks run in the
request, as they are without Redis (``make run``).

    .venv/bin/python benchmarks/options_scale.py [--options 20000] [--requests 10] [--imports 2] [--quick]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
import tracemalloc
import warnings
from urllib.parse import urlencode

from _browser import page_forms
from _common import (
    BASE_DIR,
    PYTHON,
    child_env,
    default_database_url,
    fresh_database,
    machine,
    median,
    migrate,
    run_manage,
    table,
)

TARGET_EDITOR_MS = 1000
SECTION_SIZE = 25


def cfg_file(count: int) -> bytes:
    lines = ["# benchmark options", "[log]", "verbose = standard"]
    for i in range(count - 1):
        if i % SECTION_SIZE == 0:
            lines += ["", f"[section-{i // SECTION_SIZE:04d}]"]
        lines.append(f"option-{i:05d} = value {i} of the benchmark")
    return ("\n".join(lines) + "\n").encode()


CPU: dict[str, list[float]] = {}


def timed(call, label: str = "") -> tuple[float, object]:
    """Wall time in ms; the CPU time of this process (the web server's own work, without the waits for
    PostgreSQL or for a busy machine's cores) is kept in ``CPU`` under ``label``."""
    start, cpu = time.perf_counter(), time.process_time()
    result = call()
    if label:
        CPU.setdefault(label, []).append((time.process_time() - cpu) * 1000)
    return (time.perf_counter() - start) * 1000, result


def hidden_fields(html: str, button: str) -> dict[str, str]:
    """The hidden inputs of the POST form holding the button named ``button``."""
    for form in re.findall(r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", html, flags=re.S):
        if f'name="{button}"' in form:
            return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    raise SystemExit(f"no form with a {button} button on the page")


def measure(database_url: str, options: int, requests: int, imports: int) -> dict:
    from _common import use_database

    use_database(database_url)
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from applications.models import Application, AppType, Option
    from applications.tasks import flag_restart_required
    from security.tasks import validate_application

    settings.DEBUG = False
    # Queued, not run: in production a worker runs the checks, after the response.
    settings.CELERY_TASK_ALWAYS_EAGER = False
    from cobrowse_admin.celery import app as celery_app

    celery_app.conf.task_always_eager = False
    data = cfg_file(options)
    client = Client()
    client.force_login(User.objects.get(username="security"))
    template = Application.objects.get(name="Cobrowse_Node_1")
    figures: dict[str, list[float]] = {"import preview": [], "import confirm": []}
    sizes: dict[str, int] = {}
    statuses: dict[str, int] = {}
    big = None
    for n in range(imports):
        app = Application.objects.create(name=f"Bench_Node_{n}", app_type=AppType.COBROWSE_NODE,
                                         version=template.version, host=template.host)
        url = f"/applications/{app.pk}/options/import/"
        ms, response = timed(lambda url=url: client.post(url, {"file": SimpleUploadedFile("big.cfg", data)}),
                             "import preview")
        figures["import preview"].append(ms)
        sizes["import preview"] = len(response.content)
        statuses["import preview"] = response.status_code
        fields = hidden_fields(response.content.decode(), "_confirm")
        ms, response = timed(lambda url=url, fields=fields: client.post(url, {**fields, "_confirm": ""}),
                             "import confirm")
        figures["import confirm"].append(ms)
        statuses["import confirm"] = response.status_code
        big = app
    stored = Option.objects.filter(application=big).count()
    if stored != options:
        raise SystemExit(f"the import stored {stored} options, not {options}")

    editor = f"/applications/{big.pk}/options/edit/"
    section = f"section-{(options // SECTION_SIZE) // 2:04d}"
    pages = [
        ("editor, first page (GET)", editor),
        ("editor, one section (GET)", f"{editor}?section={section}"),
        ("Options tab (GET)", f"/applications/{big.pk}/options/"),
        ("export .cfg (GET)", f"/applications/{big.pk}/options/export/"),
    ]
    for label, url in pages:
        figures[label] = []
        for _ in range(requests):
            ms, response = timed(lambda url=url: client.get(url), label)
            figures[label].append(ms)
        sizes[label] = len(response.content)
        statuses[label] = response.status_code
        tracemalloc.start()
        client.get(url)
        sizes[label + " peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()

    saved = 0

    def save_one(label: str, i: int) -> None:
        nonlocal saved
        response = client.get(f"{editor}?section={section}")
        # The editor's own form: the POST form without an action (it posts to the page itself).
        form = next(f for f in page_forms(response.content.decode()).forms if f.method == "post" and not f.action)
        fields = form.fields
        row = next(k.rsplit("-", 1)[0] for k, v in fields if k.endswith("-name") and v.startswith("option-"))
        name = dict(fields)[f"{row}-name"]
        for pair in fields:
            if pair[0] == f"{row}-value":
                pair[1] = f"changed {i}"
        body = urlencode([tuple(p) for p in fields] + [("_save", "")])
        ms, response = timed(lambda: client.post(f"{editor}?section={section}", body,
                                                 content_type="application/x-www-form-urlencoded"), label)
        figures.setdefault(label, []).append(ms)
        statuses[label] = response.status_code
        sizes[label + " fields"] = len(fields)
        saved += Option.objects.filter(application=big, section=section, name=name, value=f"changed {i}").exists()

    for i in range(requests):
        save_one("editor, save one changed value (POST)", i)
    # Without REDIS_URL (make run) the checks run in the request, after the commit: measured too.
    celery_app.conf.task_always_eager = True
    for i in range(requests, requests + max(2, requests // 3)):
        save_one("editor, save one changed value, checks in the request (no Redis)", i)
    celery_app.conf.task_always_eager = False

    checks = {}
    ms, _ = timed(lambda: flag_restart_required(big.pk))
    checks["restart tracking (Celery task)"] = ms
    ms, _ = timed(lambda: validate_application(big.pk))
    checks["validation (Celery task)"] = ms
    return {"figures": figures, "cpu": CPU, "sizes": sizes, "statuses": statuses, "checks": checks,
            "saved": saved, "options": stored}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--options", type=int, default=20000, help="options in the imported file")
    parser.add_argument("--requests", type=int, default=10, help="timed requests per page")
    parser.add_argument("--imports", type=int, default=2, help="applications imported into (preview + confirm)")
    parser.add_argument("--database-url", default=default_database_url("bench_options"),
                        help="database to recreate (its name must start with 'bench')")
    parser.add_argument("--quick", action="store_true", help="500 options, 2 requests, 1 import: a smoke test")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    if args.quick:
        args.options, args.requests, args.imports = 500, 2, 1
    if args.measure:
        print(json.dumps(measure(args.database_url, args.options, args.requests, args.imports)))
        return

    url = args.database_url
    fresh_database(url)
    migrate(url)
    run_manage(["seed_demo"], env=child_env(url), quiet=True)
    out = subprocess.run([PYTHON, __file__, "--measure", "--database-url", url, "--options", str(args.options),
                          "--requests", str(args.requests), "--imports", str(args.imports)],
                         cwd=BASE_DIR, env=child_env(url), capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"measuring failed:\n{out.stdout}{out.stderr}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"Options at scale: one application with {result['options']:,} options imported from a .cfg file, "
          f"in-process (Django test Client, server-side time, debug off, checks queued); {machine()}; "
          "CPU: this process's own time (without the waits for PostgreSQL and for a busy machine's cores)")
    rows, over = [], []
    for label, times in result["figures"].items():
        size = result["sizes"].get(label)
        peak = result["sizes"].get(label + " peak")
        fields = result["sizes"].get(label + " fields")
        extra = []
        if size is not None:
            extra.append(f"{size / 1024:,.0f} KB page")
        if peak is not None:
            extra.append(f"{peak / 1024 / 1024:,.1f} MB Python peak")
        if fields is not None:
            extra.append(f"{fields} fields posted")
        cpu = result["cpu"].get(label)
        rows.append([label, str(result["statuses"][label]), str(len(times)), f"{median(times):,.0f} ms",
                     f"{max(times):,.0f} ms", f"{median(cpu):,.0f} ms" if cpu else "", ", ".join(extra)])
        if label.startswith("editor") and max(times) > TARGET_EDITOR_MS:
            over.append(label)
    print()
    print(table(rows, ["request", "status", "runs", "p50", "max", "CPU p50", ""]))
    print()
    for label, ms in result["checks"].items():
        print(f"background, after a save: {label} of the application: {ms:,.0f} ms")
    saves = sum(len(times) for label, times in result["figures"].items() if label.startswith("editor, save"))
    print(f"saves stored: {result['saved']} of {saves} (each save's value read back from the database)")
    bad = [label for label, status in result["statuses"].items() if status >= 400]
    if result["saved"] != saves:
        bad.append("saves not stored")
    print(f"target: editor requests <= {TARGET_EDITOR_MS} ms server time, no error status: "
          + ("met" if not over and not bad else "NOT met for " + "; ".join(over + [f"{b} (status)" for b in bad])))


if __name__ == "__main__":
    sys.exit(main())
