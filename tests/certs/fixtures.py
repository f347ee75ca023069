"""pytest fixtures over the generated certificate files.

Registered for the whole suite by the root conftest; a package conftest can instead import
``cert_files`` from here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .make_certs import generate


@pytest.fixture(scope="session")
def cert_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """File name (``"ca.crt"``, ``"ca.p12"``, …) → path of the generated file."""
    return generate(tmp_path_factory.mktemp("certs"))
