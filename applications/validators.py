"""Reusable validators for the applications forms and the .cfg importer."""

import re
import unicodedata

from django.core.exceptions import ValidationError

from applications.text import quoted
from applications.versions import InvalidVersion, parse_version

PARAM_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")
# Control characters, surrogates and line/paragraph separators: they would break a one-line value
# in a .cfg file or in Genesys. Other characters (accents, non-breaking spaces, CJK) are fine.
FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})


def has_control_characters(text: str) -> bool:
    return any(unicodedata.category(ch) in FORBIDDEN_CATEGORIES for ch in text)


class TransportParamsError(ValueError):
    pass


def parse_transport_params(text: str) -> list[tuple[str, str]]:
    """``name=value;name=value`` → pairs. An empty string is no parameters.

    A trailing ``;`` is tolerated (Genesys Administrator writes one); empty names, missing ``=``,
    duplicate names and control characters are refused.
    """
    text = (text or "").strip()
    if not text:
        return []
    pairs: list[tuple[str, str]] = []
    seen: set[str] = set()
    parts = text.split(";")
    if parts[-1].strip() == "":
        parts = parts[:-1]
    for part in parts:
        if "=" not in part:
            raise TransportParamsError(f"{quoted(part.strip())} is not name=value.")
        name, value = part.split("=", 1)
        name, value = name.strip(), value.strip()
        if not PARAM_NAME_RE.match(name):
            raise TransportParamsError(f"{quoted(name)} is not a parameter name (letters, digits, _ . -).")
        if has_control_characters(value) or "=" in value:
            raise TransportParamsError(f"The value of {name} must be printable text without '='.")
        if name in seen:
            raise TransportParamsError(f"{name} is given twice.")
        seen.add(name)
        pairs.append((name, value))
    return pairs


def validate_transport_params(text: str) -> None:
    try:
        parse_transport_params(text)
    except TransportParamsError as exc:
        raise ValidationError(f"Transport parameters: {exc} Expected name=value;name=value.") from None


def validate_version(text: str) -> None:
    try:
        parse_version(text)
    except InvalidVersion as exc:
        raise ValidationError(str(exc)) from None
