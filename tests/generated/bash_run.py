"""Running generated shell text in the real bash, in a harmless environment, and seeing what it did.

``source_file`` sources a file with ``env -i`` (no inherited variables, no PATH), a DEBUG trap that
records every simple command bash runs (``set -T``: in command substitutions and subshells too), and
returns the variables the file created or changed with their exact values, the commands it ran and
what it wrote to stderr.
"""

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

BASH = shutil.which("bash") or "/bin/bash"

# Variables bash itself changes while the harness runs: not the file's doing.
BASH_OWN = {"BASH_COMMAND", "BASH_LINENO", "BASH_SOURCE", "FUNCNAME", "LINENO", "_", "BASH_ARGC", "BASH_ARGV",
            "PIPESTATUS", "RANDOM", "SECONDS", "SRANDOM", "EPOCHREALTIME", "EPOCHSECONDS", "BASHPID", "OLDPWD",
            "BASH_SUBSHELL", "HISTCMD", "COLUMNS", "LINES", "SHLVL", "BASH_REMATCH", "before", "after", "n", "cmd",
            "__log"}

HARNESS = r'''
exec 3>"$2"
before=$(compgen -v | sort)
__log() { printf '%s\0' "$BASH_COMMAND" >&3; }
set -T
trap __log DEBUG
source "$1"
trap - DEBUG
after=$(compgen -v | sort)
for n in $(comm -13 <(printf '%s\n' "$before") <(printf '%s\n' "$after")) "${@:3}"; do
  if [[ -v $n ]]; then printf '%s\0%s\0' "$n" "${!n}"; fi
done
'''


@dataclass
class Sourced:
    variables: dict[str, str]
    commands: list[str]
    stderr: str
    returncode: int


def syntax_ok(path: Path) -> tuple[bool, str]:
    result = subprocess.run([BASH, "-n", str(path)], capture_output=True, text=True, timeout=20)
    return result.returncode == 0, result.stderr


def source_file(path: Path, watch: tuple[str, ...] = ()) -> Sourced:
    """Source ``path``; ``watch`` names variables to report even if they existed before."""
    log = path.with_suffix(".log")
    result = subprocess.run(
        ["env", "-i", BASH, "--noprofile", "--norc", "-c", HARNESS, "harness", str(path), str(log), *watch],
        capture_output=True, timeout=20,
    )
    parts = result.stdout.split(b"\0")[:-1]
    variables = {parts[i].decode(): parts[i + 1].decode("utf-8", "surrogateescape") for i in range(0, len(parts), 2)}
    for name in BASH_OWN:
        variables.pop(name, None)
    commands = [c.decode("utf-8", "surrogateescape") for c in log.read_bytes().split(b"\0")[:-1]]
    # The harness's own commands around the sourced file.
    commands = [c for c in commands if c not in ('source "$1"', "trap - DEBUG")]
    return Sourced(variables, commands, result.stderr.decode("utf-8", "replace"), result.returncode)
