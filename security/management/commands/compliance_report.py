"""The TLS compliance report on the command line: a summary, or the CSV the page exports (``--csv``)."""

import csv
import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import CommandError

from security.management.commands._cli import OperatorCommand


class Command(OperatorCommand):
    help = ("The TLS compliance report (every policy rule, pass / fail per application) from the stored findings. "
            "--csv: the CSV the report page exports; --check: exit with 1 when a rule fails.")

    def add_arguments(self, parser):
        parser.add_argument("--csv", action="store_true", help="Print the report as CSV.")
        parser.add_argument("--check", action="store_true", help="Exit with status 1 when the overall outcome is fail.")

    def handle(self, *args, **options):
        from security.compliance import FAIL, compliance_report, csv_rows

        try:
            report = compliance_report()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        if options["csv"]:
            csv.writer(self.stdout, lineterminator="\n").writerows(csv_rows(report))
        else:
            self.stdout.write(f"TLS compliance: {report.outcome.upper()} ({report.signature})")
            for result in report.rules:
                self.stdout.write(f"  {result.outcome:4}  {result.rule.name:26} {result.failing_applications:>6} "
                                  f"failing application(s)  {result.rule.title}")
            if report.checks_pending:
                self.stdout.write(f"  {report.checks_pending} application(s) wait for their checks.")
        if options["check"] and report.outcome == FAIL:
            sys.exit(1)
