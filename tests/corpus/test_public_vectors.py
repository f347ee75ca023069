"""Every X.509, PKCS#7, PKCS#12 and keystore file of the public cryptography-vectors package goes
through the upload path: each response is a preview or a clear error, never a 500, and what gets
stored is whole (every stored certificate parses and matches its fingerprint)."""

import hashlib
import re
from pathlib import Path

import cryptography_vectors
import pytest
from django.test import Client

from security.models import Certificate

VECTORS = Path(cryptography_vectors.__file__).parent
CORPUS_DIRS = ["x509", "pkcs7", "pkcs12"]
# The password the vectors' PKCS#12 files use; other files ignore it.
VECTOR_PASSWORD = "cryptography"
BATCH = 40


def corpus_files() -> list[Path]:
    files = []
    for name in CORPUS_DIRS:
        files += sorted(p for p in (VECTORS / name).rglob("*") if p.is_file())
    return files


def batches(items, size):
    for start in range(0, len(items), size):
        yield items[start:start + size]


@pytest.mark.django_db
def test_every_public_vector_file_gets_a_preview_or_a_clear_error(users, settings):
    settings.CERTIFICATE_UPLOAD_MAX_BYTES = 5 * 1024 * 1024
    client = Client(raise_request_exception=False)
    client.force_login(users["security"])
    files = corpus_files()
    assert len(files) > 1000, "the corpus should be the whole package, not a sample"
    outcomes = {"certificates": 0, "errors": 0}
    for batch in batches(files, BATCH):
        handles = [open(path, "rb") for path in batch]  # noqa: SIM115 - closed below
        try:
            response = client.post("/security/certificates/upload/",
                                   {"files": handles, "password": VECTOR_PASSWORD})
        finally:
            for handle in handles:
                handle.close()
        assert response.status_code == 200, f"{response.status_code} for a batch starting at {batch[0]}"
        html = response.content.decode()
        outcomes["errors"] += html.count("alert-danger") + html.count("invalid-feedback")
        token = re.search(r'name="token" value="([^"]+)"', html)
        if token:
            outcomes["certificates"] += 1
            confirm = client.post("/security/certificates/upload/",
                                  {"token": token.group(1), "accept_warnings": "on"})
            assert confirm.status_code == 302, f"import of a batch starting at {batch[0]} failed"
    assert outcomes["certificates"] > 0 and outcomes["errors"] > 0
    stored = Certificate.objects.all()
    assert stored.count() > 100
    from security.crypto.parse import certificate_details, load_der_certificate

    for cert in stored:
        der = bytes(cert.der)
        assert hashlib.sha256(der).hexdigest() == cert.fingerprint_sha256
        assert certificate_details(load_der_certificate(der)).fingerprint_sha256 == cert.fingerprint_sha256
