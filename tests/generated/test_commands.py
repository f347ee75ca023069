"""The keytool, certutil and PowerShell lines shown for a store carry no command, whatever its name or path.

keytool on a Linux/Unix host runs in the real bash with ``keytool`` replaced by a function that
prints its arguments; the Windows lines go through the cmd model and a model of PowerShell's
single-quoted strings. Each line is exactly one command with exactly the intended arguments, or
the value is refused (and only for a reason the module documents).
"""

import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from applications.names import unsafe_characters
from applications.paths import UNIX, WINDOWS
from security.commands import CommandRefused, keytool_list, mscapi_commands
from security.models import TrustedStore
from security.stores import base_filename
from tests.generated import cmd_model
from tests.generated.bash_run import BASH
from tests.generated.test_setenv_injection import ACTIVE, UNSAFE

# PowerShell reads any of these as a single quote (its own list, kept apart from the code under test).
PS_QUOTES = "'\u2018\u2019\u201a\u201b"
text = st.one_of(st.lists(st.sampled_from(ACTIVE + ["‘", "’", "‚", "‛"]), min_size=1, max_size=14).map("".join),
                 st.text(min_size=1, max_size=14),
                 st.lists(st.sampled_from(ACTIVE + UNSAFE), min_size=1, max_size=8).map("".join))


def bash_argv(line: str) -> tuple[list[str], str]:
    """Run ``line`` in bash with keytool as a function; its arguments and anything else that ran."""
    script = ('keytool() { printf "%s\\0" "$@"; }\n__log() { printf "%s\\0" "$BASH_COMMAND" >&2; }\n'
              "set -T\ntrap __log DEBUG\n" + line + "\n")
    result = subprocess.run(["env", "-i", BASH, "--noprofile", "--norc", "-c", script], capture_output=True,
                            timeout=20)
    commands = [c for c in result.stderr.decode("utf-8", "surrogateescape").split("\0") if c]
    return [a.decode("utf-8", "surrogateescape") for a in result.stdout.split(b"\0")[:-1]], commands


def powershell_tokens(line: str) -> list[str]:
    """PowerShell's reading of a line of bare words and single-quoted strings; anything that could
    start an expression, a pipeline or a second statement outside quotes is refused."""
    tokens, i = [], 0
    while i < len(line):
        ch = line[i]
        if ch == " ":
            i += 1
            continue
        if ch in PS_QUOTES:
            value, i = [], i + 1
            while True:
                if i >= len(line):
                    raise AssertionError(f"unterminated string in {line!r}")
                if line[i] in PS_QUOTES:
                    if i + 1 < len(line) and line[i + 1] in PS_QUOTES:
                        value.append(line[i + 1])
                        i += 2
                        continue
                    i += 1
                    break
                value.append(line[i])
                i += 1
            tokens.append("".join(value))
            continue
        end = line.find(" ", i)
        word = line[i:] if end < 0 else line[i:end]
        assert not set(word) & set(";|&$`(){}@#\"<>,"), f"active character outside quotes: {line!r}"
        tokens.append(word)
        i = len(line) if end < 0 else end
    return tokens


@given(text)
@settings(max_examples=120, deadline=None)
def test_keytool_on_linux_gets_exactly_the_path(path):
    try:
        line = keytool_list(path, UNIX)
    except CommandRefused:
        assert unsafe_characters(path)
        return
    arguments, commands = bash_argv(line)
    assert arguments == ["-list", "-keystore", path]
    # The line (logged again as the function is entered), then the stand-in keytool's own printf.
    assert commands[0] == line and set(commands) == {line, 'printf "%s\\0" "$@"'}


@given(text)
@settings(max_examples=600, deadline=None)
def test_keytool_on_windows_is_one_command_with_exactly_the_path(path):
    try:
        line = keytool_list(path, WINDOWS)
    except CommandRefused:
        assert unsafe_characters(path) or set(path) & set('"%!') or path.endswith("\\")
        return
    assert cmd_model.command(line) == ["keytool", "-list", "-keystore", path]


@given(text)
@settings(max_examples=600, deadline=None)
def test_certutil_and_powershell_import_exactly_the_file(name):
    try:
        commands = mscapi_commands(name)
    except CommandRefused:
        assert unsafe_characters(name) or set(name) & set('"%!') or name.endswith("\\")
        return
    assert cmd_model.command(commands["certutil"]) == ["certutil", "-addstore", "-f", "Root", name]
    assert cmd_model.command(commands["certutil_user"]) == ["certutil", "-user", "-addstore", "-f", "Root", name]
    assert powershell_tokens(commands["powershell"]) == [
        "Import-Certificate", "-FilePath", name, "-CertStoreLocation", "Cert:\\LocalMachine\\Root"]
    assert powershell_tokens(commands["powershell_user"])[2] == name


@given(text)
@settings(max_examples=300, deadline=None)
def test_an_mscapi_store_of_any_name_gets_commands_for_its_file(name):
    """The file name of an MSCAPI store comes from its name, made safe: its commands are never refused."""
    filename = base_filename(TrustedStore(name=name, provider="MSCAPI"))
    commands = mscapi_commands(filename + ".cer")
    assert cmd_model.command(commands["certutil"])[-1] == filename + ".cer"


@pytest.mark.parametrize("attack", ['ca.cer" & calc & "', "ca.cer' ; calc ; '", "ca’; calc; ‘x.cer", "%COMSPEC%.cer",
                                    "ca.cer\r\ncalc"])
def test_the_attacks_are_refused_or_quoted(attack):
    try:
        commands = mscapi_commands(attack)
    except CommandRefused:
        return
    assert cmd_model.command(commands["certutil"])[-1] == attack
    assert powershell_tokens(commands["powershell"])[2] == attack


def test_the_powershell_model_sees_an_unquoted_statement():
    with pytest.raises(AssertionError):
        powershell_tokens("Import-Certificate -FilePath 'a'; calc")
    assert powershell_tokens("x 'it''s' 'a’’b'") == ["x", "it's", "a’b"]
