"""Broken or unreadable files: a clear message on the page and from the command, never a 500 or a
traceback, and nothing stored."""

import html
import re

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from security.crypto.build import build_jks
from security.models import Certificate
from tests.library.conftest import manage, stored_counts, text_of

pytestmark = pytest.mark.django_db

JKS_RIGHT_PASSWORD = "right-password"

# (file, password, the words the operator reads)
BAD_FILES = [
    ("random.bin", "", "is not a certificate format this console knows"),
    ("truncated.der", "", "is truncated"),
    ("garbage-between.pem", "", "has unexpected text at line 22, outside the PEM blocks"),
    ("ca.p12", "not-the-password", "the password does not open this PKCS#12 file"),
    ("ca.p12", "", "this PKCS#12 file is protected by a password: give the password"),
    ("truststore.jks", "not-the-password", "the password does not open this JKS keystore"),
    ("truststore.jks", "", "this JKS keystore is protected by a password"),
    ("encrypted-key.pem", "", "holds only a private key, no certificate"),
    ("encrypted-rsa-key.pem", "", "holds only a private key, no certificate"),
]
BAD_IDS = [f"{name}-{'with-password' if password else 'no-password'}" for name, password, _ in BAD_FILES]


@pytest.fixture(scope="module")
def bad_files(cert_files, tmp_path_factory):
    """The generated fixtures plus a JKS keystore whose password is JKS_RIGHT_PASSWORD."""
    keystore = tmp_path_factory.mktemp("jks") / "truststore.jks"
    keystore.write_bytes(build_jks([cert_files["ca.crt"].read_bytes()], JKS_RIGHT_PASSWORD))
    return {**cert_files, "truststore.jks": keystore}


def page_text(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text_of(response))).split())


def field_errors(response) -> list[str]:
    form = response.context["form"]
    return [message for errors in form.errors.values() for message in errors]


@pytest.mark.parametrize(("name", "password", "message"), BAD_FILES, ids=BAD_IDS)
def test_the_upload_page_explains_a_bad_file_and_stores_nothing(officer, bad_files, name, password, message):
    before = stored_counts()

    response = officer.post("/security/certificates/upload/",
                            {"files": [_upload(bad_files, name)], "password": password, "store": ""})

    assert response.status_code == 200
    assert "confirm" not in response.context, "a bad file must not reach the preview"
    assert any(message in error for error in field_errors(response))
    assert message in page_text(response)
    assert stored_counts() == before


def test_a_wrong_password_is_shown_under_the_password_field(officer, bad_files):
    response = officer.post("/security/certificates/upload/",
                            {"files": [_upload(bad_files, "ca.p12")], "password": "not-the-password"})

    assert "the password does not open this PKCS#12 file" in response.context["form"].errors["password"][0]


def test_an_empty_file_is_refused_by_the_form(officer, bad_files):
    before = stored_counts()

    response = officer.post("/security/certificates/upload/", {"files": [_upload(bad_files, "empty.crt")]})

    assert response.status_code == 200
    assert "empty" in " ".join(field_errors(response))
    assert stored_counts() == before


@override_settings(CERTIFICATE_UPLOAD_MAX_BYTES=1024)
def test_an_oversized_file_is_refused_with_the_limit(officer, bad_files):
    before = stored_counts()

    response = officer.post("/security/certificates/upload/", {"files": [_upload(bad_files, "random.bin")]})

    assert response.status_code == 200
    assert "random.bin is 4,096 bytes; a certificate file may be at most 1,024 bytes" in page_text(response)
    assert stored_counts() == before


def test_a_file_without_a_file_is_refused(officer):
    response = officer.post("/security/certificates/upload/", {"password": "", "store": ""})

    assert response.status_code == 200
    assert response.context["form"].errors["files"]


def test_a_bad_file_among_good_ones_is_shown_in_the_preview_and_the_good_ones_import(officer, upload, confirm):
    response = upload(officer, "ca.crt", "random.bin")

    assert response.status_code == 200
    assert "is not a certificate format this console knows" in page_text(response)
    assert "Nothing from this file will be stored" in page_text(response)
    confirm(officer)
    assert Certificate.objects.count() == 1


# The command: the same files through call_command


@pytest.mark.parametrize(("name", "password", "message"), BAD_FILES, ids=BAD_IDS)
def test_import_ca_explains_a_bad_file_in_one_line_and_stores_nothing(bad_files, tmp_path, name, password, message):
    args = [str(bad_files[name])]
    if password:
        secret = tmp_path / "password.txt"
        secret.write_text(password + "\n")
        args += ["--password-file", str(secret)]
    before = stored_counts()

    with pytest.raises(CommandError) as raised:
        call_command("import_ca", *args)

    assert message in str(raised.value)
    assert "nothing was imported" in str(raised.value)
    assert "\n" not in str(raised.value)
    assert stored_counts() == before


def test_import_ca_says_to_use_a_password_file_for_a_protected_file(bad_files):
    with pytest.raises(CommandError, match=r"give the password \(use --password-file\)"):
        call_command("import_ca", str(bad_files["ca.p12"]))


def test_import_ca_refuses_an_empty_file(bad_files):
    with pytest.raises(CommandError, match="empty.crt: the file is empty; nothing was imported"):
        call_command("import_ca", str(bad_files["empty.crt"]))
    assert Certificate.objects.count() == 0


@override_settings(CERTIFICATE_UPLOAD_MAX_BYTES=1024)
def test_import_ca_refuses_an_oversized_file(bad_files):
    with pytest.raises(CommandError, match="the file is 4,096 bytes; the limit is 1,024 bytes"):
        call_command("import_ca", str(bad_files["random.bin"]))
    assert Certificate.objects.count() == 0


def test_import_ca_stores_nothing_when_one_file_of_several_is_bad(bad_files):
    before = stored_counts()

    with pytest.raises(CommandError, match="random.bin"):
        call_command("import_ca", str(bad_files["ca.crt"]), str(bad_files["random.bin"]))

    assert stored_counts() == before


def test_import_ca_as_an_operator_types_it_exits_1_with_one_line_and_no_traceback(cli_env, bad_files):
    result = manage("import_ca", bad_files["random.bin"], env=cli_env)

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith('CommandError: random.bin: the file "random.bin" is not a certificate format')
    assert result.stdout == ""


def _upload(files, name):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, files[name].read_bytes())
