"""A model of how cmd.exe reads one line of a batch file, strict where cmd is subtle.

cmd.exe cannot run here, so the tests check generated batch lines and command lines against this
model of its documented parsing phases (without delayed expansion, which a generated file never
enables):

1. percent expansion: ``%%`` is one ``%``; ``%NAME%`` is the variable's value (empty when undefined, as
   in a batch file); ``%0``–``%9``, ``%*`` and ``%~`` are batch parameters, which a generated line must
   never use (``CmdModelError``); a lone ``%`` is dropped;
2. special characters: ``"`` toggles quoting; outside quotes ``^`` makes the next character literal
   (and is removed), while ``& | < >`` would start another command or a redirection and ``( )`` a
   block: all refused by the model (a generated line is exactly one command); a ``^`` ending the line
   would join the next line: refused too. Inside quotes every character is literal.

Then ``set NAME=value`` and ``set "NAME=value"`` assign as cmd does; ``REM`` lines are comments, and the
model accepts them only when they hold none of ``% ^ & | < > ! "`` (nothing cmd could still act on).
Program arguments are split as the Microsoft C runtime does (``CommandLineToArgvW``): whitespace
outside quotes separates, quotes are removed, backslashes count only before a quote.
"""

import re

SPECIAL = "&|<>()"


class CmdModelError(AssertionError):
    """The line is not exactly one plain command in the model."""


def expand_percent(line: str, env: dict[str, str]) -> str:
    out, i = [], 0
    while i < len(line):
        ch = line[i]
        if ch != "%":
            out.append(ch)
            i += 1
            continue
        following = line[i + 1:i + 2]
        if following == "%":
            out.append("%")
            i += 2
        elif following and (following.isdigit() or following in "*~"):
            raise CmdModelError(f"batch parameter %{following} in {line!r}")
        else:
            end = line.find("%", i + 1)
            if end < 0:
                i += 1  # a lone % is dropped
                continue
            name = line[i + 1:end]
            out.append(env.get(name.upper(), ""))
            i = end + 1
    return "".join(out)


def special_characters(line: str) -> str:
    """Phase 2: the line with escape carets removed; refuses separators, redirections and blocks."""
    out, quoted, i = [], False, 0
    while i < len(line):
        ch = line[i]
        if ch == '"':
            quoted = not quoted
            out.append(ch)
        elif quoted:
            out.append(ch)
        elif ch == "^":
            if i + 1 >= len(line):
                raise CmdModelError(f"a caret continues the line: {line!r}")
            out.append(line[i + 1])
            i += 1
        elif ch in SPECIAL:
            raise CmdModelError(f"unescaped {ch} outside quotes: {line!r}")
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def run_line(line: str, env: dict[str, str]) -> tuple[str, str] | None:
    """Run one line of a batch file on ``env`` (names upper-case). Returns ("set", NAME) after an
    assignment, ("rem", "") for a comment, None for an empty line; anything else is an error."""
    if not line.strip():
        return None
    stripped = line.lstrip(" \t")
    if re.match(r"(?i)rem(\s|$)", stripped):
        if re.search(r'[%^&|<>!"]', stripped):
            raise CmdModelError(f"a comment holds a character cmd could act on: {line!r}")
        return ("rem", "")
    logical = special_characters(expand_percent(line, env)).lstrip(" \t@")
    match = re.match(r"(?i)set[ \t]+", logical)
    if match is None:
        raise CmdModelError(f"not a set command: {line!r}")
    argument = logical[match.end():]
    if argument.startswith('"'):
        closing = argument.rfind('"')
        if closing == 0:
            raise CmdModelError(f"unterminated set \"...: {line!r}")
        argument = argument[1:closing]
    name, equals, value = argument.partition("=")
    if not equals or not name or any(ch.isspace() for ch in name):
        raise CmdModelError(f"not set NAME=value: {line!r}")
    if value:
        env[name.upper()] = value
    else:
        env.pop(name.upper(), None)
    return ("set", name.upper())


def run_batch(text: str, env: dict[str, str] | None = None) -> tuple[dict[str, str], list[str]]:
    """Run a whole generated batch file (CRLF lines); returns the environment and the names set."""
    env = dict(env or {})
    assigned = []
    for line in text.split("\r\n"):
        result = run_line(line, env)
        if result and result[0] == "set":
            assigned.append(result[1])
    return env, assigned


def argv(command_line: str) -> list[str]:
    """Arguments as the Microsoft C runtime splits a command line."""
    args, current, in_arg, quoted, i = [], [], False, False, 0
    while i < len(command_line):
        ch = command_line[i]
        if ch == "\\":
            j = i
            while j < len(command_line) and command_line[j] == "\\":
                j += 1
            count = j - i
            if j < len(command_line) and command_line[j] == '"':
                current.append("\\" * (count // 2))
                if count % 2:
                    current.append('"')
                    i = j + 1
                else:
                    i = j
                in_arg = True
                continue
            current.append("\\" * count)
            in_arg, i = True, j
            continue
        if ch == '"':
            quoted = not quoted
            in_arg = True
        elif ch in " \t" and not quoted:
            if in_arg:
                args.append("".join(current))
                current, in_arg = [], False
        else:
            current.append(ch)
            in_arg = True
        i += 1
    if in_arg:
        args.append("".join(current))
    return args


def command(line: str, env: dict[str, str] | None = None) -> list[str]:
    """A command line typed at the prompt or in a batch file: its program and arguments, or
    ``CmdModelError`` when it is not exactly one command without redirection."""
    return argv(special_characters(expand_percent(line, env or {})))
