"""setenv the operator can stand behind (issue 10.6): their own file, only the connection and TLS lines set.

The properties: the patched file minus the changed and added lines is the uploaded file, byte for
byte, for LF, CRLF and mixed files, with or without a final newline or a byte order mark; a changed
line is an assignment of one of the settings; and the patched file, run by the real bash (or the cmd
model), sets exactly the intended values while every other line does what it did before.
"""

import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from security.setenv import PASSWORD_PLACEHOLDER, TLS_PROPERTY_PREFIX, SetenvRefused, SetenvRequest
from security.setenv_patch import (
    MARK_BEGIN,
    MARK_END,
    MAX_BYTES,
    SetenvFileError,
    patch_setenv,
    read_setenv,
)
from tests.generated import cmd_model
from tests.generated.bash_run import source_file, syntax_ok
from tests.generated.test_setenv_injection import active

P = TLS_PROPERTY_PREFIX
BOM = b"\xef\xbb\xbf"
SETTING_NAMES = ("CONFIG_SERVER_HOST", "CONFIG_SERVER_PORT", "CONFIG_SERVER_APP")


def request(**overrides) -> SetenvRequest:
    values = {"application_name": "CB_Node_A", "application_label": "Co-browse Node 8.5.003.04",
              "config_server_name": "ConfigServer", "config_host": "10.0.0.5", "config_port": 2021,
              "port_id": "secure", "provider": "JKS", "trusted_ca": "/opt/genesys/certs/truststore.jks",
              "section_holder": "CB_Node_A", "host_os": "linux", "host_name": "cb-linux-01"}
    values.update(overrides)
    return SetenvRequest(**values)


def lines_of(data: bytes) -> list[bytes]:
    return re.findall(rb"[^\n]*\n|[^\n]+$", data)


def assert_only_settings_changed(uploaded: bytes, result) -> None:
    """The property, checked on the bytes and not on the patcher's own account of them."""
    patched = result.content()
    assert patched.startswith(BOM) == uploaded.startswith(BOM)
    before, after = lines_of(uploaded.removeprefix(BOM)), lines_of(patched.removeprefix(BOM))
    k = len(before)
    changed = set(result.changed_lines)
    appended = bool(result.appended)
    differing = set()
    block_newline = b"\r\n" if appended and result.segments[-1].new.startswith("\r\n") else b"\n"
    for number, (old, new) in enumerate(zip(before, after[:k], strict=True), start=1):
        if number == k and appended and not old.endswith(b"\n"):
            # No final newline in the upload: the added block starts on the next line.
            assert new.endswith(block_newline)
            new = new[: -len(block_newline)]
            after[k - 1] = new
        if old != new:
            differing.add(number)
            assert old.endswith(b"\r\n") == new.endswith(b"\r\n") and old.endswith(b"\n") == new.endswith(b"\n")
    assert differing == changed - {n for n in changed if before[n - 1] == after[n - 1]}
    for number in changed:
        line = before[number - 1].decode("utf-8", "replace")
        assert any(re.search(rf"\b{name}=", line, re.I) for name in SETTING_NAMES) or f"-D{P}" in line, line
    kept_before = [line for n, line in enumerate(before, start=1) if n not in changed]
    kept_after = [line for n, line in enumerate(after[:k], start=1) if n not in changed]
    assert kept_after == kept_before
    block = after[k:]
    if appended:
        text = [line.decode() for line in block]
        assert text[0].strip() == "" and MARK_BEGIN in text[1] and MARK_END in text[-1]
    else:
        assert block == []


# Any file: the bytes outside the settings' lines never change.

any_line = st.one_of(
    st.text(alphabet=st.characters(blacklist_characters="\n\x00", blacklist_categories=("Cs",)), max_size=30),
    st.sampled_from([
        "export CONFIG_SERVER_HOST=localhost", "CONFIG_SERVER_PORT=\"2020\"  # the port", "export FOO=bar",
        f'JAVA_OPTS="$JAVA_OPTS -Xmx1g -D{P}enabled=false"', f"JAVA_OPTS='-D{P}provider=PEM'",
        "# CONFIG_SERVER_APP is read by the server", "MSG='two", "lines'", "cat <<EOF", "CONFIG_SERVER_APP=x", "EOF",
        "set CONFIG_SERVER_HOST=localhost", 'set "CONFIG_SERVER_PORT=2020"',
        f"set JAVA_OPTS=%JAVA_OPTS% -D{P}enabled=no",
        "REM comment", "", "   ", "\tindented=1", "é東 \u2028 text", "\x0c", "\r",
    ]),
)


@st.composite
def uploads(draw, kind):
    lines = draw(st.lists(any_line, max_size=25))
    style = draw(st.sampled_from(["\n", "\r\n", "mixed"]))
    endings = [draw(st.sampled_from(["\n", "\r\n"])) if style == "mixed" else style for _ in lines]
    final = draw(st.booleans())
    text = "".join(line + ending for line, ending in zip(lines, endings, strict=True))
    if lines and not final:
        text = text[: -len(endings[-1])]
    bom = draw(st.booleans())
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    assume(text.strip())
    return data


@pytest.mark.parametrize("kind", ["sh", "bat"])
@given(data=st.data())
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_patched_file_minus_the_changed_and_added_lines_is_the_upload(kind, data):
    uploaded = data.draw(uploads(kind))
    req = request(application_name=data.draw(active), trusted_ca=data.draw(st.sampled_from(
        ["/opt/genesys/certs/truststore.jks", "/opt/a b/$x`y`.jks"])), host_os=None)
    try:
        result = patch_setenv(read_setenv(uploaded, kind), req)
    except SetenvRefused as refused:
        assert re.match(r"(Line \d+ sets |The file ends inside |The value of )", str(refused)), str(refused)
        return
    assert_only_settings_changed(uploaded, result)
    assert result.original == read_setenv(uploaded, kind).text


@pytest.mark.parametrize("ending", ["\n", "\r\n"])
def test_a_release_file_keeps_every_other_byte_and_its_line_endings(ending):
    release = ending.join([
        "#!/bin/sh", "# Genesys Co-browse server environment", "export CONFIG_SERVER_HOST=localhost   # the host",
        'CONFIG_SERVER_PORT="2020"', f'JAVA_OPTS="$JAVA_OPTS -Xmx1g -D{P}enabled=false"', "export JAVA_OPTS", "",
    ]).encode()
    result = patch_setenv(read_setenv(release, "sh"), request())
    assert_only_settings_changed(release, result)
    patched = result.content().decode()
    assert f"export CONFIG_SERVER_HOST=10.0.0.5   # the host{ending}" in patched
    assert f"CONFIG_SERVER_PORT=2021{ending}" in patched
    assert f'JAVA_OPTS="$JAVA_OPTS -Xmx1g -D{P}enabled=true"{ending}' in patched
    assert result.found == {"CONFIG_SERVER_HOST": [3], "CONFIG_SERVER_PORT": [4], f"-D{P}enabled": [5]}
    assert result.appended == ["CONFIG_SERVER_APP", f"-D{P}provider", f"-D{P}trusted-ca", f"-D{P}truststore-password"]
    assert (ending == "\r\n") == bool(result.warnings)  # a setenv.sh with CRLF is warned about
    assert patched.count("\r\n") == (patched.count("\n") if ending == "\r\n" else 0)


def test_a_byte_order_mark_and_a_missing_final_newline_are_kept():
    uploaded = b"\xef\xbb\xbfset CONFIG_SERVER_HOST=old\r\nREM no newline at the end"
    result = patch_setenv(read_setenv(uploaded, "bat"), request(host_os="windows",
                                                                trusted_ca="C:\\GCTI\\truststore.jks"))
    content = result.content()
    assert content.startswith(b"\xef\xbb\xbfset CONFIG_SERVER_HOST=10.0.0.5\r\nREM no newline at the end\r\n\r\nREM ")
    assert not content.endswith(b"\n")
    assert_only_settings_changed(uploaded, result)


def test_a_file_that_already_sets_every_value_is_unchanged():
    first = patch_setenv(read_setenv(b"# release\n", "sh"), request())
    again = patch_setenv(read_setenv(first.content(), "sh"), request())
    assert again.unchanged and again.content() == first.content() and again.appended == []


# What the patched file does, run by the real bash / the cmd model.

RELEASE_SH = [
    "#!/bin/sh", "# Co-browse server settings", "export JETTY_HOME=/opt/genesys/jetty", 'LOG_DIR="$JETTY_HOME/logs"',
    "export CONFIG_SERVER_HOST=localhost", "CONFIG_SERVER_PORT=2020  # plain port", "export CONFIG_SERVER_PORT",
    f'JAVA_OPTS="$JAVA_OPTS -Xmx1g -D{P}enabled=false -Dfile.encoding=UTF-8"', "export JAVA_OPTS",
    "NOTE='CONFIG_SERVER_APP=not me", "export CONFIG_SERVER_APP=still in the string'",
    "cat >/dev/null <<EOF", "CONFIG_SERVER_HOST=inside a here-document", "EOF",
    'describe() { echo "CONFIG_SERVER_HOST=$CONFIG_SERVER_HOST"; }',
]


@given(name=active, host=active, ca=st.builds(lambda a: f"/opt/{a}/ca.pem", active),
       keep=st.lists(st.booleans(), min_size=len(RELEASE_SH), max_size=len(RELEASE_SH)))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_patched_sh_sets_the_intended_values_and_leaves_the_rest_as_it_was(name, host, ca, keep):
    lines = [line for line, kept in zip(RELEASE_SH, keep, strict=True) if kept or "<<" in line or "EOF" == line
             or "NOTE=" in line or "still in the string" in line]
    uploaded = ("\n".join(lines) + "\n").encode()
    req = request(application_name=name, config_host=host, provider="PEM", trusted_ca=ca, host_os=None)
    result = patch_setenv(read_setenv(uploaded, "sh"), req)
    assert_only_settings_changed(uploaded, result)
    with tempfile.TemporaryDirectory() as tmp:
        before, after = Path(tmp) / "before.sh", Path(tmp) / "after.sh"
        before.write_bytes(uploaded)
        after.write_bytes(result.content())
        assert syntax_ok(after)[0]
        was, now = source_file(before), source_file(after)
    assert now.stderr == was.stderr == ""
    expected = {"CONFIG_SERVER_HOST": host, "CONFIG_SERVER_PORT": "2021", "CONFIG_SERVER_APP": name}
    for variable, value in expected.items():
        assert now.variables[variable] == value
    options = now.variables["JAVA_OPTS"]
    assert f"-D{P}enabled=true" in options and f"-D{P}provider=PEM" in options and f"-D{P}trusted-ca={ca}" in options
    assert f"-D{P}enabled=false" not in options
    untouched = {k: v for k, v in was.variables.items() if k not in expected and k != "JAVA_OPTS"}
    assert {k: now.variables.get(k) for k in untouched} == untouched
    new_commands = [c for c in now.commands if c not in was.commands]
    for command in new_commands:
        assert re.match(r"(export )?(CONFIG_SERVER_\w+|JAVA_OPTS)(=|$)", command), command


RELEASE_BAT = ["@REM Co-browse server settings", "set JETTY_HOME=C:\\GCTI\\jetty", "set CONFIG_SERVER_HOST=localhost",
               'set "CONFIG_SERVER_PORT=2020"', f"set JAVA_OPTS=%JAVA_OPTS% -Xmx1g -D{P}enabled=false", "",
               "REM CONFIG_SERVER_APP is the application name"]


@given(name=active, host=active, ca=st.builds(lambda a: f"C:\\GCTI\\{a}\\ca.jks", active))
@settings(max_examples=300, deadline=None)
def test_the_patched_bat_sets_the_intended_values_in_the_cmd_model(name, host, ca):
    uploaded = "\r\n".join(RELEASE_BAT).encode() + b"\r\n"
    req = request(application_name=name, config_host=host, trusted_ca=ca, host_os=None)
    try:
        result = patch_setenv(read_setenv(uploaded, "bat"), req)
    except SetenvRefused as refused:
        assert '"' in ca or "contains ," in str(refused) or '"' in str(refused), str(refused)
        return
    assert_only_settings_changed(uploaded, result)
    text = result.content().decode().replace("@REM", "REM")
    env, _assigned = cmd_model.run_batch(text)
    assert env["CONFIG_SERVER_HOST"] == host and env["CONFIG_SERVER_PORT"] == "2021"
    assert env["CONFIG_SERVER_APP"] == name and env["JETTY_HOME"] == "C:\\GCTI\\jetty"
    java = cmd_model.command("java %JAVA_OPTS% Main", env)
    assert java == ["java", "-Xmx1g", f"-D{P}enabled=true", f"-D{P}provider=JKS", f"-D{P}trusted-ca={ca}",
                    f"-D{P}truststore-password={PASSWORD_PLACEHOLDER}", "Main"]


# Lines the console does not edit, and uploads it cannot read.


@pytest.mark.parametrize(("kind", "line", "why"), [
    ("sh", "export CONFIG_SERVER_HOST=$(hostname)", "with a command, a second command"),
    ("sh", "CONFIG_SERVER_HOST=a; rm -rf /", "with a command, a second command"),
    ("sh", "readonly CONFIG_SERVER_HOST=a", "with a command, a second command"),
    ("sh", "CONFIG_SERVER_HOST=a#b", "with a command, a second command"),
    ("sh", f"java -D{P}enabled=false Main", 'outside a plain VARIABLE="'),
    ("bat", "set CONFIG_SERVER_HOST=a & calc", "together with another command"),
    ("bat", "set CONFIG_SERVER_HOST=a^", "together with another command"),
    ("bat", f'set JAVA_OPTS="-Xmx1g -D{P}enabled=false"', "outside a plain set VARIABLE="),
])
def test_a_line_the_console_cannot_edit_safely_is_refused_with_its_number(kind, line, why):
    uploaded = f"REM first\n{line}\n".encode() if kind == "bat" else f"# first\n{line}\n".encode()
    with pytest.raises(SetenvRefused, match=rf"^Line 2 sets .* {re.escape(why)}"):
        patch_setenv(read_setenv(uploaded, kind), request(host_os=None))


def test_a_file_ending_inside_a_string_gets_nothing_appended():
    with pytest.raises(SetenvRefused, match="The file ends inside a quoted string"):
        patch_setenv(read_setenv(b"MSG='never closed\n", "sh"), request())


def test_under_delayed_expansion_a_value_with_an_exclamation_mark_is_refused():
    uploaded = b"setlocal EnableDelayedExpansion\r\nset CONFIG_SERVER_APP=x\r\n"
    with pytest.raises(SetenvRefused, match="CONFIG_SERVER_APP contains !"):
        patch_setenv(read_setenv(uploaded, "bat"), request(application_name="CB!Node", host_os="windows",
                                                            trusted_ca="C:\\t.jks"))


@pytest.mark.parametrize(("data", "message"), [
    (b"", "The file is empty."),
    (b"\x00\x01binary", "binary data"),
    ("export A=1\n".encode("utf-16"), "UTF-16 text"),
    ("export A=caf\xe9\n# ok\n".encode("latin-1"), "Line 1 is not UTF-8 text"),
    (b"#" * (MAX_BYTES + 1), f"at most {MAX_BYTES:,} bytes"),
])
def test_an_upload_that_is_not_a_setenv_text_file_gets_a_clear_error(data, message):
    with pytest.raises(SetenvFileError, match=re.escape(message)):
        read_setenv(data, "sh")
