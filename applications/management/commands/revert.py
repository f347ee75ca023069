"""``manage.py revert APPLICATION_NAME --to N --as USERNAME --note TEXT``: a revert with that user's rights.

The same service as the History tab's revert (``applications.revert``): the user's role decides what
may be put back (the security section and secrets need a Security officer). ``--expect`` (the newest
version the caller saw) turns a version written since into a refusal, as on the page. Any refusal is
one line on stderr and exit status 1.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from applications.models import Application
from applications.options import OptionsInvalid
from applications.revert import RevertRefused, revert_application
from applications.roles import OPERATOR, has_role
from applications.text import quoted
from applications.versioning import EditConflict


class Command(BaseCommand):
    help = "Revert an application's configuration to one of its versions, as a new version."

    def add_arguments(self, parser):
        parser.add_argument("application", help="the application's name")
        parser.add_argument("--to", type=int, required=True, metavar="N", help="the version to go back to")
        parser.add_argument("--as", dest="username", required=True, metavar="USERNAME",
                            help="the user whose rights apply (and who is recorded)")
        parser.add_argument("--note", default="", help="why (kept with the version and the audit events)")
        parser.add_argument("--expect", type=int, metavar="N",
                            help="refuse when the newest version is not N (someone changed it since)")

    def handle(self, *args, application, to, username, note, expect=None, **options):
        app = Application.objects.filter(name=application).first()
        if app is None:
            raise CommandError(f"no application named {quoted(application)}")
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user named {quoted(username)}")
        if not has_role(user, OPERATOR):
            raise CommandError(f"{username} may not change applications (an Operator's right at least)")
        try:
            version = revert_application(application=app, to=to, actor=user, note=note, expected_number=expect)
        except EditConflict as exc:
            raise CommandError(f"stale: {exc.what}; nothing was reverted") from None
        except OptionsInvalid as exc:
            raise CommandError(f"refused: {exc.summary()}") from None
        except RevertRefused as exc:
            raise CommandError(f"refused: {exc}") from None
        if version is None:
            self.stdout.write(f"{app.name} already is as in version {to}: nothing to revert.")
        else:
            self.stdout.write(f"Reverted {app.name} to version {to}: now version {version.number}.")
