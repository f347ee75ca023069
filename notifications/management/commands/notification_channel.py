"""``notification_channel add email ADDRESS [--events LIST]``,
``notification_channel add webhook URL --secret-file F [--events LIST]``, ``notification_channel list``.

The webhook's secret comes from a file (its first line), never the command line. Bad input: one line
on stderr, exit code 1, nothing saved."""

from django.core.management.base import CommandError

from notifications.channels import ChannelInvalid, save_channel
from notifications.models import EVENT_KINDS, Channel, ChannelKind
from notifications.send import email_configured
from security.management.commands._cli import PasswordFileCommand, read_password_file


class Command(PasswordFileCommand):
    help = "Add or list notification channels (email addresses, webhooks)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Add a channel.")
        add.add_argument("kind", choices=["email", "webhook"])
        add.add_argument("target", help="The email address or the webhook's URL.")
        add.add_argument("--name", default="", help="What the channel is called (default: the address or URL).")
        add.add_argument("--secret-file", help="Webhooks: a file whose first line is the HMAC secret.")
        add.add_argument("--events", default="", help=f"Comma-separated event kinds ({', '.join(EVENT_KINDS)}); "
                                                      "default: all.")
        sub.add_parser("list", help="List the channels.")

    def handle(self, *args, **options):
        if options["action"] == "list":
            return self.list()
        kind, target = options["kind"], options["target"]
        secret = None
        if kind == ChannelKind.WEBHOOK:
            if not options.get("secret_file"):
                raise CommandError("a webhook needs --secret-file F (its requests are signed with the secret)")
            secret = read_password_file(options["secret_file"])
        elif options.get("secret_file"):
            raise CommandError("--secret-file is for webhooks only")
        channel = Channel(kind=kind, target=target, name=options["name"], events=options["events"])
        try:
            channel = save_channel(channel=channel, actor="notification_channel command", secret=secret)
        except ChannelInvalid as invalid:
            raise CommandError(str(invalid)) from None
        self.stdout.write(f"Added {channel.kind} channel {channel.pk} {channel.name} (events: {channel.events_text}).")

    def list(self):
        channels = Channel.objects.order_by("pk")
        if not channels:
            self.stdout.write("No notification channels.")
            return
        for c in channels:
            state = "enabled" if c.enabled else "disabled"
            if c.kind == ChannelKind.EMAIL and not email_configured():
                state += ", not configured (EMAIL_HOST is not set)"
            owner = f" subscription of {c.user.get_username()}" if c.user_id else ""
            self.stdout.write(f"{c.pk}\t{c.kind}\t{c.target}\tevents: {c.events_text}\t{state}{owner}")
