"""``manage.py history APPLICATION_NAME [--json]``: the versions of an application's configuration."""

import json

from django.core.management.base import BaseCommand, CommandError

from applications.models import Application, ApplicationVersion
from applications.text import quoted


class Command(BaseCommand):
    help = "List the versions of an application's configuration (newest first)."

    def add_arguments(self, parser):
        parser.add_argument("application", help="the application's name")
        parser.add_argument("--json", action="store_true", help="one JSON document instead of a table")

    def handle(self, *args, application, json=False, **options):
        app = Application.objects.filter(name=application).first()
        if app is None:
            raise CommandError(f"no application named {quoted(application)}")
        versions = (ApplicationVersion.objects.filter(application=app).order_by("-number")
                    .values("number", "at", "actor_name", "source", "note", "summary"))
        if json:
            self.stdout.write(dumps({"application": app.name, "versions": [
                {**v, "at": v["at"].isoformat()} for v in versions]}))
            return
        for v in versions:
            note = f"  why: {v['note']}" if v["note"] else ""
            self.stdout.write(f"{v['number']:>5}  {v['at']:%Y-%m-%d %H:%M:%S}  {v['actor_name'] or '-':<12} "
                              f"{v['source'] or '-':<16} {v['summary']}{note}")


def dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
