"""What the operator commands share: reading a password file, finding a store, one-line errors."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from applications.text import quoted


class OperatorCommand(BaseCommand):
    """A command operators and scripts run often, one store at a time.

    Django's system checks (which import every view through the URL configuration) would cost
    more than the command itself; they run with ``manage.py check``, ``migrate`` and the server."""

    requires_system_checks = []


class PasswordFileCommand(OperatorCommand):
    """A command with ``--password-file``. argparse would take ``--password S3cret`` as an
    abbreviation of it, read a file named after the password and print that name in the error:
    abbreviations are off, so a password typed on the command line is refused, not used."""

    def create_parser(self, prog_name, subcommand, **kwargs):
        return super().create_parser(prog_name, subcommand, allow_abbrev=False, **kwargs)


def read_password_file(path: str | None) -> str | None:
    """The first line of the file, without its line ending. Passwords never come on the command line."""
    if not path:
        return None
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CommandError(f"password file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read the password file {path}: {exc.__class__.__name__}") from None
    lines = text.splitlines()
    password = lines[0] if lines else ""
    if not password:
        raise CommandError(f"the password file {path} is empty")
    return password


def find_store(name: str):
    from security.models import TrustedStore

    store = TrustedStore.objects.filter(name=name).first()
    if store is None:
        known = ", ".join(TrustedStore.objects.order_by("name").values_list("name", flat=True)[:10]) or "none yet"
        raise CommandError(f"no trusted store named {quoted(name)} (known: {known})")
    return store
