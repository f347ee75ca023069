"""The pure rules behind 10.4 and 17.1: a path against an operating system, a name, a value quoted in a message."""

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from applications.names import name_problem
from applications.paths import path_problem
from applications.text import quoted

OK = None


@pytest.mark.parametrize(("path", "os_type", "problem"), [
    ("/opt/genesys/certs/ca.pem", "linux", OK),
    ("/opt/genesys/certs/ca.pem", "aix", OK),
    ("/opt/genesys/my certs/ca (1).pem", "solaris", OK),
    ("C:\\GCTI\\certs\\ca.pem", "windows", OK),
    ("c:/GCTI/certs/ca.pem", "windows", OK),
    ("\\\\fs01\\certs\\ca.pem", "windows", OK),
    ("C:\\GCTI\\certs\\ca.pem", "linux", "is a Windows path, but the host runs Linux/Unix"),
    ("\\\\fs01\\certs\\ca.pem", "hpux", "is a Windows path"),
    ("/opt/genesys/ca.pem", "windows", "is a Linux/Unix path, but the host runs Windows"),
    ("certs/ca.pem", "linux", "is not a full path: on Linux/Unix it starts with /."),
    ("certs\\ca.pem", "windows", "is not a full path: on Windows it starts with a drive"),
    ("C:ca.pem", "windows", "is not a full path"),
    ("\\certs\\ca.pem", "windows", "is not a full path"),
    ("\\\\fs01", "windows", "is not a full UNC path"),
    ("\\\\?\\C:\\ca.pem", "windows", "is a Windows device path"),
    ("/opt/certs\\ca.pem", "linux", "contains a backslash"),
    ("/opt/certs/", "linux", "ends with /: give the file name too."),
    ("C:\\certs\\", "windows", "ends with a separator"),
    ('C:\\certs\\a"b.pem', "windows", "Windows allows none of"),
    ("C:\\certs\\a|b.pem", "windows", "Windows allows none of"),
    ("C:\\certs\\a:b.pem", "windows", "a colon only after the drive letter"),
    ("C:\\certs\\aux.pem", "windows", "a device name Windows reserves"),
    ("C:\\certs\\COM1", "windows", "a device name Windows reserves"),
    ("C:\\certs.\\ca.pem", "windows", "ending with a dot or a space"),
    ('/opt/a"b<c>|d?e*.pem', "linux", OK),  # allowed in Linux file names
    ("/opt/certs/ca.pem\n", "linux", "contains control or invisible characters (U+000A LINE FEED)"),
    ("C:\\certs\\ca\u2028.pem", "windows", "U+2028 LINE SEPARATOR"),
    ("/opt/\u202ecrt.pem", None, "U+202E RIGHT-TO-LEFT OVERRIDE"),
    ("/opt/certs/ca.pem", None, OK),
    ("C:\\certs\\ca.pem", None, OK),
    ("ca.pem", None, "start with / (Linux/Unix) or with a drive like C:\\ (Windows)"),
    ("", "linux", "The path is empty."),
])
def test_a_path_is_judged_by_the_operating_system_of_its_host(path, os_type, problem):
    found = path_problem(path, os_type)
    if problem is OK:
        assert found is None
    else:
        assert found is not None and problem in found


def test_a_directory_may_end_with_a_separator():
    assert path_problem("/opt/genesys/", "linux", directory=True) is None
    assert path_problem("C:\\GCTI\\", "windows", directory=True) is None


@pytest.mark.parametrize(("text", "problem"), [
    ("Cobrowse_Node_1", OK), ("Nœud de co-navigation 東京", OK), ("a b", OK), ("a\u00a0b", OK),
    ("a\nb", "U+000A LINE FEED"), ("a\tb", "TAB"), ("a\x85b", "U+0085"), ("a\u2028b", "U+2028 LINE SEPARATOR"),
    ("a\u2029b", "U+2029 PARAGRAPH SEPARATOR"), ("a\u200bb", "U+200B ZERO WIDTH SPACE"), ("a\x1bb", "U+001B"),
    ("a\x7fb", "U+007F"), ("\ufeffa", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
])
def test_a_name_refuses_control_and_invisible_characters_only(text, problem):
    found = name_problem(text)
    if problem is OK:
        assert found is None
    else:
        assert found is not None and problem in found


def test_a_value_is_quoted_as_typed_on_one_line():
    assert quoted("C:\\certs\\ca.pem") == '"C:\\certs\\ca.pem"'
    assert quoted("it's") == '"it\'s"'
    assert quoted("a\nb\u2028c\x7f") == '"a␊b[U+2028]c␡"'
    assert quoted("x" * 300).endswith('…"') and len(quoted("x" * 300)) == 202


@given(st.text())
@settings(max_examples=300, deadline=None)
def test_a_quoted_value_is_always_one_line(text):
    assert "\n" not in quoted(text) and "\r" not in quoted(text) and len(quoted(text).splitlines()) <= 1


def test_no_operator_message_is_built_with_a_python_repr():
    """Messages quote what the operator typed with ``quoted``; ``!r`` and ``repr()`` show Python's quotes
    and doubled backslashes. Only errors meant for developers may keep them."""
    root = Path(__file__).resolve().parents[2]
    developer_only = {"security/checks/codes.py", "cobrowse_admin/__init__.py"}
    offenders = []
    for folder in ("applications", "security", "cobrowse_admin"):
        for path in (root / folder).rglob("*.py"):
            relative = path.relative_to(root).as_posix()
            if "/migrations/" in relative or relative in developer_only:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if re.search(r"!r\}|\brepr\(", line):
                    offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == []
