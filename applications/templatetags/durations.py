"""``{{ delta|duration }}``: a ``timedelta`` in words ("15 minutes", "1 hour 30 minutes"), for pages
that say how long something lasts (the lockout page, the Users page)."""

import datetime as dt

from django import template

register = template.Library()


def in_words(delta: dt.timedelta) -> str:
    minutes = max(0, round(delta.total_seconds() / 60))
    if minutes == 0:
        seconds = max(0, round(delta.total_seconds()))
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [(days, "day"), (hours, "hour"), (minutes, "minute")]
    return " ".join(f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in parts if n)


@register.filter
def duration(value) -> str:
    return in_words(value) if isinstance(value, dt.timedelta) else ""
