"""A refused request (403) as one log line an operator can read, and the 403 page.

Django logs a ``PermissionDenied`` on ``django.request`` as "Forbidden (Permission denied)" with the
whole traceback, and ``runserver`` adds its own access line: three screens of text for "a Viewer
opened the Users page". Instead, the 403 handler writes one line on ``cobrowse_admin.forbidden``::

    forbidden user=viewer method=GET path=/users/ needs=Administrator

and ``DropLoggedForbidden`` (on ``django.request`` and ``django.server`` in ``LOGGING``) drops
Django's own records of that same refusal. A 403 this handler did not render (a CSRF failure) keeps
Django's line, which has no traceback and says why (its path escaped by Django).

Every value is written as a logfmt value: bare when it is plain, else quoted with JSON escapes, so a
path or user name holding a line break, a quote or an ``x=y`` cannot forge a line or a field.
"""

import json
import logging
import re

from django.views.defaults import permission_denied

logger = logging.getLogger("cobrowse_admin.forbidden")

PLAIN = re.compile(r"[A-Za-z0-9_.,:/@+%~-]+")

# Set on a request whose refusal this module logged; the filter below drops Django's records of it.
LOGGED = "_cobrowse_forbidden_logged"


def log_value(value: str) -> str:
    """``value`` as one logfmt token: bare when plain, else a JSON string (control characters, line
    and paragraph separators and everything outside ASCII escaped)."""
    return value if PLAIN.fullmatch(value) else json.dumps(value, ensure_ascii=True)


def forbidden_line(*, username: str, method: str, path: str, needs: str, reason: str = "") -> str:
    line = (f"forbidden user={log_value(username or '-')} method={log_value(method)} "
            f"path={log_value(path)} needs={log_value(needs or '-')}")
    if reason and not needs:
        line += f" reason={log_value(reason)}"
    return line


def handler403(request, exception=None):
    """The 403 page (Django's own view and template), after one log line about the refusal."""
    user = getattr(request, "user", None)
    username = user.get_username() if user is not None and user.is_authenticated else ""
    needs = getattr(exception, "role", "")
    logger.warning(forbidden_line(username=username, method=request.method or "", path=request.path,
                                  needs=needs, reason=str(exception or "")))
    setattr(request, LOGGED, True)
    return permission_denied(request, exception)


class DropLoggedForbidden(logging.Filter):
    """Drops Django's record of a refusal ``handler403`` logged already (``django.request``: "Forbidden
    (Permission denied)" with its traceback), and runserver's access line of every 403
    (``django.server``: each 403 has its line already, ours or Django's). Every other record passes,
    Django's line for a 403 of another kind (a CSRF failure) included."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) != 403:
            return True
        if record.name == "django.server":
            return False
        return not getattr(getattr(record, "request", None), LOGGED, False)
