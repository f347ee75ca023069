"""Command lines the console shows for an operator to paste: keytool, certutil and PowerShell.

Every argument that comes from the database (a store's path, a file name) goes through a quoting
function of the shell it is meant for, never into the line as it is: whatever the value, the line is
that one command with exactly these arguments. A value that cannot be quoted exactly for that shell
is refused with ``CommandRefused``, and the page shows why instead of a command:

- everywhere: control or invisible characters (a line break would start a second command);
- cmd.exe: ``"`` (it would end the quoting), ``%`` (expanded even inside quotes at a prompt, with no
  escape there), ``!`` (expanded under delayed expansion), a trailing backslash (it would escape the
  closing quote for the program's own argument parsing);
- PowerShell: nothing else; inside single quotes only the quote characters (' ‘ ’ ‚ ‛) are special,
  and they are doubled.

Pure functions, no Django.
"""

import re

from applications.names import describe_characters, unsafe_characters
from applications.paths import WINDOWS
from applications.text import quoted

POWERSHELL_QUOTES = "'\u2018\u2019\u201a\u201b"
CMD_REFUSED = '"%!'


class CommandRefused(ValueError):
    """The value cannot be written into this command line exactly; the message says why."""


def refuse_unsafe(value: str) -> None:
    bad = unsafe_characters(value)
    if bad:
        raise CommandRefused(f"{quoted(value)} contains control or invisible characters ({describe_characters(bad)}): "
                             "no command line can carry it.")
    if not value:
        raise CommandRefused("The value is empty.")


def posix_argument(value: str) -> str:
    """One word for a POSIX shell whose value is exactly ``value``: single-quoted unless plain."""
    refuse_unsafe(value)
    if re.fullmatch(r"[A-Za-z0-9_@%+=:,./-]+", value):
        return value
    return "'" + value.replace("'", "'\"'\"'") + "'"


def cmd_argument(value: str) -> str:
    """One argument for a program started from cmd.exe, in double quotes."""
    refuse_unsafe(value)
    found = sorted({ch for ch in value if ch in CMD_REFUSED})
    if found:
        raise CommandRefused(f"{quoted(value)} contains {' '.join(found)}, which cmd.exe would not pass on as "
                             "typed: run the command with the name typed by hand.")
    if value.endswith("\\"):
        raise CommandRefused(f"{quoted(value)} ends with a backslash, which would escape the closing quote.")
    return f'"{value}"'


def powershell_argument(value: str) -> str:
    """A PowerShell single-quoted string whose value is exactly ``value``."""
    refuse_unsafe(value)
    return "'" + "".join(ch * 2 if ch in POWERSHELL_QUOTES else ch for ch in value) + "'"


def keytool_list(path: str, family: str) -> str:
    """``keytool -list`` of the keystore at ``path`` on a host of that family (cmd on Windows)."""
    argument = cmd_argument(path) if family == WINDOWS else posix_argument(path)
    return f"keytool -list -keystore {argument}"


def mscapi_commands(filename: str) -> dict[str, str]:
    """R7: the certutil and PowerShell lines that import ``filename`` into Trusted Root Certification
    Authorities, for the machine store and for the current user's store."""
    in_cmd, in_powershell = cmd_argument(filename), powershell_argument(filename)
    return {
        "certutil": f"certutil -addstore -f Root {in_cmd}",
        "certutil_user": f"certutil -user -addstore -f Root {in_cmd}",
        "powershell": f"Import-Certificate -FilePath {in_powershell} -CertStoreLocation Cert:\\LocalMachine\\Root",
        "powershell_user": f"Import-Certificate -FilePath {in_powershell} -CertStoreLocation Cert:\\CurrentUser\\Root",
    }
