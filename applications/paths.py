"""File paths on the hosts Co-browse runs on, checked against the host's operating system.

``trusted-ca``, a trusted store's path and a server directory name a file or directory on the
Co-browse host, not on the console's machine: ``/opt/genesys/certs/ca.pem`` means nothing to a
Windows host, and ``C:\\certs\\ca.pem`` is a relative file name with backslashes in it on Linux.
``path_problem`` is the one check every form, service and finding uses. It is a pure function.

Windows: a drive path (``C:\\...`` or ``C:/...``) or a UNC path (``\\\\server\\share\\...``); none of
``" < > | ? *``, no ``:`` after the drive, no reserved device name (CON, NUL, COM1 …) and no name
ending with a dot or a space. Linux/Unix: an absolute path starting with ``/``, no backslash (it is
not a separator there, and a drive path typed for Windows is refused as such). Everywhere: no control
or invisible characters, which no file system a Co-browse host uses allows in a name an operator
could type, and which would break the line of a generated file.
"""

import re

from applications.names import describe_characters, unsafe_characters
from applications.text import quoted

WINDOWS = "windows"
UNIX = "unix"
FAMILY_LABELS = {WINDOWS: "Windows", UNIX: "Linux/Unix"}

DRIVE_RE = re.compile(r"^[A-Za-z]:")
DRIVE_ABSOLUTE_RE = re.compile(r"^[A-Za-z]:[\\/]")
WINDOWS_FORBIDDEN = '"<>|?*'
WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"} | {f"COM{i}" for i in range(1, 10)} | {f"LPT{i}" for i in range(1, 10)}
)


def family(os_type: str | None) -> str | None:
    """``windows``, ``unix`` or None (host unknown) for an ``OperatingSystem`` value."""
    if not os_type:
        return None
    return WINDOWS if os_type == "windows" else UNIX


def looks_like_windows(path: str) -> bool:
    """Written for Windows: a drive (``C:``), a leading backslash (UNC, device or rooted path), or
    backslashes in a path that does not start with ``/``."""
    return bool(DRIVE_RE.match(path)) or path.startswith("\\") or ("\\" in path and not path.startswith("/"))


def path_family(path: str) -> str:
    """The operating system family a path is written for (by its form only)."""
    return WINDOWS if looks_like_windows(path) else UNIX


def path_problem(path: str, os_type: str | None, *, host: str = "", directory: bool = False) -> str | None:
    """Why ``path`` cannot be the full path of a file (or ``directory``) on a host of ``os_type``, or None.

    ``os_type`` None (no host yet) accepts either form, judged by the rules of the form it has.
    ``host`` names the host in the message ("cb-win-01").
    """
    if not path:
        return "The path is empty."
    bad = unsafe_characters(path)
    if bad:
        return (f"The path {quoted(path)} contains control or invisible characters ({describe_characters(bad)}), "
                "which no file name on the host may contain.")
    wanted = family(os_type)
    written = path_family(path)
    where = host or "the host"
    if wanted and written != wanted:
        if wanted == WINDOWS:
            return (f"{quoted(path)} is a Linux/Unix path, but {where} runs Windows: give the path on that host, "
                    "starting with a drive like C:\\ or with \\\\server\\share.")
        return (f"{quoted(path)} is a Windows path, but {where} runs Linux/Unix: give the path on that host, "
                "starting with /.")
    if written == WINDOWS:
        return windows_problem(path, directory)
    if not path.startswith("/"):
        if wanted is None:
            return (f"{quoted(path)} is not a full path: start with / (Linux/Unix) or with a drive like C:\\ "
                    "(Windows).")
        return f"{quoted(path)} is not a full path: on Linux/Unix it starts with /."
    if "\\" in path:
        return (f"{quoted(path)} contains a backslash, which is not a directory separator on Linux/Unix: "
                "use / between directories.")
    if not directory and path.endswith("/"):
        return f"{quoted(path)} ends with /: give the file name too."
    return None


def windows_problem(path: str, directory: bool) -> str | None:
    if path.startswith(("\\\\?\\", "\\\\.\\", "//?/", "//./")):
        return f"{quoted(path)} is a Windows device path: give a plain drive path (C:\\...) or \\\\server\\share\\..."
    if path.startswith("\\\\"):
        parts = re.split(r"[\\/]+", path[2:])
        if len(parts) < 2 or not parts[0] or not parts[1]:
            return f"{quoted(path)} is not a full UNC path: write \\\\server\\share\\folder\\file."
        rest = path[2:]
    elif DRIVE_ABSOLUTE_RE.match(path):
        rest = path[3:]
    else:
        return f"{quoted(path)} is not a full path: on Windows it starts with a drive like C:\\ (or \\\\server\\share)."
    forbidden = sorted({ch for ch in rest if ch in WINDOWS_FORBIDDEN or ch == ":"})
    if forbidden:
        listed = " ".join(forbidden)
        return (f"{quoted(path)} contains {listed}: Windows allows none of \" < > | ? * in a file or directory "
                "name, and a colon only after the drive letter.")
    for name in re.split(r"[\\/]", rest):
        if name in ("", ".", ".."):
            continue
        if name.split(".")[0].rstrip(" ").upper() in WINDOWS_RESERVED:
            return f"{quoted(path)} uses {quoted(name)}, a device name Windows reserves: choose another name."
        if name.endswith((".", " ")):
            return (f"{quoted(path)} has a name ending with a dot or a space ({quoted(name)}), which Windows "
                    "removes: the file would not be found.")
    if not directory and path.endswith(("\\", "/")):
        return f"{quoted(path)} ends with a separator: give the file name too."
    return None
