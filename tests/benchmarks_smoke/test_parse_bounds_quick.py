"""``benchmarks/parse_bounds.py --quick`` runs to the end, so the script does not rot (no figures here:
see SECURITY.md and PERFORMANCE.md). It needs no database; openssl and keytool where they exist."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.interop


def test_the_parse_bounds_benchmark_runs_in_quick_mode_and_prints_its_figures():
    result = subprocess.run([sys.executable, "benchmarks/parse_bounds.py", "--quick"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "worst accepted PKCS#12 key derivation:" in result.stdout
    assert "is refused: the iteration count 2,147,483,647 of its integrity check (MAC)" in result.stdout
