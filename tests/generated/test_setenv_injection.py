"""Generated setenv.sh / setenv.bat cannot carry a command, whatever the database holds (issue 17.1).

Every field that reaches the files (application name, label, server directory, Configuration Server
name and host address, port ID, trusted-ca, the section holder's name) takes arbitrary text. The
renderer either refuses (only for a value it cannot write exactly) or writes a file that:
- setenv.sh: passes the real ``bash -n``, and sourced by the real bash in an empty environment
  defines exactly CONFIG_SERVER_HOST/PORT/APP and JAVA_OPTS with exactly the intended values, runs
  only those assignments and exports, and writes nothing to stderr;
- setenv.bat: in the cmd model (``cmd_model``), every line is a comment or exactly one ``set`` of
  an intended variable, the variables end with the intended values, and ``java %JAVA_OPTS%`` gets
  exactly the intended ``-D`` options, one argument each.
"""

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from applications.names import unsafe_characters
from applications.paths import path_problem
from security.setenv import (
    ENV,
    JAVA,
    SetenvRefused,
    SetenvRequest,
    render_bat,
    render_sh,
    setenv_lines,
)
from tests.generated import cmd_model
from tests.generated.bash_run import source_file, syntax_ok

# Text a shell or cmd.exe would act on, quotes, and anything else; now and then a line break of any
# kind or another control character (a value the renderer must refuse). Mostly without those, so most
# examples render a file and exercise the escaping.
ACTIVE = list("$`\\\"'!;&|<>()%^*?~#{}[]= ,:/.-_aZ09") + ["$(", "%%", "^^", "\\\"", "é", "東", "\u00a0"]
UNSAFE = ["\n", "\r", "\t", "\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1b", "\x7f", "\x00", "\u200b", "\u202e"]
printable = st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Zl", "Zp"))
active = st.lists(st.sampled_from(ACTIVE), min_size=1, max_size=12).map("".join)
anything = st.lists(st.sampled_from(ACTIVE + UNSAFE), max_size=8).map("".join)
# Comments take anything (they are sanitised); values mostly what can be written, sometimes not.
comment = st.one_of(active, st.text(max_size=16), anything)
value = st.one_of(active, active, active, st.text(alphabet=printable, min_size=1, max_size=16), anything)
path_like = st.one_of(value, st.builds(lambda a, b: f"/opt/{a}/{b}.pem", active, active),
                      st.builds(lambda a, b: f"/opt/{a}/{b}.jks", active, active),
                      st.builds(lambda a, b: f"C:\\GCTI\\{a}\\{b}.jks", active, active))

requests = st.builds(
    SetenvRequest,
    application_name=value,
    application_label=comment,
    config_server_name=comment,
    config_host=value,
    config_port=st.integers(min_value=1, max_value=65535),
    port_id=comment,
    mutual_tls=st.booleans(),
    provider=st.sampled_from(["", "PEM", "JKS", "JKS", "PEM", "MSCAPI"]),
    trusted_ca=path_like,
    section_holder=comment,
    host_os=st.sampled_from([None, None, "linux", "windows", "aix"]),
    host_name=comment,
    server_directory=st.one_of(path_like, comment),
)

SLOW = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def refusal_is_justified(req: SetenvRequest, kind: str) -> bool:
    """The only reasons a file may be refused: a value it cannot write exactly."""
    for line in setenv_lines(req):
        if unsafe_characters(line.value) or (line.kind == ENV and not line.value):
            return True
        if kind == "bat" and line.kind == JAVA and '"' in line.value:
            return True
    return bool(req.provider in ("PEM", "JKS") and req.trusted_ca and req.host_os
                and path_problem(req.trusted_ca, req.host_os))


def intended(req: SetenvRequest) -> tuple[dict[str, str], list[str]]:
    env = {line.name: line.value for line in setenv_lines(req) if line.kind == ENV}
    options = [f"-D{line.name}={line.value}" for line in setenv_lines(req) if line.kind == JAVA]
    return env, options


@given(requests)
@SLOW
def test_setenv_sh_defines_exactly_the_intended_variables_and_runs_nothing_else(req):
    try:
        sh = render_sh(req)
    except SetenvRefused:
        assert refusal_is_justified(req, "sh")
        return
    env, options = intended(req)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "setenv.sh"
        path.write_bytes(sh.encode("utf-8"))
        ok, errors = syntax_ok(path)
        assert ok, errors
        sourced = source_file(path)
    assert sourced.stderr == "" and sourced.returncode == 0
    assert sourced.variables == {**env, "JAVA_OPTS": "".join(f" {option}" for option in options)}
    allowed = {f"export {name}=" for name in env} | {'JAVA_OPTS="$JAVA_OPTS -D', "export JAVA_OPTS"}
    for command in sourced.commands:
        assert any(command.startswith(prefix) for prefix in allowed), command


@given(requests)
@settings(max_examples=800, deadline=None)
def test_setenv_bat_sets_exactly_the_intended_variables_in_the_cmd_model(req):
    try:
        bat = render_bat(req)
    except SetenvRefused:
        assert refusal_is_justified(req, "bat")
        return
    env, options = intended(req)
    result, assigned = cmd_model.run_batch(bat)
    assert set(assigned) == {name.upper() for name in env} | {"JAVA_OPTS"}
    for name, value in env.items():
        assert result[name] == value
    assert cmd_model.command("java %JAVA_OPTS% Main", result) == ["java", *options, "Main"]


def test_the_attack_of_the_issue_is_written_as_data(tmp_path):
    """An application name with a line break ended a # comment and ran the rest; a trusted-ca with "
    closed the quoting of setenv.bat and & started a command."""
    attack = SetenvRequest(application_name="CB_Node\ntouch /tmp/pwned", application_label="x",
                           config_server_name="CS", config_host="10.0.0.5", config_port=2021, port_id="secure",
                           provider="PEM", trusted_ca='C:\\certs\\ca.pem" & calc.exe & "', host_os=None)
    with pytest.raises(SetenvRefused, match="CONFIG_SERVER_APP contains control or invisible characters"):
        render_sh(attack)
    quoted_path = SetenvRequest(**{**attack.__dict__, "application_name": "CB_Node"})
    with pytest.raises(SetenvRefused, match='contains ", which setenv.bat cannot pass'):
        render_bat(quoted_path)
    sh = render_sh(quoted_path)
    (tmp_path / "setenv.sh").write_text(sh)
    sourced = source_file(tmp_path / "setenv.sh")
    assert sourced.variables["JAVA_OPTS"].endswith('-Dcom.genesyslab.platform.commons.connection.tls.trusted-ca='
                                                   'C:\\certs\\ca.pem" & calc.exe & "')
    assert all(not c.startswith(("calc", "touch")) for c in sourced.commands)


def test_the_cmd_model_catches_what_cmd_would_run():
    """The model is only worth its verdicts if it refuses what cmd.exe would execute."""
    for line in ("set A=x & calc", "set A=x | calc", "set A=x > out", "set A=(x)", "set A=x^", "set A=%1",
                 "calc", "set A=%~dp0", "REM x & calc", "REM 100%"):
        with pytest.raises(cmd_model.CmdModelError):
            cmd_model.run_line(line, {})
    env = {}
    cmd_model.run_line("set A=x ^& y ^| z %% ^^", env)
    cmd_model.run_line('set "B=a & b"', env)
    cmd_model.run_line('set C="a & b"', env)
    cmd_model.run_line("set D=%C% and %UNDEFINED%!", env)
    assert env == {"A": "x & y | z % ^", "B": "a & b", "C": '"a & b"', "D": '"a & b" and !'}
    with pytest.raises(cmd_model.CmdModelError):
        cmd_model.run_line("set E=%A%", env)  # an expanded & is as live as a typed one: why options are quoted
    assert cmd_model.command('java "-Da=b c" -Dd=e "C:\\x\\\\" x') == ["java", "-Da=b c", "-Dd=e", "C:\\x\\", "x"]
