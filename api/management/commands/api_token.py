"""``manage.py api_token USERNAME [--name NAME] [--expires-days N]``: a new token, on one line."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from api.tokens import MAX_EXPIRY_DAYS, create_token


class Command(BaseCommand):
    help = "Create an API token for a user and print it (once: only its digest is kept)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="command line")
        parser.add_argument("--expires-days", type=int, default=None,
                            help=f"Days until it expires (1 to {MAX_EXPIRY_DAYS}); default never.")

    def handle(self, *args, username, name, expires_days, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None or not user.is_active:
            raise CommandError(f"No active user named {username!r}.")
        try:
            created = create_token(user=user, name=name, expires_days=expires_days, actor="api_token command")
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(created.secret)
