"""Names of hosts, applications, trusted stores and users: text an operator reads, never a command.

Names end up in generated files (``setenv.sh`` comments and values, ``.cfg`` headers, certutil
commands), in audit events and on every page. A line break in a name could end a comment line of a
generated script; an invisible or bidirectional-control character could make a name look like
another one. So a name refuses control characters, line and paragraph separators (U+2028, U+2029,
NEL) and invisible formatting characters (zero-width spaces, bidi overrides). Generated files do not
rely on this: their renderers escape or refuse on their own.
"""

import re
import unicodedata

from django.core.exceptions import ValidationError

# Cc: C0/C1 controls (tab, line feed, NEL, ESC, DEL …); Cf: invisible formatting (zero-width space,
# bidi overrides, BOM); Cs: lone surrogates; Zl/Zp: U+2028 line and U+2029 paragraph separators.
UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})

# A host name, an IPv4 address or an IPv6 literal (with an optional zone): nothing else reaches a
# host's address in a setenv file or a probe.
HOST_ADDRESS_RE = re.compile(r"^[A-Za-z0-9._:%\[\]-]+$")


def unsafe_characters(text: str) -> list[str]:
    """The distinct control or invisible characters of ``text``, in order of appearance."""
    found: list[str] = []
    for ch in text:
        if unicodedata.category(ch) in UNSAFE_CATEGORIES and ch not in found:
            found.append(ch)
    return found


def describe_characters(chars: list[str]) -> str:
    """``U+000A (LINE FEED)``: how a message names characters the operator cannot see."""
    parts = []
    for ch in chars[:3]:
        name = unicodedata.name(ch, "") or {"\n": "LINE FEED", "\r": "CARRIAGE RETURN", "\t": "TAB"}.get(ch, "")
        parts.append(f"U+{ord(ch):04X}" + (f" {name}" if name else ""))
    return ", ".join(parts) + (" …" if len(chars) > 3 else "")


def name_problem(text: str, what: str = "A name") -> str | None:
    """Why ``text`` cannot be a name (one sentence), or None."""
    bad = unsafe_characters(text)
    if bad:
        return (f"{what} cannot contain control or invisible characters (line breaks, tabs, separators, "
                f"zero-width or direction marks): found {describe_characters(bad)}.")
    return None


def validate_object_name(value: str) -> None:
    """Django validator for the name of a host, application, trusted store or user."""
    problem = name_problem(value)
    if problem:
        raise ValidationError(problem, code="unsafe_characters")


def validate_host_address(value: str) -> None:
    """A host name or IP address: letters, digits and . - _ : % [ ] only."""
    problem = name_problem(value, "An address")
    if problem:
        raise ValidationError(problem, code="unsafe_characters")
    if not HOST_ADDRESS_RE.match(value):
        raise ValidationError(
            "Give a host name or an IP address: letters, digits and . - _ : only (no spaces or quotes).",
            code="not_an_address",
        )
