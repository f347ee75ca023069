"""``security`` depends on ``applications``, never the reverse (issue 14, point 6): the security app
registers what applications needs from it (health, the security summary, the validation task, the
revert's verdict) when Django is ready. This test fails when a module of ``applications`` imports
``security``, at the top or inside a function."""

import ast
from pathlib import Path

import applications

ROOT = Path(applications.__file__).parent


def imports_of(source: str) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def test_no_applications_module_imports_security():
    offenders = [f"{path.relative_to(ROOT.parent)}:{line} imports {module}"
                 for path in sorted(ROOT.rglob("*.py"))
                 for line, module in imports_of(path.read_text())
                 if module == "security" or module.startswith("security.")]
    assert offenders == []


def test_the_walk_sees_the_modules_it_checks():
    """The test above can fail: it reads every module of applications, and would see an import of security."""
    modules = list(ROOT.rglob("*.py"))
    assert len(modules) > 30
    assert imports_of("def f():\n    from security.tasks import x\n") == [(2, "security.tasks")]
    assert imports_of("import security.readiness as r\n") == [(1, "security.readiness")]
