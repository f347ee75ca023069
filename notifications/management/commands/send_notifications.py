"""``send_notifications``: what the beat schedule runs. Evaluates what is due (expiry tiers, TLS
changes, readiness turns), sends the due deliveries, prints a one-line summary, exits 0."""

from notifications import service
from security.management.commands._cli import OperatorCommand


class Command(OperatorCommand):
    help = "Evaluate the notifications due and send them (idempotent: run it as often as you like)."

    def handle(self, *args, **options):
        result = service.run(schedule_retries=False)
        self.stdout.write(f"{result.notices} new notice(s), {result.deliveries} delivery(ies) queued; sent "
                          f"{result.sent}, retrying {result.retrying}, failed {result.failed}.")
