"""Tiny helpers that read settings from the environment and fail loudly on a bad value.

A console that edits TLS settings must not start half-configured: a typo in an environment
variable stops start-up with a message naming the variable, instead of a default silently used.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from applications.text import quoted

TRUE_VALUES = {"1", "true", "yes", "on"}
FALSE_VALUES = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    """A blank value counts as unset: ``FIELD_ENCRYPTION_KEY=`` in an env file means "not given"."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    return raw


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE_VALUES:
        return True
    if value in FALSE_VALUES:
        return False
    raise ImproperlyConfigured(f"{name}={quoted(raw)} is not a boolean: use one of 1/0, true/false, yes/no, on/off.")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={quoted(raw)} is not a whole number.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={quoted(raw)} must be at least {minimum}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]
