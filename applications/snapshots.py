"""Compare two configuration snapshots: pure functions, no Django, no database.

A snapshot is the JSON of a whole configuration as one version stored it (``applications.history``
builds those of applications, ``security.store_history`` those of trusted stores): a mapping of
group → key → value. A value is a string, a number, a boolean, None, or a **secret**: a mapping
``{"secret": <Fernet token>, "digest": <keyed digest of the clear value>}``. Two secrets are equal
when their digests are (Fernet tokens of one value differ); a secret is only ever shown as "set",
and its change only as "changed".

``compare`` is what the compare view, the revert preview and ``manage.py history`` show; it never
reads anything but its two arguments.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

SECRET_SHOWN = "(secret)"
ADDED, REMOVED, CHANGED, SAME = "added", "removed", "changed", "same"


def is_secret(value) -> bool:
    return isinstance(value, Mapping) and "secret" in value and "digest" in value


def secret(token: str, digest: str) -> dict:
    return {"secret": token, "digest": digest}


def comparable(value):
    """What equality is decided on: a secret's digest, anything else itself."""
    if is_secret(value):
        return ("secret", value["digest"])
    return value


def shown(value) -> str | None:
    """How a value is shown: a secret never in clear, None (absent) as None."""
    if value is None:
        return None
    if is_secret(value):
        return SECRET_SHOWN
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


@dataclass(frozen=True)
class Row:
    key: str
    old: str | None  # as shown; None: absent on that side
    new: str | None
    status: str  # added / removed / changed / same
    secret: bool = False


@dataclass(frozen=True)
class Group:
    title: str
    rows: tuple[Row, ...]

    @property
    def changed(self) -> int:
        return sum(1 for row in self.rows if row.status != SAME)


def row(key: str, old, new) -> Row:
    missing = object()
    left = missing if old is None else comparable(old)
    right = missing if new is None else comparable(new)
    if old is None and new is None:
        status = SAME
    elif old is None:
        status = ADDED
    elif new is None:
        status = REMOVED
    else:
        status = SAME if left == right else CHANGED
    return Row(key, shown(old), shown(new), status, secret=is_secret(old) or is_secret(new))


def compare(left: Mapping, right: Mapping, *, show_all: bool = False) -> list[Group]:
    """The groups of ``left`` and ``right`` side by side, in the order of ``left`` then new groups;
    only the differing rows unless ``show_all``; groups with no row left out."""
    groups = []
    for title in [*left, *(t for t in right if t not in left)]:
        a, b = left.get(title) or {}, right.get(title) or {}
        if a == b and not show_all:
            continue
        keys = sorted({*a, *b}) if show_all else sorted(k for k in {*a, *b} if k not in a or k not in b
                                                         or a[k] != b[k])
        rows = [row(key, a.get(key), b.get(key)) for key in keys]
        if not show_all:
            rows = [r for r in rows if r.status != SAME]
        if rows:
            groups.append(Group(title, tuple(rows)))
    return groups


def differs(left: Mapping, right: Mapping) -> bool:
    """Whether two snapshots differ in anything but how secrets happen to be encrypted."""
    return bool(compare(left, right))


def summary(groups: list[Group], *, limit: int = 4) -> str:
    """One line: "3 changes: [security] provider, [security] trusted-ca, port secure"."""
    labels = [f"{label_of(group.title, r.key)}" for group in groups for r in group.rows if r.status != SAME]
    if not labels:
        return "no change"
    more = len(labels) - limit
    text = ", ".join(labels[:limit]) + (f" and {more} more" if more > 0 else "")
    return f"{len(labels)} change{'s' if len(labels) != 1 else ''}: {text}"


def label_of(title: str, key: str) -> str:
    """How one row is named in a summary: options as ``[section] name``, others as ``group: key``."""
    if title.startswith("["):
        return f"{title} {key}"
    return f"{title.lower()} {key}"
