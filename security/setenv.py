"""R3: the ``setenv.sh`` / ``setenv.bat`` lines for the Configuration Server connection over TLS.

Configuration Server is not reached through the Connections tab: a Co-browse server reads the
Configuration Server host, port and its own application name from the environment set in
``setenv.sh`` (Linux) or ``setenv.bat`` (Windows) in its server directory, and the TLS settings as
Java system properties. Pure functions over plain values: no Django in here.

The environment variable names (``CONFIG_SERVER_HOST``, ``CONFIG_SERVER_PORT``, ``CONFIG_SERVER_APP``)
and the Java system property names (``TLS_PROPERTY_PREFIX`` + the ``[security]`` option names) are
this console's template: they could not be checked against a Co-browse release here, so every
generated file says so and asks the operator to compare with the release's own ``setenv`` file.

The truststore password is never written: a JKS fragment holds ``PASSWORD_PLACEHOLDER``, which the
operator replaces on the host.
"""

import re
from dataclasses import dataclass

TLS_PROPERTY_PREFIX = "com.genesyslab.platform.commons.connection.tls."
PASSWORD_PLACEHOLDER = "REPLACE_WITH_TRUSTSTORE_PASSWORD"
ENV = "env"
JAVA = "java"


@dataclass(frozen=True)
class SetenvRequest:
    application_name: str
    application_label: str  # "Co-browse Node 8.5.003.04"
    config_server_name: str
    config_host: str
    config_port: int
    port_id: str
    mutual_tls: bool = False
    provider: str = ""  # "", PEM, JKS or MSCAPI
    trusted_ca: str = ""
    section_holder: str = ""  # the application whose [security] section gave provider and trusted-ca
    windows_host: bool = False
    server_directory: str = ""


@dataclass(frozen=True)
class SetenvLine:
    kind: str  # ENV: an environment variable; JAVA: a Java system property added to JAVA_OPTS
    name: str
    value: str
    purpose: str


def setenv_lines(req: SetenvRequest) -> list[SetenvLine]:
    """Every setting of the fragment, with what it sets (shown on the page and as comments)."""
    holder = req.section_holder or req.application_name
    lines = [
        SetenvLine(ENV, "CONFIG_SERVER_HOST", req.config_host,
                   f"Host of Configuration Server {req.config_server_name}."),
        SetenvLine(ENV, "CONFIG_SERVER_PORT", str(req.config_port),
                   f"Its secured port (port ID {req.port_id}): the connection is encrypted with TLS."),
        SetenvLine(ENV, "CONFIG_SERVER_APP", req.application_name,
                   "Name of this application object in Configuration Server: whose options the server reads."),
        SetenvLine(JAVA, TLS_PROPERTY_PREFIX + "enabled", "true",
                   "Use TLS on the connection to Configuration Server (the port above speaks TLS)."),
    ]
    if not req.provider:
        return lines
    lines.append(SetenvLine(JAVA, TLS_PROPERTY_PREFIX + "provider", req.provider,
                            f"Trusted store type, as the [security] provider option of {holder}."))
    if req.provider == "MSCAPI":
        return lines  # the Windows certificate store: no file, no password
    lines.append(SetenvLine(JAVA, TLS_PROPERTY_PREFIX + "trusted-ca", req.trusted_ca,
                            f"Trusted CA file on this host ({'JKS keystore' if req.provider == 'JKS' else 'PEM file'})"
                            f", as [security] trusted-ca of {holder}."))
    if req.provider == "JKS":
        lines.append(SetenvLine(JAVA, TLS_PROPERTY_PREFIX + "truststore-password", PASSWORD_PLACEHOLDER,
                                "Password of the JKS keystore: replace the placeholder on the host. The console "
                                "never writes the password into a generated file."))
    return lines


def setenv_notes(req: SetenvRequest) -> list[str]:
    """Warnings about this fragment, written at its top and shown on the page."""
    holder = req.section_holder or req.application_name
    notes = []
    if not req.provider:
        notes.append(f"No trusted store: the [security] provider of {holder} is empty, so nothing can verify "
                     "the certificate of Configuration Server. Set the security section first.")
    elif req.provider in ("PEM", "JKS") and not req.trusted_ca:
        notes.append(f"[security] trusted-ca of {holder} is empty: the {req.provider} file is not known.")
    if req.provider == "MSCAPI" and not req.windows_host:
        notes.append("MSCAPI is the Windows certificate store and this host is not Windows: use PEM or JKS.")
    if req.provider == "MSCAPI":
        notes.append("MSCAPI: the CA must be in the Trusted Root Certification Authorities store of the "
                     "account the service runs as.")
    if req.mutual_tls:
        notes.append(f"Port {req.port_id} asks for mutual TLS: this server also needs its own certificate, "
                     "which the console does not manage.")
    if any(ch.isspace() for ch in req.trusted_ca) and req.provider in ("PEM", "JKS"):
        notes.append("The trusted-ca path contains spaces: a start script that expands JAVA_OPTS unquoted splits "
                     "it. Prefer a path without spaces.")
    return notes


HEADER = [
    "Co-browse Admin: Configuration Server connection over TLS for {name} ({label}).",
    "Add these lines to {file} in the server directory{directory}, then restart the server.",
    "Configuration Server is not configured on the Connections tab: these lines are the connection.",
    "The variable and Java property names follow this console's template, not checked against a release:",
    "compare them with the {file} your Co-browse release ships before you restart.",
    "No password is written here by the console.",
]


def header_lines(req: SetenvRequest, file: str) -> list[str]:
    directory = f" ({one_line(req.server_directory)})" if req.server_directory else ""
    values = {"name": one_line(req.application_name), "label": one_line(req.application_label), "file": file,
              "directory": directory}
    return [line.format(**values) for line in HEADER] + [f"WARNING: {note}" for note in setenv_notes(req)]


def one_line(text: str) -> str:
    """Text safe inside a comment: no line breaks or control characters."""
    return re.sub(r"[\x00-\x1f\x7f]+", " ", text).strip()


# setenv.sh


def sh_single_quote(value: str) -> str:
    if value and re.fullmatch(r"[A-Za-z0-9_@%+=:,./-]+", value):
        return value
    return "'" + value.replace("'", "'\"'\"'") + "'"


def sh_double_quoted_body(value: str) -> str:
    return re.sub(r'(["\\$`])', r"\\\1", value)


def render_sh(req: SetenvRequest) -> str:
    out = [f"# {line}" for line in header_lines(req, "setenv.sh")]
    java_started = False
    for line in setenv_lines(req):
        out.append("")
        if line.kind == JAVA and not java_started:
            java_started = True
            out.append("# TLS settings, passed to Java as system properties in JAVA_OPTS.")
        out.append(f"# {one_line(line.purpose)}")
        value = one_line(line.value)
        if line.kind == ENV:
            out.append(f"export {line.name}={sh_single_quote(value)}")
        else:
            out.append(f'JAVA_OPTS="$JAVA_OPTS -D{line.name}={sh_double_quoted_body(value)}"')
    if java_started:
        out += ["", "export JAVA_OPTS"]
    return "\n".join(out) + "\n"


# setenv.bat

BAT_SPECIAL = re.compile(r"([\^&|<>()])")


def bat_escape(value: str) -> str:
    """A value after ``set NAME=``: cmd metacharacters escaped with ^, percent signs doubled."""
    return BAT_SPECIAL.sub(r"^\1", value.replace("%", "%%"))


def bat_comment(text: str) -> str:
    """REM text without characters cmd could still act on."""
    return re.sub(r"[\^&|<>%]", "_", one_line(text))


def render_bat(req: SetenvRequest) -> str:
    out = [f"REM {bat_comment(line)}" for line in header_lines(req, "setenv.bat")]
    java_started = False
    for line in setenv_lines(req):
        out.append("")
        if line.kind == JAVA and not java_started:
            java_started = True
            out.append("REM TLS settings, passed to Java as system properties in JAVA_OPTS.")
        out.append(f"REM {bat_comment(line.purpose)}")
        value = one_line(line.value)
        if line.kind == ENV:
            out.append(f"set {line.name}={bat_escape(value)}")
        else:
            option = f"-D{line.name}={value}"
            if re.search(r"[\s\^&|<>()]", value):
                # Quoted: cmd keeps the metacharacters literal and Java receives one argument.
                option = '"' + option.replace("%", "%%") + '"'
            else:
                option = option.replace("%", "%%")
            out.append(f"set JAVA_OPTS=%JAVA_OPTS% {option}")
    return "\r\n".join(out) + "\r\n"
