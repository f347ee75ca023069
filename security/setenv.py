"""R3: the ``setenv.sh`` / ``setenv.bat`` lines for the Configuration Server connection over TLS.

Configuration Server is not reached through the Connections tab: a Co-browse server reads the
Configuration Server host, port and its own application name from the environment set in
``setenv.sh`` (Linux/Unix) or ``setenv.bat`` (Windows) in its server directory, and the TLS settings as
Java system properties. Pure functions over plain values: no Django in here.

What a generated file promises, whatever the database holds: it sets exactly the variables of
``setenv_lines`` to exactly their values and runs no other command. Values are escaped for the
shell or for cmd.exe, never trusted to be clean; a value that cannot be written exactly (a control
character or line separator anywhere, a ``"`` in a Java option of setenv.bat, a ``trusted-ca`` that is
not a path on the host's operating system) is refused with ``SetenvRefused`` instead of being
altered. Comments are text only: their control characters and cmd metacharacters are replaced.

The variable and Java property names are this console's template. ``security.setenv_patch`` sets
the same lines in the ``setenv`` file an operator uploads from their release, so the names can be
checked against the real file; the built-in template says it is one.

The truststore password is never written: a JKS line holds ``PASSWORD_PLACEHOLDER``, which the
operator replaces on the host.
"""

import re
from dataclasses import dataclass

from applications.names import describe_characters, unsafe_characters
from applications.paths import WINDOWS, family, path_problem

TLS_PROPERTY_PREFIX = "com.genesyslab.platform.commons.connection.tls."
PASSWORD_PLACEHOLDER = "REPLACE_WITH_TRUSTSTORE_PASSWORD"
ENV = "env"
JAVA = "java"
JAVA_OPTS = "JAVA_OPTS"
SH, BAT = "sh", "bat"


class SetenvRefused(ValueError):
    """A value cannot be written into the file exactly as it is; the message says which and why."""


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
    host_os: str | None = None  # OperatingSystem value of the application's host; None: no host
    host_name: str = ""
    server_directory: str = ""

    @property
    def windows_host(self) -> bool:
        return family(self.host_os) == WINDOWS

    @property
    def kinds(self) -> tuple[str, ...]:
        """The files that fit the host: its own one, or both while the host is not known."""
        if self.host_os is None:
            return (SH, BAT)
        return (BAT,) if self.windows_host else (SH,)


@dataclass(frozen=True)
class SetenvLine:
    kind: str  # ENV: an environment variable; JAVA: a Java system property added to JAVA_OPTS
    name: str
    value: str
    purpose: str

    @property
    def label(self) -> str:
        return f"-D{self.name}" if self.kind == JAVA else self.name


def setenv_lines(req: SetenvRequest) -> list[SetenvLine]:
    """Every setting of the fragment, with what it sets (shown on the page and as comments)."""
    holder = req.section_holder or req.application_name
    lines = [
        SetenvLine(ENV, "CONFIG_SERVER_HOST", req.config_host,
                   f"Host of Configuration Server {req.config_server_name}."),
        SetenvLine(ENV, "CONFIG_SERVER_PORT", str(req.config_port),
                   f"Its secure port (port ID {req.port_id}): the connection is encrypted with TLS."),
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
    if req.provider == "MSCAPI" and req.host_os and not req.windows_host:
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
    if req.host_os is None:
        notes.append(f"{req.application_name} has no host: the console cannot tell whether it needs setenv.sh or "
                     "setenv.bat, nor check trusted-ca against the host's operating system. Set its host.")
    return notes


def refusal(req: SetenvRequest, kind: str) -> str | None:
    """Why the ``kind`` file cannot be written for this request (one sentence), or None."""
    for line in setenv_lines(req):
        if line.kind == ENV and not line.value:
            return f"The value of {line.label} is empty: set NAME= would remove the variable instead of setting it."
        bad = unsafe_characters(line.value)
        if bad:
            return (f"The value of {line.label} contains control or invisible characters "
                    f"({describe_characters(bad)}): it cannot be written into a setenv file exactly. Fix it where "
                    "it is set.")
        if kind == BAT and line.kind == JAVA and '"' in line.value:
            return f'The value of {line.label} contains ", which setenv.bat cannot pass to Java inside one option.'
    if req.provider in ("PEM", "JKS") and req.trusted_ca and req.host_os:
        problem = path_problem(req.trusted_ca, req.host_os, host=req.host_name)
        if problem:
            holder = req.section_holder or req.application_name
            return f"trusted-ca of {holder} does not fit the host of {req.application_name}: {problem}"
    return None


def check(req: SetenvRequest, kind: str) -> None:
    reason = refusal(req, kind)
    if reason:
        raise SetenvRefused(reason)


HEADER = [
    "Co-browse Admin: Configuration Server connection over TLS for {name} ({label}).",
    "TEMPLATE: the variable and Java property names are this console's template, not read from your release.",
    "Upload the {file} your Co-browse release ships on the console's setenv page to get that file with only",
    "these settings set or changed, or compare the names with it before you restart.",
    "Add these lines to {file} in the server directory{directory}, then restart the server.",
    "No password is written here by the console.",
]


def header_lines(req: SetenvRequest, file: str) -> list[str]:
    directory = f" ({one_line(req.server_directory)})" if req.server_directory else ""
    values = {"name": one_line(req.application_name), "label": one_line(req.application_label), "file": file,
              "directory": directory}
    return [line.format(**values) for line in HEADER] + [f"WARNING: {note}" for note in setenv_notes(req)]


def one_line(text: str) -> str:
    """Text safe inside a comment: control and invisible characters (line breaks, U+2028 …) become spaces."""
    return re.sub(r"\s+", " ", "".join(" " if unsafe_characters(ch) else ch for ch in text)).strip()


# setenv.sh: values in single quotes, Java options in a double-quoted JAVA_OPTS.

SH_PLAIN = re.compile(r"[A-Za-z0-9_@%+=:,./-]+")


def sh_single_quote(value: str) -> str:
    """One shell word whose value is exactly ``value`` (which holds no NUL)."""
    if value and SH_PLAIN.fullmatch(value):
        return value
    return "'" + value.replace("'", "'\"'\"'") + "'"


def sh_double_quoted_body(value: str) -> str:
    """``value`` inside double quotes: ``" \\ $ `` ` `` escaped, so nothing is expanded."""
    return re.sub(r'(["\\$`])', r"\\\1", value)


def sh_env_line(name: str, value: str) -> str:
    return f"export {name}={sh_single_quote(value)}"


def sh_java_line(name: str, value: str, variable: str = JAVA_OPTS) -> str:
    return f'{variable}="${variable} -D{name}={sh_double_quoted_body(value)}"'


def sh_comment(text: str) -> str:
    return f"# {one_line(text)}"


def sh_setting_lines(lines: list[SetenvLine]) -> list[str]:
    """The commented setting lines of setenv.sh (no header)."""
    out: list[str] = []
    java_started = False
    for line in lines:
        out.append("")
        if line.kind == JAVA and not java_started:
            java_started = True
            out.append("# TLS settings, passed to Java as system properties in JAVA_OPTS.")
        out.append(sh_comment(line.purpose))
        out.append(sh_env_line(line.name, line.value) if line.kind == ENV else sh_java_line(line.name, line.value))
    if java_started:
        out += ["", f"export {JAVA_OPTS}"]
    return out


def render_sh(req: SetenvRequest) -> str:
    check(req, SH)
    out = [sh_comment(line) for line in header_lines(req, "setenv.sh")] + sh_setting_lines(setenv_lines(req))
    return "\n".join(out) + "\n"


# setenv.bat: cmd.exe metacharacters escaped with ^, percent signs doubled (a batch file).

BAT_SPECIAL = re.compile(r'([\^&|<>()"])')
BAT_QUOTE_NEEDED = re.compile(r'[\s\^&|<>()=;,]')


def bat_escape(value: str) -> str:
    """A value after ``set NAME=``: ``^ & | < > ( ) "`` escaped with ^, percent signs doubled."""
    return BAT_SPECIAL.sub(r"^\1", value.replace("%", "%%"))


def bat_java_option(name: str, value: str) -> str:
    """``-Dname=value`` as one argument: in double quotes when it holds spaces or metacharacters
    (inside quotes cmd keeps ``^ & | < > ( )`` literal; a ``"`` cannot be written and is refused
    before this)."""
    option = f"-D{name}={value}".replace("%", "%%")
    if not BAT_QUOTE_NEEDED.search(value):
        return option
    # Backslashes before the closing quote would escape it for the program's argument parsing
    # (CommandLineToArgvW): doubled, they stand for themselves.
    backslashes = "\\" * (len(option) - len(option.rstrip("\\")))
    return '"' + option + backslashes + '"'


def bat_env_line(name: str, value: str) -> str:
    return f"set {name}={bat_escape(value)}"


def bat_java_line(name: str, value: str, variable: str = JAVA_OPTS) -> str:
    return f"set {variable}=%{variable}% {bat_java_option(name, value)}"


def bat_comment(text: str) -> str:
    """A REM line: cmd expands % and honours ^ even there, so those (and ! & | < > ") become _."""
    return "REM " + re.sub(r'[\^&|<>%!"]', "_", one_line(text))


def bat_setting_lines(lines: list[SetenvLine]) -> list[str]:
    out: list[str] = []
    java_started = False
    for line in lines:
        out.append("")
        if line.kind == JAVA and not java_started:
            java_started = True
            out.append("REM TLS settings, passed to Java as system properties in JAVA_OPTS.")
        out.append(bat_comment(line.purpose))
        out.append(bat_env_line(line.name, line.value) if line.kind == ENV else bat_java_line(line.name, line.value))
    return out


def render_bat(req: SetenvRequest) -> str:
    check(req, BAT)
    out = [bat_comment(line) for line in header_lines(req, "setenv.bat")] + bat_setting_lines(setenv_lines(req))
    return "\r\n".join(out) + "\r\n"


def render(req: SetenvRequest, kind: str) -> str:
    return render_sh(req) if kind == SH else render_bat(req)
