"""Genesys ``.cfg`` options files: ``[section]`` headers, then ``option = value`` lines, UTF-8.

Parsing is strict, because an import that guesses silently is worse than one that refuses: an
option before any section, a key given twice, binary data or a wrong encoding is a ``CfgError``
naming the line.

The writer and the reader agree: a line ends at ``\\n`` (a ``\\r`` before it is dropped) and at
nothing else, and only spaces and tabs around names, values and ``=`` are layout. The writer
writes only what ``applications.option_text`` accepts as a name and a value, and so the reader
gives back exactly what was written; a line holding a control character (``\\r`` in the middle,
VT, FF, NEL, U+2028, ESC, ...) is refused, never split or trimmed into other options.
"""

from dataclasses import dataclass

from applications.option_text import (
    FORBIDDEN_EVERYWHERE,
    SECRET_PLACEHOLDER,
    describe_character,
    first_forbidden,
    name_problem,
    value_syntax_problem,
)

LAYOUT = " \t"  # around names, values and "=": not part of them

__all__ = ["SECRET_PLACEHOLDER", "CfgEntry", "CfgError", "parse_cfg", "render_cfg", "writable"]


class CfgError(ValueError):
    pass


@dataclass(frozen=True)
class CfgEntry:
    section: str
    name: str
    value: str
    line: int


def _refuse_control(number: int, text: str) -> None:
    bad = first_forbidden(text, FORBIDDEN_EVERYWHERE)
    if bad is not None:
        raise CfgError(f"Line {number}: control characters are not allowed ({describe_character(bad)}).")


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
    for number, raw in enumerate(text.split("\n"), start=1):
        line = (raw[:-1] if raw.endswith("\r") else raw).strip(LAYOUT)
        if not line or line.startswith(("#", ";")):
            continue  # a comment carries nothing, whatever it holds
        if line.startswith("["):
            if not line.endswith("]") or len(line) < 3:
                raise CfgError(f"Line {number}: a section header looks like [section].")
            section = line[1:-1].strip(LAYOUT)
            _refuse_control(number, section)
            if not section or any(ch in section for ch in "[]"):
                raise CfgError(f"Line {number}: [{section}] is not a valid section name.")
            continue
        name, equals, value = line.partition("=")
        name, value = name.strip(LAYOUT), value.strip(LAYOUT)
        _refuse_control(number, name + value)
        if section is None:
            raise CfgError(f"Line {number}: the option on this line comes before any [section] header.")
        if not equals:
            raise CfgError(f"Line {number}: expected option = value, got a line without =.")
        if not name:
            raise CfgError(f"Line {number}: the option name is missing before =.")
        if (section, name) in seen:
            raise CfgError(f"Line {number}: [{section}] {name} is given twice.")
        seen.add((section, name))
        entries.append(CfgEntry(section, name, value, number))
    return entries


def writable(section: str, name: str, value: str) -> bool:
    """Whether ``parse_cfg`` reads this option back exactly (the placeholder of a secret included)."""
    if name_problem("section", section) or name_problem("option", name):
        return False
    return value == SECRET_PLACEHOLDER or value_syntax_problem(value) is None


def comment_lines(text: str) -> list[str]:
    """``text`` as comment lines: split on every line break any reader knows, each line behind ``#``."""
    return [f"# {line}" for line in text.splitlines()]


def render_cfg(options: list[tuple[str, str, str]], *, header: str = "") -> str:
    """``(section, name, value)`` triples, already sorted, to .cfg text. An option ``parse_cfg`` would
    not read back exactly is a ``CfgError``: filter with ``writable`` first."""
    lines: list[str] = []
    if header:
        lines += comment_lines(header) + [""]
    section = None
    for sec, name, value in options:
        if not writable(sec, name, value):
            raise CfgError("An option whose name or value a .cfg file cannot carry was given to the writer.")
        if sec != section:
            if section is not None:
                lines.append("")
            lines.append(f"[{sec}]")
            section = sec
        lines.append(f"{name} = {value}")
    return "\n".join(lines) + "\n"
