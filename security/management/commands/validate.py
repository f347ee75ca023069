"""Validate everything (the sweep) from a shell and print the findings per object.

Exit status: 0 no errors found, 1 errors found, 2 the sweep could not run or finish.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from cobrowse_admin.celery import app as celery_app

FAILED = 2


class Command(BaseCommand):
    help = (
        "Validate every trusted store, application and connection, and print the errors and warnings per object. "
        "With a broker configured the sweep runs on the Celery workers (use --wait to wait for its result, or "
        "--here to run it in this process); without one it runs here. Exit status 1 when errors are found."
    )

    def add_arguments(self, parser):
        parser.add_argument("--wait", action="store_true", help="wait for the workers to finish the sweep")
        parser.add_argument("--here", action="store_true", help="run the sweep in this process, not on the workers")
        parser.add_argument("--timeout", type=int, default=900, help="seconds --wait waits at most (default 900)")

    def handle(self, *args, wait, here, timeout, **options):
        self.verbosity = options.get("verbosity", 1)
        try:
            self.run(wait=wait, here=here, timeout=timeout)
        except DatabaseError as exc:
            reason = " ".join(str(exc).split())
            raise CommandError(f"the database is unreachable: {reason}", returncode=FAILED) from None

    def run(self, *, wait: bool, here: bool, timeout: int) -> None:
        from security import sweeps

        sweep = sweeps.sweep_create(trigger="command", actor="validate command")
        if here or celery_app.conf.task_always_eager:
            sweeps.run_sweep(sweep.pk, progress=self.progress if self.verbosity > 1 else None)
        else:
            if not sweeps.enqueue_sweep(sweep):
                sweeps.sweep_failed(sweep.pk, "The task queue could not be reached.")
                raise CommandError("cannot reach the task queue (is Redis running?); run with --here to validate in "
                                   "this process", returncode=FAILED)
            if not wait:
                self.stdout.write(f"Sweep #{sweep.pk} queued on the workers; run with --wait to wait for its result.")
                return
            self.wait_for(sweep, timeout)
        sweep.refresh_from_db()
        self.report(sweep)

    def progress(self, done: int, total: int) -> None:
        self.stderr.write(f"{done}/{total}", ending="\r")

    def wait_for(self, sweep, timeout: int) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            sweep.refresh_from_db()
            if sweep.finished:
                return
            time.sleep(0.5)
        raise CommandError(f"sweep #{sweep.pk} did not finish within {timeout} s (is a Celery worker running?)",
                           returncode=FAILED)

    def report(self, sweep) -> None:
        from security.sweeps import findings_summary, sweep_progress

        if sweep.status != "done":
            raise CommandError(f"sweep #{sweep.pk} {sweep.status}: {sweep.message or 'no reason given'}",
                               returncode=FAILED)
        progress = sweep_progress(sweep)
        self.stdout.write(f"Sweep #{sweep.pk} done: {progress.done} object(s) checked, "
                          f"{sweep.error_count} error(s), {sweep.warning_count} warning(s).")
        for summary in findings_summary():
            self.stdout.write(f"{summary.kind} {summary.name}: {summary.errors} error(s), "
                              f"{summary.warnings} warning(s)")
            for finding in summary.findings:
                self.stdout.write(f"  {finding.severity:<8} {finding.code}  {finding.message}")
        if sweep.message:
            self.stderr.write(sweep.message)
        if sweep.error_count:
            raise CommandError(f"{sweep.error_count} error(s) found", returncode=1)
