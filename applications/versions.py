"""Genesys version strings (``8.5.003.04``) compared numerically, not as text.

``8.5.10`` is newer than ``8.5.003``; a text comparison would say otherwise. The sort key is a
zero-padded string so the database can order and filter by version without parsing.
"""

import re

from applications.text import quoted

VERSION_RE = re.compile(r"^\d{1,5}(\.\d{1,5}){0,4}$")
KEY_PART_WIDTH = 5
KEY_PARTS = 5


class InvalidVersion(ValueError):
    pass


def parse_version(text: str) -> tuple[int, ...]:
    text = (text or "").strip()
    if not VERSION_RE.match(text):
        raise InvalidVersion(
            f"{quoted(text)} is not a Genesys version: expected numbers separated by dots, like 8.5.003.04."
        )
    return tuple(int(part) for part in text.split("."))


def version_key(text: str) -> str:
    """A string that sorts like the version: ``8.5.3`` → ``00008.00005.00003.00000.00000``."""
    parts = list(parse_version(text)) + [0] * KEY_PARTS
    return ".".join(str(part).zfill(KEY_PART_WIDTH) for part in parts[:KEY_PARTS])


def at_least(version: str, minimum: str) -> bool:
    """True when ``version`` is ``minimum`` or newer; an unreadable version is never 'at least'."""
    try:
        return pad(parse_version(version)) >= pad(parse_version(minimum))
    except InvalidVersion:
        return False


def pad(parts: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(parts) + (0,) * (KEY_PARTS - len(parts))
