"""`make run` tells the newcomer that the demo's validation errors are on purpose, and still stops on a
real failure. The Makefile's own ``demo-validate`` step runs here with a stand-in for ``manage.py
validate`` that exits as the real one does (0 clean, 1 errors found, 2 could not run)."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def demo_validate(script: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "-s", "--no-print-directory", "demo-validate", f"VALIDATE=sh -c '{script}'"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_errors_found_in_the_demo_are_said_to_be_on_purpose_and_make_goes_on():
    result = demo_validate("echo 2026-12-03 INFO security.sweeps: log line >&2; "
                           "echo Sweep \\#1 done: 11 object\\(s\\) checked, 13 error\\(s\\), 2 warning\\(s\\).; "
                           "echo Application Cobrowse_Node_1: 1 error\\(s\\); exit 1")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Sweep #1 done: 11 object(s) checked, 13 error(s), 2 warning(s)."
    assert "has errors ON PURPOSE" in result.stdout
    assert "exits 1 when it finds" in result.stdout and "that is expected here" in result.stdout
    assert "log line" not in result.stdout and "Cobrowse_Node_1" not in result.stdout


def test_a_clean_validation_says_so():
    result = demo_validate("echo Sweep \\#1 done: 11 object\\(s\\) checked, 0 error\\(s\\).; exit 0")
    assert result.returncode == 0, result.stderr
    assert "validated: no errors found" in result.stdout
    assert "ON PURPOSE" not in result.stdout


@pytest.mark.parametrize("status", [2, 3, 127])
def test_a_real_failure_shows_what_validate_said_and_stops_make_run(status):
    result = demo_validate(f"echo CommandError: the database is unreachable >&2; exit {status}")
    assert result.returncode != 0
    assert "CommandError: the database is unreachable" in result.stdout
    assert f"failed (exit status {status})" in result.stderr
    assert "ON PURPOSE" not in result.stdout


def test_make_run_validates_after_seeding_and_before_serving():
    result = subprocess.run(["make", "-n", "--no-print-directory", "run"], cwd=ROOT, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    order = [text.index(step) for step in ("manage.py migrate", "manage.py seed_demo", "manage.py validate",
                                           "ON PURPOSE", "manage.py runserver")]
    assert order == sorted(order), text
