"""Write the audit trail to a file as CSV or JSON Lines, streamed (flat memory at any size).

Exit status: 0 written, 2 bad arguments (a date, a path that cannot be written).
"""

import os
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from applications.audit_export import FORMATS, filter_events
from applications.models import AuditEvent
from applications.text import quoted

BAD = 2


def parse_date(option: str, text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{option}: expected a date like 2026-12-31, got {quoted(text)}", returncode=BAD) from None


class Command(BaseCommand):
    help = ("Write the audit events (oldest first) to --out as CSV or JSON Lines; --since/--until keep the "
            "events of those days (UTC), as the audit page's filters do.")
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--format", required=True, choices=sorted(FORMATS), dest="fmt")
        parser.add_argument("--since", help="first day, YYYY-MM-DD")
        parser.add_argument("--until", help="last day, YYYY-MM-DD")
        parser.add_argument("--out", required=True, help="the file to write (replaced when it exists)")

    def handle(self, *args, fmt, since, until, out, **options):
        since_day, until_day = parse_date("--since", since), parse_date("--until", until)
        if since_day and until_day and since_day > until_day:
            raise CommandError(f"--since {since_day} is after --until {until_day}", returncode=BAD)
        target = Path(out)
        if target.is_dir():
            raise CommandError(f"--out {out} is a directory: give a file name", returncode=BAD)
        lines, _content_type = FORMATS[fmt]
        events = filter_events(AuditEvent.objects.all(), {"since": since_day, "until": until_day})
        # Written beside the target and renamed at the end: a failed export never leaves half a file.
        partial = target.with_name(f".{target.name}.partial")
        count = 0
        try:
            with partial.open("w", encoding="utf-8", newline="") as handle:
                for line in lines(events):
                    handle.write(line)
                    count += 1
            os.replace(partial, target)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            reason = exc.strerror or exc.__class__.__name__
            raise CommandError(f"cannot write {out}: {reason}", returncode=BAD) from None
        except DatabaseError as exc:
            partial.unlink(missing_ok=True)
            raise CommandError(f"the database is unreachable: {' '.join(str(exc).split())}", returncode=BAD) from None
        written = count - 1 if fmt == "csv" else count
        if options.get("verbosity", 1):
            self.stdout.write(f"{written} event(s) written to {out}.")
