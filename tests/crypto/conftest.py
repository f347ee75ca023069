from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def cert_bytes(cert_files: dict[str, Path]):
    """``cert_bytes("ca.crt")`` → the file's content."""

    def read(name: str) -> bytes:
        return cert_files[name].read_bytes()

    return read
