from __future__ import annotations

from pathlib import Path

import pytest

from tests.certs.fixtures import cert_files  # noqa: F401  (session fixture, shared with the suite)


@pytest.fixture(scope="session")
def cert_bytes(cert_files: dict[str, Path]):  # noqa: F811
    """``cert_bytes("ca.crt")`` → the file's content."""

    def read(name: str) -> bytes:
        return cert_files[name].read_bytes()

    return read
