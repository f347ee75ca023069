"""Helpers for the certificate library, trusted store and CLI tests: uploading like a browser,
confirming the preview, counting what is stored, and a frozen clock."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from applications.models import AuditEvent
from security.models import Certificate, StoreEntry, TrustedStore
from security.views_library import PREVIEW_SESSION_KEY
from tests.certs.make_certs import REFERENCE_NOW

BASE_DIR = Path(__file__).resolve().parents[2]
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
KEYTOOL = shutil.which("keytool") or "/usr/bin/keytool"
UPLOAD_URL = reverse("security:certificate_upload")
JKS_PASSWORD = "Jks-St0re-Pass-4711"
SOON_CN = "Co-browse Expiring Soon CA"


@pytest.fixture(scope="session")
def cert_bytes(cert_files):
    """``cert_bytes("ca.crt")`` → the file's content."""

    def read(name: str) -> bytes:
        return cert_files[name].read_bytes()

    return read


@pytest.fixture(scope="session")
def soon_ca_pem() -> bytes:
    """A CA valid from a year before REFERENCE_NOW until 19 days after it: "expires soon" there."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SOON_CN)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(0x4001)
        .not_valid_before(REFERENCE_NOW - dt.timedelta(days=365))
        .not_valid_after(REFERENCE_NOW + dt.timedelta(days=19))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture
def frozen():
    """The clock stopped at the fixtures' REFERENCE_NOW (2026-06-01 UTC)."""
    with time_machine.travel(REFERENCE_NOW, tick=False):
        yield REFERENCE_NOW


@pytest.fixture
def officer(client_as):
    return client_as("security")


@pytest.fixture
def upload(cert_files):
    """``upload(client, "ca.crt", "ca.p12", password=..., store=...)`` → the response to the
    multipart POST a browser sends from the upload page. A name may also be ``(name, bytes)``."""

    def post(client, *names, password: str = "", store: TrustedStore | None = None):
        files = []
        for name in names:
            if isinstance(name, tuple):
                files.append(SimpleUploadedFile(name[0], name[1]))
            else:
                files.append(SimpleUploadedFile(name, cert_files[name].read_bytes()))
        data = {"files": files, "password": password, "store": store.pk if store else ""}
        return client.post(UPLOAD_URL, data)

    return post


@pytest.fixture
def confirm():
    """``confirm(client, accept_warnings=False)`` → the response to the preview's Import button."""

    def post(client, *, accept_warnings: bool = False, follow: bool = True):
        token = client.session[PREVIEW_SESSION_KEY]["token"]
        data = {"token": token}
        if accept_warnings:
            data["accept_warnings"] = "on"
        return client.post(UPLOAD_URL, data, follow=follow)

    return post


@pytest.fixture
def import_files(upload, confirm):
    """Upload and confirm in one go (warnings accepted): the certificates are in the library."""

    def run(client, *names, password: str = "", store: TrustedStore | None = None):
        response = upload(client, *names, password=password, store=store)
        assert response.status_code == 200 and "confirm" in response.context, response.content.decode()[:2000]
        return confirm(client, accept_warnings=True)

    return run


def stored_counts() -> tuple[int, int, int, int]:
    return (
        Certificate.objects.count(),
        StoreEntry.objects.count(),
        TrustedStore.objects.count(),
        AuditEvent.objects.count(),
    )


def certificate(cn: str) -> Certificate:
    return Certificate.objects.get(common_name=cn)


def text_of(response) -> str:
    return response.content.decode()


def run_tool(*args, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], capture_output=True, timeout=120, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError(f"{args[0]} failed ({result.returncode}): {result.stderr.decode(errors='replace')}")
    return result


def manage(*args, env: dict, timeout: int = 120) -> subprocess.CompletedProcess:
    """``python manage.py ARGS`` in a child process: what an operator types, stdin not a terminal."""
    return subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), *map(str, args)],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=timeout,
    )


@pytest.fixture(scope="session")
def cli_env(tmp_path_factory) -> dict:
    """Environment for ``manage.py`` child processes: a fresh, migrated SQLite database of their own."""
    db = tmp_path_factory.mktemp("cli-db") / "cli.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "DJANGO_DEBUG": "1", "REDIS_URL": "",
           "PYTHONDONTWRITEBYTECODE": "1"}
    result = manage("migrate", "--noinput", env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    return env
