"""Verify the audit chain from the first event to the last.

Exit status: 0 the chain is whole, 1 it is broken (the first event changed, removed or inserted is
named), 2 the verification could not run. The result is kept: the audit page shows it.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from applications.audit_chain import verify_and_store


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; exit status 1 naming the first event changed, removed or inserted."
    requires_system_checks = []

    def handle(self, *args, **options):
        try:
            check = verify_and_store(by="verify_audit")
        except DatabaseError as exc:
            raise CommandError(f"the database is unreachable: {' '.join(str(exc).split())}", returncode=2) from None
        if not check.intact:
            at = f" ({check.broken_event_at:%Y-%m-%d %H:%M:%S} UTC)" if check.broken_event_at else ""
            raise CommandError(f"audit trail broken at event {check.broken_event_id}{at}: {check.problem}. "
                               f"{check.detail}", returncode=1)
        if options.get("verbosity", 1):
            self.stdout.write(f"Audit trail intact: {check.events} event(s), verified in {check.seconds:.2f} s.")
