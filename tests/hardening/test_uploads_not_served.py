"""Uploaded files are read in memory and kept as certificate rows: nothing lands behind a URL."""

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def test_there_is_no_media_url_to_serve_uploads_from():
    assert not settings.MEDIA_URL or settings.MEDIA_URL == "/"  # Django's default is "" (nothing served)


def test_an_upload_writes_no_file_to_disk_and_nothing_is_served(users, client_as, cert_files, tmp_path):
    before = {p for p in settings.BASE_DIR.rglob("*") if ".venv" not in p.parts and ".git" not in p.parts}
    client = client_as("security")
    with open(cert_files["ca.crt"], "rb") as handle:
        response = client.post("/security/certificates/upload/", {"files": [handle]})
    assert response.status_code == 200
    after = {p for p in settings.BASE_DIR.rglob("*") if ".venv" not in p.parts and ".git" not in p.parts}
    new_files = {p for p in after - before if "__pycache__" not in p.parts and p.suffix != ".pyc"}
    assert not new_files
    for guess in ("/media/ca.crt", "/uploads/ca.crt", "/static/ca.crt", "/security/certificates/ca.crt"):
        assert client.get(guess).status_code == 404
