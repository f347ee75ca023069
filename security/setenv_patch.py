"""The operator's own ``setenv.sh`` / ``setenv.bat``, with only the Configuration Server and TLS lines set.

The console's built-in fragment is a template: its variable and Java property names could not be
checked against a Co-browse release. An operator uploads (or pastes) the file their release ships;
``patch_setenv`` returns that file with each setting of ``security.setenv.setenv_lines`` set where the
file already assigns it, and the settings it does not assign appended in one clearly marked block at
the end. Everything else stays byte for byte: other lines, line endings (LF, CRLF, mixed), a UTF-8
byte order mark, the presence or absence of a final newline.

Promises, for every file this module accepts:
- the patched file minus the changed lines and the added block is the uploaded file, byte for byte;
- a changed line keeps its indentation, its ``export`` / ``set`` form, its trailing comment and its
  line ending; only the value is replaced, escaped by the same functions as the template;
- a line that assigns a setting in a form the console cannot edit safely (a command substitution, a
  second command on the line, ``readonly``, a value with spaces inside ``set "VAR=…"``) is refused with
  its line number, never guessed at;
- a value that cannot be written exactly is refused (``SetenvRefused``), never altered.

Stateless by design: nothing uploaded is kept. A release's setenv file belongs to one server
directory, changes with each upgrade, and often holds settings of other components (passwords
included) that the console has no business storing; the operator uploads it again when they need it.
Pure functions: no Django in here.
"""

import difflib
import re
from dataclasses import dataclass, field

from security.setenv import (
    BAT,
    ENV,
    JAVA,
    JAVA_OPTS,
    SH,
    SetenvLine,
    SetenvRefused,
    SetenvRequest,
    bat_comment,
    bat_env_line,
    bat_escape,
    bat_java_line,
    bat_java_option,
    check,
    setenv_lines,
    sh_comment,
    sh_double_quoted_body,
    sh_env_line,
    sh_java_line,
    sh_single_quote,
)
from security.setenv_scan import bat_line_starts, body_and_ending, sh_line_starts

MAX_BYTES = 256 * 1024
MARK_BEGIN = "----- BEGIN Co-browse Admin: Configuration Server connection over TLS, lines added by the console"
MARK_END = "----- END Co-browse Admin"
UTF8_BOM = b"\xef\xbb\xbf"


class SetenvFileError(ValueError):
    """The upload is not a setenv text file the console can read; the message says what to do."""


@dataclass(frozen=True)
class SetenvFile:
    kind: str  # SH or BAT
    text: str  # decoded, without the byte order mark
    bom: bool = False

    def encode(self, text: str) -> bytes:
        return (UTF8_BOM if self.bom else b"") + text.encode("utf-8")


def read_setenv(data: bytes, kind: str) -> SetenvFile:
    """The upload as text, or ``SetenvFileError``: too large, empty, binary, UTF-16 or not UTF-8."""
    if len(data) > MAX_BYTES:
        raise SetenvFileError(f"The file is {len(data):,} bytes; a setenv file may be at most {MAX_BYTES:,} bytes.")
    if not data.removeprefix(UTF8_BOM).strip():
        raise SetenvFileError("The file is empty.")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SetenvFileError("The file is UTF-16 text: save it as UTF-8 (or ASCII) and upload it again.")
    if b"\x00" in data:
        raise SetenvFileError("This is binary data (it holds NUL bytes), not a setenv text file.")
    bom = data.startswith(UTF8_BOM)
    body = data[len(UTF8_BOM):] if bom else data
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        raise SetenvFileError(f"Line {line} is not UTF-8 text: save the file as UTF-8 (or ASCII) and upload it "
                              "again.") from None
    return SetenvFile(kind=kind, text=text, bom=bom)


def split_lines(text: str) -> list[str]:
    """Lines with their own ending (``\\n`` or ``\\r\\n``); only ``\\n`` ends a line, as for bash and cmd."""
    return re.findall(r"[^\n]*\n|[^\n]+$", text)


@dataclass(frozen=True)
class Segment:
    """A piece of the patched file: a line of the upload (``line`` ≥ 1) or the added block (``line`` 0)."""

    old: str
    new: str
    line: int = 0
    setting: str = ""  # the label of the setting the line sets ("" for other lines)

    @property
    def changed(self) -> bool:
        return self.old != self.new


@dataclass
class PatchResult:
    source: SetenvFile
    segments: list[Segment]
    appended: list[str] = field(default_factory=list)  # labels of the settings added at the end
    found: dict[str, list[int]] = field(default_factory=dict)  # label → lines that set it in the upload
    mentions: dict[str, list[int]] = field(default_factory=dict)  # label → other lines naming it, unchanged
    warnings: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(s.new for s in self.segments)

    @property
    def original(self) -> str:
        return "".join(s.old for s in self.segments)

    def content(self) -> bytes:
        return self.source.encode(self.text)

    @property
    def changed_lines(self) -> list[int]:
        return [s.line for s in self.segments if s.line and s.changed]

    @property
    def unchanged(self) -> bool:
        return not any(s.changed for s in self.segments)

    def diff(self, filename: str) -> list[str]:
        before = [body_and_ending(line)[0] for line in split_lines(self.original)]
        after = [body_and_ending(line)[0] for line in split_lines(self.text)]
        return list(difflib.unified_diff(before, after, f"{filename} (uploaded)", f"{filename} (for this server)",
                                         n=2, lineterm=""))

    @property
    def line_endings(self) -> str:
        endings = {body_and_ending(line)[1] for line in split_lines(self.original)} - {""}
        return " and ".join(sorted({"\n": "LF", "\r\n": "CRLF"}[e] for e in endings)) or "none"


# Recognising assignments. A line is edited only in a form whose extent the console is sure of.

NAME_CHARS = r"[A-Za-z_][A-Za-z0-9_]*"
SH_VAR_REF = r"\$(?:" + NAME_CHARS + r"|\{" + NAME_CHARS + r"\})"
SH_WORD = (r"(?:'[^']*'|\"(?:[^\"\\`$]|\\.|" + SH_VAR_REF + r")*\"|[^\s'\"\\`$;&|<>()#]|\\.|" + SH_VAR_REF + ")*")
# A trailing comment needs a blank before #: in "A=b#c" the # is part of the value.
SH_TAIL = r"(?P<tail>(?:[ \t]+#.*|[ \t]*))"
SH_DQ_BODY = r"(?:[^\"\\`$]|\\.|" + SH_VAR_REF + ")*"
SH_DQ_VALUE = r"(?:[^\s\"\\`$]|\\.|" + SH_VAR_REF + ")*"


def sh_env_pattern(name: str) -> re.Pattern:
    return re.compile(r"^(?P<lead>[ \t]*(?:export[ \t]+)?)(?P<name>" + re.escape(name) + r")=(?P<value>"
                      + SH_WORD + ")" + SH_TAIL + "$")


def sh_assigns(name: str) -> re.Pattern:
    """Any line that looks like it assigns ``name``: edited when ``sh_env_pattern`` matches, else refused."""
    return re.compile(r"^[ \t]*(?:(?:export|readonly|local|typeset|declare(?:[ \t]+-\w+)*)[ \t]+)?"
                      + re.escape(name) + "=")


SH_JAVA_LINE = {
    '"': re.compile(r"^(?P<lead>[ \t]*(?:export[ \t]+)?" + NAME_CHARS + r"=)\"(?P<body>" + SH_DQ_BODY + r")\""
                    + SH_TAIL + "$"),
    "'": re.compile(r"^(?P<lead>[ \t]*(?:export[ \t]+)?" + NAME_CHARS + r"=)'(?P<body>[^']*)'" + SH_TAIL + "$"),
}


def sh_java_token(name: str, quote: str) -> re.Pattern:
    value = SH_DQ_VALUE if quote == '"' else r"[^\s']*"
    return re.compile(r"(?<!\S)-D" + re.escape(name) + "=(?P<value>" + value + r")(?!\S)")


def sh_quoted_body(value: str, quote: str) -> str:
    return sh_double_quoted_body(value) if quote == '"' else value.replace("'", "'\"'\"'")


BAT_ENV_BARE = r"(?P<value>(?:[^&|<>\"^\r]|\^.)*)"


def bat_env_pattern(name: str) -> re.Pattern:
    return re.compile(r"^(?P<lead>[ \t]*@?set[ \t]+)(?P<name>" + re.escape(name) + ")=" + BAT_ENV_BARE + "$",
                      re.IGNORECASE)


def bat_env_quoted_pattern(name: str) -> re.Pattern:
    return re.compile(r"^(?P<lead>[ \t]*@?set[ \t]+)\"(?P<name>" + re.escape(name) + r")=(?P<value>[^\"]*)\""
                      r"(?P<tail>[ \t]*)$", re.IGNORECASE)


def bat_assigns(name: str) -> re.Pattern:
    return re.compile(r"^[ \t]*@?set[ \t]+\"?" + re.escape(name) + "=", re.IGNORECASE)


BAT_JAVA_LINE = re.compile(r"^(?P<lead>[ \t]*@?set[ \t]+" + NAME_CHARS + r"=)(?P<body>(?:\"[^\"]*\"|[^\"&|<>()^])*)$",
                           re.IGNORECASE)
BAT_JAVA_QUOTED_LINE = re.compile(r"^(?P<lead>[ \t]*@?set[ \t]+\")(?P<var>" + NAME_CHARS + r")=(?P<body>[^\"]*)\""
                                  r"(?P<tail>[ \t]*)$", re.IGNORECASE)


BAT_ARGUMENT = re.compile(r'(?:"[^"]*"|[^\s"])+')


def bat_replace_option(body: str, name: str, option: str) -> tuple[str, int]:
    """``body`` with each argument ``-Dname=…`` or ``"-Dname=…"`` replaced by ``option``, and how many
    were. -1 when the option sits inside a longer quoted argument, where it cannot be replaced alone."""
    prefix = f"-D{name}="
    count = 0

    def replace(match: re.Match) -> str:
        nonlocal count
        argument = match[0]
        alone = argument.startswith(prefix) and '"' not in argument
        quoted_alone = argument.startswith('"' + prefix) and argument.endswith('"') and argument.count('"') == 2
        if alone or quoted_alone:
            count += 1 if count >= 0 else 0
            return option
        if prefix in argument:
            count = -1
        return argument

    new_body = BAT_ARGUMENT.sub(replace, body)
    return new_body, count


class Patcher:
    """One patch run: the upload's lines, the settings, and what was found where."""

    def __init__(self, source: SetenvFile, settings: list[SetenvLine], *, application: str):
        self.source = source
        self.settings = settings
        self.application = application
        self.lines = split_lines(source.text)
        if source.kind == SH:
            self.starts, self.ends_at_top = sh_line_starts(source.text)
        else:
            self.starts, self.ends_at_top = bat_line_starts(self.lines)
        self.delayed_expansion = source.kind == BAT and re.search(r"enabledelayedexpansion", source.text, re.I)
        self.java_variable = ""

    def refuse(self, number: int, setting: SetenvLine, why: str) -> None:
        raise SetenvRefused(f"Line {number} sets {setting.label} {why}: the console does not edit such a line. "
                            "Change it by hand, or write it as a plain assignment and upload the file again.")

    def check_value(self, setting: SetenvLine) -> None:
        # Under delayed expansion cmd expands !NAME! and, on a line holding a !, takes ^ as an escape even
        # inside quotes: neither character can be written exactly.
        found = [ch for ch in "!^" if ch in setting.value]
        if self.delayed_expansion and found:
            raise SetenvRefused(f"The value of {setting.label} contains {' and '.join(found)}, which this setenv.bat "
                                "would act on (it enables delayed expansion): it cannot be written exactly.")

    def run(self) -> PatchResult:
        for setting in self.settings:
            self.check_value(setting)
        segments = [Segment(old=line, new=line, line=number) for number, line in enumerate(self.lines, start=1)]
        result = PatchResult(source=self.source, segments=segments)
        for setting in self.settings:
            for index, segment in enumerate(segments):
                body, ending = body_and_ending(segment.new)
                if not self.starts[index]:
                    # Inside a multi-line string, a here-document or a continued line: data, not a command.
                    if mentions(body, setting):
                        result.mentions.setdefault(setting.label, []).append(segment.line)
                    continue
                new_body = self.set_in_line(body, setting, segment.line)
                if new_body is not None:
                    result.found.setdefault(setting.label, []).append(segment.line)
                    segments[index] = Segment(old=segment.old, new=new_body + ending, line=segment.line,
                                              setting=setting.label)
                elif mentions(body, setting):
                    result.mentions.setdefault(setting.label, []).append(segment.line)
        if self.source.kind == SH and "\r\n" in self.source.text:
            result.warnings.append(
                "This setenv.sh has Windows (CRLF) line endings: bash reads a carriage return at the end of each "
                "value. They are kept as uploaded; convert the file (dos2unix) if the server reads wrong values.")
        missing = [s for s in self.settings if s.label not in result.found]
        if missing:
            if not self.ends_at_top:
                raise SetenvRefused(
                    "The file ends inside a quoted string, a here-document or a continued line: the console cannot "
                    f"add the missing settings ({', '.join(s.label for s in missing)}) after it safely.")
            result.appended = [s.label for s in missing]
            segments.append(Segment(old="", new=self.block(missing)))
        return result

    # One line

    def set_in_line(self, body: str, setting: SetenvLine, number: int) -> str | None:
        """The line with ``setting`` set, None when the line does not set it; refuses a form it cannot edit."""
        if self.source.kind == SH:
            return self.sh_env(body, setting, number) if setting.kind == ENV else self.sh_java(body, setting, number)
        return self.bat_env(body, setting, number) if setting.kind == ENV else self.bat_java(body, setting, number)

    def sh_env(self, body: str, setting: SetenvLine, number: int) -> str | None:
        match = sh_env_pattern(setting.name).match(body)
        if match:
            return (match["lead"] + match["name"] + "=" + sh_single_quote(setting.value) + match["tail"])
        if sh_assigns(setting.name).match(body):
            self.refuse(number, setting, "with a command, a second command or a declaration keyword")
        return None

    def sh_java(self, body: str, setting: SetenvLine, number: int) -> str | None:
        if f"-D{setting.name}=" not in body:
            return None
        for quote, pattern in SH_JAVA_LINE.items():
            match = pattern.match(body)
            if match is None:
                continue
            token = sh_java_token(setting.name, quote)
            if not token.search(match["body"]):
                break
            replacement = f"-D{setting.name}={sh_quoted_body(setting.value, quote)}"
            new_body = token.sub(lambda _m, text=replacement: text, match["body"])
            self.java_variable = self.java_variable or match["lead"].strip().removeprefix("export").strip()[:-1]
            return match["lead"] + quote + new_body + quote + match["tail"]
        self.refuse(number, setting, "outside a plain VARIABLE=\"… -Dname=value …\" assignment")
        return None

    def bat_env(self, body: str, setting: SetenvLine, number: int) -> str | None:
        match = bat_env_pattern(setting.name).match(body)
        if match:
            return match["lead"] + match["name"] + "=" + bat_escape(setting.value)
        match = bat_env_quoted_pattern(setting.name).match(body)
        if match:
            if '"' in setting.value:
                self.refuse(number, setting, 'inside set "…", where a value with " cannot be written')
            return match["lead"] + '"' + match["name"] + "=" + setting.value.replace("%", "%%") + '"' + match["tail"]
        if bat_assigns(setting.name).match(body):
            self.refuse(number, setting, "together with another command (& | < > or an unbalanced quote)")
        return None

    def bat_java(self, body: str, setting: SetenvLine, number: int) -> str | None:
        prefix = f"-D{setting.name}="
        if prefix not in body:
            return None
        match = BAT_JAVA_LINE.match(body)
        if match and prefix not in match["lead"]:
            new_body, count = bat_replace_option(match["body"], setting.name,
                                                 bat_java_option(setting.name, setting.value))
            if count > 0:
                self.java_variable = self.java_variable or match["lead"].split()[-1].split("=")[0]
                return match["lead"] + new_body
        match = BAT_JAVA_QUOTED_LINE.match(body)
        if match and any(word.startswith(prefix) for word in match["body"].split()):
            if any(ch.isspace() for ch in setting.value):
                self.refuse(number, setting, 'inside set "…", where a value with spaces would split into two options')
            option = f"{prefix}{setting.value}".replace("%", "%%")
            words = [option if word.startswith(prefix) else word for word in re.split(r"(\s+)", match["body"])]
            self.java_variable = self.java_variable or match["var"]
            return match["lead"] + match["var"] + "=" + "".join(words) + '"' + match["tail"]
        self.refuse(number, setting, "outside a plain set VARIABLE=… -Dname=value … line")
        return None

    # The added block

    def newline(self) -> str:
        for line in self.lines:
            ending = body_and_ending(line)[1]
            if ending:
                return ending
        return "\r\n" if self.source.kind == BAT else "\n"

    def block(self, missing: list[SetenvLine]) -> str:
        variable = self.java_variable or JAVA_OPTS
        intro = (f"Added for {self.application}: the settings below were not found in this file. Check that your "
                 "release reads these names.")
        if self.source.kind == SH:
            lines = ["", sh_comment(MARK_BEGIN), sh_comment(intro)]
            for setting in missing:
                lines.append(sh_comment(setting.purpose))
                lines.append(sh_env_line(setting.name, setting.value) if setting.kind == ENV
                             else sh_java_line(setting.name, setting.value, variable))
            if any(s.kind == JAVA for s in missing):
                lines.append(f"export {variable}")
            lines.append(sh_comment(MARK_END))
        else:
            lines = ["", bat_comment(MARK_BEGIN), bat_comment(intro)]
            for setting in missing:
                lines.append(bat_comment(setting.purpose))
                lines.append(bat_env_line(setting.name, setting.value) if setting.kind == ENV
                             else bat_java_line(setting.name, setting.value, variable))
            lines.append(bat_comment(MARK_END))
        newline = self.newline()
        if self.lines and not body_and_ending(self.lines[-1])[1]:
            # The upload has no final newline: the block starts on a new line and keeps that style.
            return newline + newline.join(lines)
        return newline.join(lines) + newline


def mentions(body: str, setting: SetenvLine) -> bool:
    if setting.kind == JAVA:
        return f"-D{setting.name}=" in body
    return re.search(r"(?<![A-Za-z0-9_])" + re.escape(setting.name) + r"(?![A-Za-z0-9_])", body, re.I) is not None


def patch_setenv(source: SetenvFile, req: SetenvRequest) -> PatchResult:
    """``source`` with every setting of ``req`` set in place or appended; ``SetenvRefused`` when it
    cannot be done exactly (the message names the line or the value)."""
    check(req, source.kind)
    return Patcher(source, setenv_lines(req), application=req.application_name).run()
