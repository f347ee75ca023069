"""Probe connections from a shell: one handshake per endpoint, many at once.

    python manage.py probe (--all | --application NAME | --connection ID) [--wait] [--here]

With a broker configured the probe runs on a worker (``--wait`` waits for its results; ``--here``
runs it in this process); without one it runs here. Exit status: 0 every probed connection is
trusted (or the probe was queued), 1 some are not, 2 bad input or the queue is down.
"""

import time

from django.core.management.base import CommandError
from django.db import DatabaseError

from applications.text import quoted
from security.management.commands._cli import OperatorCommand

BAD_INPUT = 2


class Command(OperatorCommand):
    help = ("Probe connections through secure ports (one handshake per endpoint, PROBE_CONCURRENCY at once) and "
            "print what each client's store says. Exit 0 all trusted, 1 some not, 2 bad input or queue down.")

    def create_parser(self, prog_name, subcommand, **kwargs):
        return super().create_parser(prog_name, subcommand, allow_abbrev=False, **kwargs)

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--all", action="store_true", help="every connection through a secure port")
        which.add_argument("--application", help="the connections of this client application")
        which.add_argument("--connection", help="one connection, by id")
        parser.add_argument("--wait", action="store_true", help="wait for the worker's results and print them")
        parser.add_argument("--here", action="store_true", help="probe in this process, not on the workers")
        parser.add_argument("--timeout", type=int, default=600, help="seconds --wait waits at most (default 600)")

    def handle(self, *args, **options):
        try:
            self.run(**options)
        except DatabaseError as exc:
            raise CommandError(f"the database is unreachable: {' '.join(str(exc).split())}",
                               returncode=BAD_INPUT) from None

    def selected(self, *, all, application, connection) -> list[int]:
        from applications.models import Application, Connection
        from security.probe import probe_refusal, probeable_connections

        if connection is not None:
            if not connection.strip().isdigit() or int(connection) > 2**31 - 1:
                raise CommandError(f"--connection {quoted(connection)} is not a connection id", returncode=BAD_INPUT)
            found = Connection.objects.select_related("port__application__host").filter(pk=int(connection)).first()
            if found is None:
                raise CommandError(f"no connection with id {int(connection)}", returncode=BAD_INPUT)
            refusal = probe_refusal(found)
            if refusal:
                raise CommandError(f"not probed: {refusal}", returncode=BAD_INPUT)
            return [found.pk]
        if application is not None:
            app = Application.objects.filter(name=application).first()
            if app is None:
                raise CommandError(f"no application named {quoted(application)}", returncode=BAD_INPUT)
            ids = list(probeable_connections().filter(client=app).values_list("pk", flat=True))
            if not ids:
                raise CommandError(f"{app.name} has no connection through a secure port: nothing to probe",
                                   returncode=BAD_INPUT)
            return ids
        return list(probeable_connections().values_list("pk", flat=True))

    def run(self, *, all, application, connection, wait, here, timeout, **options):
        from cobrowse_admin.celery import app as celery_app
        from security.models import ProbeResult
        from security.probe import enqueue_probes, probe_connections

        ids = self.selected(all=all, application=application, connection=connection)
        if not ids:
            self.stdout.write("No connection goes through a secure port: nothing to probe.")
            return
        before = ProbeResult.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        started = time.monotonic()
        if here or celery_app.conf.task_always_eager:
            run = probe_connections(ids)
            self.stdout.write(f"{len(ids)} connection(s) probed through {run.handshakes} handshake(s) in "
                              f"{run.seconds:.1f} s.")
        else:
            if not enqueue_probes(ids):
                raise CommandError("cannot reach the task queue (is Redis running?); run with --here to probe in "
                                   "this process", returncode=BAD_INPUT)
            if not wait:
                self.stdout.write(f"Probe of {len(ids)} connection(s) queued on the workers; run with --wait to "
                                  "wait for the results.")
                return
            self.wait_for(ids, before, started + timeout)
            self.stdout.write(f"{len(ids)} connection(s) probed on the workers in {time.monotonic() - started:.1f} s.")
        self.report(ids, before)

    def wait_for(self, ids: list[int], before: int, deadline: float) -> None:
        from security.models import ProbeResult

        while time.monotonic() < deadline:
            done = (ProbeResult.objects.filter(pk__gt=before, connection_id__in=ids)
                    .values("connection_id").distinct().count())
            if done >= len(ids):
                return
            time.sleep(0.5)
        raise CommandError("the workers did not finish the probes in time; their results will show on the review "
                           "when they do", returncode=BAD_INPUT)

    def report(self, ids: list[int], before: int) -> None:
        from security.models import ProbeOutcome, ProbeResult

        results = (ProbeResult.objects.filter(pk__gt=before, connection_id__in=ids)
                   .select_related("connection__client", "connection__port__application")
                   .order_by("connection_id", "pk"))
        failing = 0
        for result in results:
            c = result.connection
            ok = result.outcome == ProbeOutcome.OK
            failing += not ok
            store = result.store_name or "no store"
            self.stdout.write(f"{'OK  ' if ok else 'FAIL'} #{c.pk} {c.client.name} -> {c.port.application.name}:"
                              f"{c.port.port_id} ({result.host}:{result.port_number}) for {result.used_by} with "
                              f"{store}: {result.get_outcome_display()}" + ("" if ok else f" - {result.detail}"))
        if failing:
            raise CommandError(f"{failing} probe result(s) not trusted", returncode=1)
