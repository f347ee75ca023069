"""The option catalogue: what Genesys Administrator calls the application template.

For each application type (and version range) the known options, with their default, valid
values, when a change takes effect, whether the value is a secret, and a description. Known
options are validated and edited with the right widget; options not listed here stay free text.
The security rows are the source document's table ("Configuring TLS Options").
"""

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from applications.models import AppType
from applications.option_text import fold, is_secret_name
from applications.paths import path_problem
from applications.text import quoted
from applications.versions import at_least

AFTER_RESTART = "after restart"
IMMEDIATELY = "immediately"
FOR_NEW_SESSIONS = "for new sessions"

COBROWSE = frozenset({AppType.COBROWSE_SERVER, AppType.COBROWSE_NODE, AppType.COBROWSE_CLUSTER})
ALL_TYPES = frozenset(AppType)

PROVIDERS = ("MSCAPI", "PEM", "JKS")

# Sections only a Security officer may change (the trusted store settings and the password), matched
# whatever their case or width: [Security] and [SECURITY] are protected as [security] is.
PROTECTED_SECTIONS = frozenset({"security"})


def is_protected_section(section: str) -> bool:
    return fold(section) in PROTECTED_SECTIONS


class OptionValueError(ValueError):
    """A value the catalogue refuses; the message tells the operator what is expected."""


def validate_absolute_http_url(value: str) -> None:
    if any(ch.isspace() for ch in value):
        raise OptionValueError("A URL cannot contain spaces.")
    try:
        parts = urlsplit(value)
        port = parts.port  # raises ValueError for a port that is not a number in 0-65535
    except ValueError:
        raise OptionValueError(f"{quoted(value)} is not a valid URL (check the host name and port).") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OptionValueError(f"{quoted(value)} is not an absolute http:// or https:// URL with a host name.")
    if port == 0:
        raise OptionValueError(f"{quoted(value)}: the port must be between 1 and 65535.")


def validate_file_path(value: str) -> None:
    """A full file path on some host; which operating system it must fit is checked where the host is
    known (``OptionSpec.host_path``)."""
    problem = path_problem(value, None)
    if value and problem:
        raise OptionValueError(problem)


@dataclass(frozen=True)
class OptionSpec:
    section: str
    name: str
    description: str
    app_types: frozenset = COBROWSE
    default: str = ""
    mandatory_for: frozenset = frozenset()
    valid_values: tuple[str, ...] | None = None  # a finite set: edited with a select
    value_hint: str = "any string"
    takes_effect: str = AFTER_RESTART
    secret: bool = False
    min_version: str | None = None
    # The value is a file path on the application's host: it must fit the host's operating system.
    host_path: bool = False
    validator: Callable[[str], None] | None = field(default=None, compare=False)

    @property
    def key(self) -> tuple[str, str]:
        return (self.section, self.name)

    def applies_to(self, app_type: str, version: str) -> bool:
        if app_type not in self.app_types:
            return False
        return self.min_version is None or at_least(version, self.min_version)

    def is_mandatory(self, app_type: str) -> bool:
        return app_type in self.mandatory_for

    @property
    def after_restart(self) -> bool:
        return self.takes_effect == AFTER_RESTART

    def clean(self, value: str) -> str:
        """Return the value to store (the value as given: nothing is trimmed or re-cased), or raise
        OptionValueError saying what is expected and, for a finite set, the closest valid value."""
        if self.valid_values is not None and value not in self.valid_values:
            raise OptionValueError(f"{value or '(empty)'} is not a valid value for {self.name}: "
                                   f"use one of {self.choices_text()}.{close_match_hint(value, self.valid_values)}")
        if value and self.validator is not None:
            self.validator(value)
        return value

    def choices_text(self) -> str:
        """``all, debug, trace or none``; the empty value is named "empty"."""
        shown = [v or "empty" for v in self.valid_values or ()]
        shown = shown[1:] + shown[:1] if shown and shown[0] == "empty" else shown
        return ", ".join(shown[:-1]) + f" or {shown[-1]}" if len(shown) > 1 else "".join(shown)


CATALOGUE: tuple[OptionSpec, ...] = (
    OptionSpec(
        "security",
        "provider",
        "Type of trusted storage. Valid values: MSCAPI, PEM or JKS. If empty, TLS support is disabled.",
        valid_values=("",) + PROVIDERS,
        value_hint="MSCAPI, PEM, JKS or empty",
    ),
    OptionSpec(
        "security",
        "trusted-ca",
        "Specifies the name of the trusted store file which holds the public certificate to verify the "
        "server. Applicable for PEM and JKS trusted storage types only.",
        value_hint="valid file name (including path)",
        host_path=True,
        validator=validate_file_path,
    ),
    OptionSpec(
        "security",
        "truststore-password",
        "Password for the JKS trusted storage.",
        secret=True,
    ),
    OptionSpec(
        "cluster",
        "url",
        "URL of the Co-browse Cluster (the load balancer) that browsers and agents use.",
        app_types=frozenset({AppType.COBROWSE_CLUSTER, AppType.COBROWSE_NODE}),
        mandatory_for=frozenset({AppType.COBROWSE_CLUSTER}),
        value_hint="absolute http:// or https:// URL",
        takes_effect=IMMEDIATELY,
        validator=validate_absolute_http_url,
    ),
    OptionSpec(
        "cluster",
        "serverUrl",
        "URL of this Co-browse server used by the other servers of the cluster.",
        app_types=frozenset({AppType.COBROWSE_CLUSTER, AppType.COBROWSE_NODE}),
        value_hint="absolute http:// or https:// URL",
        takes_effect=FOR_NEW_SESSIONS,
        validator=validate_absolute_http_url,
    ),
    OptionSpec(
        "log",
        "verbose",
        "Level of detail written to the log.",
        app_types=ALL_TYPES,
        default="standard",
        valid_values=("all", "debug", "trace", "interaction", "standard", "none"),
        value_hint="all, debug, trace, interaction, standard or none",
        takes_effect=IMMEDIATELY,
    ),
    OptionSpec(
        "log",
        "all",
        "Where to write all log events: stdout, stderr, network, or a file name.",
        app_types=ALL_TYPES,
        default="stdout",
        takes_effect=IMMEDIATELY,
    ),
)

def close_match_hint(value: str, valid: tuple[str, ...]) -> str:
    """`` Did you mean debug?`` for ``Debug``, ``DEBUG`` or ``debgu``; empty when nothing is close."""
    by_folded = {fold(v): v for v in valid if v}
    typed = fold(value.strip())
    if not typed or not by_folded:
        return ""
    close = [typed] if typed in by_folded else difflib.get_close_matches(typed, list(by_folded), n=1, cutoff=0.75)
    return f" Did you mean {by_folded[close[0]]}?" if close else ""


_BY_KEY: dict[tuple[str, str], tuple[OptionSpec, ...]] = {}
for _spec in CATALOGUE:
    _BY_KEY[_spec.key] = _BY_KEY.get(_spec.key, ()) + (_spec,)


def spec_for(app_type: str, version: str, section: str, name: str) -> OptionSpec | None:
    """The catalogue entry for this option of this application, or None (free text)."""
    for spec in _BY_KEY.get((section, name), ()):
        if spec.applies_to(app_type, version):
            return spec
    return None


def specs_for(app_type: str, version: str) -> list[OptionSpec]:
    return [spec for spec in CATALOGUE if spec.applies_to(app_type, version)]


_SECRET_KEYS = frozenset(spec.key for spec in CATALOGUE if spec.secret)


def is_secret(section: str, name: str) -> bool:
    """A secret by its name (``*password*``, ``*-pwd``, ``*secret*``, any case) in any section, or marked
    secret by the catalogue. The same on every application type and version, so changing an
    application's type never leaves a secret in clear."""
    return is_secret_name(name) or (section, name) in _SECRET_KEYS


def takes_effect_after_restart(app_type: str, version: str, section: str, name: str) -> bool:
    """Unknown options count as 'after restart': the safe assumption for a running server."""
    spec = spec_for(app_type, version, section, name)
    return spec is None or spec.after_restart
