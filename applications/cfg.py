"""Genesys ``.cfg`` options files: ``[section]`` headers, then ``option = value`` lines, UTF-8.

Parsing is strict, because an import that guesses silently is worse than one that refuses: an
option before any section, a key given twice, binary data or a wrong encoding is a ``CfgError``
naming the line.
"""

from dataclasses import dataclass

from applications.text import quoted
from applications.validators import has_control_characters

SECRET_PLACEHOLDER = "<secret not exported>"


class CfgError(ValueError):
    pass


@dataclass(frozen=True)
class CfgEntry:
    section: str
    name: str
    value: str
    line: int


def parse_cfg(data: bytes) -> list[CfgEntry]:
    if b"\x00" in data:
        raise CfgError("This is binary data, not a .cfg text file.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CfgError(f"Line {line}: the file is not UTF-8 text (save it as UTF-8).") from None
    entries: list[CfgEntry] = []
    seen: set[tuple[str, str]] = set()
    section: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            if not line.endswith("]") or len(line) < 3:
                raise CfgError(f"Line {number}: a section header looks like [section].")
            section = line[1:-1].strip()
            if not section or any(ch in section for ch in "[]"):
                raise CfgError(f"Line {number}: {quoted(line)} is not a valid section name.")
            continue
        if section is None:
            raise CfgError(f"Line {number}: option {quoted(line)} comes before any [section] header.")
        if "=" not in line:
            raise CfgError(f"Line {number}: expected option = value, got {quoted(line)}.")
        name, value = line.split("=", 1)
        name, value = name.strip(), value.strip()
        if not name:
            raise CfgError(f"Line {number}: the option name is missing before '='.")
        if has_control_characters(name + value):
            raise CfgError(f"Line {number}: control characters are not allowed.")
        if (section, name) in seen:
            raise CfgError(f"Line {number}: [{section}] {name} is given twice.")
        seen.add((section, name))
        entries.append(CfgEntry(section, name, value, number))
    return entries


def render_cfg(options: list[tuple[str, str, str]], *, header: str = "") -> str:
    """``(section, name, value)`` triples, already sorted, to .cfg text."""
    lines: list[str] = []
    if header:
        lines += [f"# {line}" for line in header.splitlines()] + [""]
    section = None
    for sec, name, value in options:
        if sec != section:
            if section is not None:
                lines.append("")
            lines.append(f"[{sec}]")
            section = sec
        lines.append(f"{name} = {value}")
    return "\n".join(lines) + "\n"
