"""Whole numbers from request parameters, parsed one way everywhere.

``str.isdigit()`` is true for "²", "①" or "١٢", on which ``int()`` either fails (a 500) or reads
a number nobody typed. A parameter is a number only when it is plain ASCII digits.
"""

import re

_PLAIN_DIGITS = re.compile(r"[0-9]{1,18}")


def parse_whole_number(value) -> int | None:
    """The non-negative integer ``value`` spells in ASCII digits, else None (never raises)."""
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    return int(text) if _PLAIN_DIGITS.fullmatch(text) else None
