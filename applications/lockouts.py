"""Sign-in lockouts (django-axes) as the Users page shows them, and their lifting by an Administrator.

django-axes locks a *user name from one address* (``AXES_LOCKOUT_PARAMETERS = [["username",
"ip_address"]]``): after ``AXES_FAILURE_LIMIT`` failed logins within the cool-off, that name cannot
log in from that address until the cool-off has passed since its recent failures. The same account
still signs in from another address, and an address is never locked as a whole. Its records
(``AccessAttempt``, one per name, address and browser) are read here with the same rule axes applies,
so the page says "locked" exactly when the login page would refuse.

What is shown of a lockout: the number of failed logins, the time of the last one, until when it
lasts and from how many addresses, never the addresses, browsers or what was typed. A name that is
not a user's is only counted: what someone types in the user name field may be a password.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from applications import audit


@dataclass(frozen=True)
class Attempts:
    """Failed sign-ins of one name from one address and browser (an ``AccessAttempt`` row)."""

    username: str
    address: str
    failures: int
    last_at: dt.datetime


@dataclass(frozen=True)
class Lockout:
    """A name locked from one or more addresses."""

    username: str
    failures: int  # failed logins that count now, over the addresses it is locked from
    last_at: dt.datetime  # the last failed sign-in
    until: dt.datetime | None  # when the last of its lockouts ends (None: only an Administrator lifts it)
    addresses: int  # how many addresses it is locked from


def locked_until(rows: Iterable[tuple[dt.datetime, int]], *, limit: int, cool_off: dt.timedelta | None,
                 now: dt.datetime) -> dt.datetime | None | bool:
    """Whether one name from one address is locked at ``now``, given its (last failure, failures) rows.

    Axes counts the failures of the rows whose last failure is within the cool-off: locked when they
    reach ``limit``. The lockout ends when the row that makes the count reach the limit, counting from
    the newest, leaves the cool-off. Returns that time, ``None`` when there is no cool-off (locked
    until lifted), or ``False`` when not locked."""
    recent = sorted(((at, n) for at, n in rows if cool_off is None or at >= now - cool_off), reverse=True)
    counted = 0
    for at, failures in recent:
        counted += failures
        if counted >= limit:
            return at + cool_off if cool_off is not None else None
    return False


def lockouts_of(attempts: Iterable[Attempts], *, limit: int, cool_off: dt.timedelta | None,
                now: dt.datetime) -> dict[str, Lockout]:
    """The locked names among ``attempts``, by name."""
    by_pair: dict[tuple[str, str], list[Attempts]] = defaultdict(list)
    for row in attempts:
        by_pair[(row.username, row.address)].append(row)
    locked: dict[str, list[tuple[list[Attempts], dt.datetime | None]]] = defaultdict(list)
    for (username, _address), rows in by_pair.items():
        until = locked_until([(r.last_at, r.failures) for r in rows], limit=limit, cool_off=cool_off, now=now)
        if until is not False:
            locked[username].append((rows, until))
    result = {}
    for username, pairs in locked.items():
        rows = [r for pair_rows, _ in pairs for r in pair_rows
                if cool_off is None or r.last_at >= now - cool_off]
        ends = [until for _, until in pairs]
        result[username] = Lockout(
            username=username,
            failures=sum(r.failures for r in rows),
            last_at=max(r.last_at for r in rows),
            until=None if None in ends else max(ends),
            addresses=len(pairs),
        )
    return result


def cool_off_time() -> dt.timedelta | None:
    """How long a lockout lasts after the last failed sign-in (None: until an Administrator lifts it)."""
    return get_cool_off()


def current_lockouts(now: dt.datetime | None = None) -> dict[str, Lockout]:
    """Every name locked now, by name (users' names and others)."""
    now = now or timezone.now()
    cool_off = get_cool_off()
    rows = AccessAttempt.objects.exclude(username=None)
    if cool_off is not None:
        rows = rows.filter(attempt_time__gte=now - cool_off)
    attempts = [Attempts(username=r.username, address=r.ip_address or "", failures=r.failures_since_start,
                         last_at=r.attempt_time)
                for r in rows.only("username", "ip_address", "failures_since_start", "attempt_time")]
    return lockouts_of(attempts, limit=settings.AXES_FAILURE_LIMIT, cool_off=cool_off, now=now)


def lockout_of(user: User) -> Lockout | None:
    return current_lockouts().get(user.username)


def describe(lockout: Lockout) -> str:
    """The lockout in words, for the audit trail and the messages (no address, nothing typed)."""
    text = f"locked after {lockout.failures} failed login{'s' if lockout.failures != 1 else ''}"
    if lockout.addresses > 1:
        text += f" from {lockout.addresses} addresses"
    return text


@transaction.atomic
def lockout_lift(*, user: User, actor) -> Lockout | None:
    """Let ``user`` log in again from every address: forget their failed logins (django-axes'
    own reset) and record who unlocked whom. Returns the lockout lifted; None when the account was
    not locked (then only its failed logins, if any, are forgotten, and nothing is audited)."""
    lockout = lockout_of(user)
    axes_reset(username=user.username)
    if lockout is None:
        return None
    audit.record(actor=actor, action="unlock", object_type="user", obj=user, object_repr=user.username,
                 changes={"login": [describe(lockout), "unlocked"]})
    return lockout
