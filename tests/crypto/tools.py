"""Helpers for the interop tests: the real openssl and keytool, and fingerprint sets."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
KEYTOOL = shutil.which("keytool") or "/usr/bin/keytool"

# In CI the real tools must be there: a missing one fails the test instead of skipping it.
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
needs_openssl = pytest.mark.skipif(not Path(OPENSSL).exists() and not IN_CI, reason="openssl is not installed")
needs_keytool = pytest.mark.skipif(not Path(KEYTOOL).exists() and not IN_CI, reason="keytool is not installed")


def run(*args: str | Path, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    result = subprocess.run([str(arg) for arg in args], capture_output=True, timeout=60)
    if check and result.returncode != 0:
        raise AssertionError(f"{args[0]} failed ({result.returncode}): {result.stderr.decode(errors='replace')}")
    return result


def openssl(*args: str | Path, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    return run(OPENSSL, *args, check=check)


def keytool(*args: str | Path, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    return run(KEYTOOL, *args, check=check)


def fingerprints(certs: Iterable[x509.Certificate]) -> set[str]:
    return {cert.fingerprint(hashes.SHA256()).hex() for cert in certs}


def openssl_fingerprint(path: Path, *, inform: str = "PEM") -> str:
    # OpenSSL 3 prints "sha256 Fingerprint=AB:CD:..."; older versions "SHA256 Fingerprint=".
    out = openssl("x509", "-inform", inform, "-in", path, "-noout", "-fingerprint", "-sha256")
    return out.stdout.decode().strip().split("=", 1)[1].replace(":", "").lower()
