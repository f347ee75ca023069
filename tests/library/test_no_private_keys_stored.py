"""R6: a trusted store never needs a private key, so none is ever stored — not in any table, not in
the session that holds the preview. Every column of every table is searched for the key's bytes."""

import base64
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from django.apps import apps
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection

from security.models import Certificate

pytestmark = pytest.mark.django_db


def key_needles(key, pem_text: bytes) -> tuple[list[bytes], list[str]]:
    """What would betray the key: its DER in every usual encoding, its secret numbers, and the
    base64 lines of its PEM."""
    binary = [
        key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
                          serialization.NoEncryption()),
    ]
    numbers = key.private_numbers()
    for secret in (numbers.d, numbers.p, numbers.q):
        binary.append(secret.to_bytes((secret.bit_length() + 7) // 8, "big"))
    text = [line for line in pem_text.decode().splitlines() if len(line) == 64]
    text += [base64.b64encode(der).decode() for der in binary[:2]]
    text += [format(numbers.d, "x"), format(numbers.d, "X")]
    return binary, text


def every_stored_value():
    """(table, column, value) for every text or binary value in the database."""
    tables = {model._meta.db_table for model in apps.get_models(include_auto_created=True)}
    tables.add(Session._meta.db_table)
    with connection.cursor() as cursor:
        for table in sorted(tables):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            columns = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if isinstance(value, memoryview | bytes | bytearray):
                        yield table, column, bytes(value)
                    elif isinstance(value, str):
                        yield table, column, value


def session_strings():
    """Every string inside the decoded sessions (the stored form is signed and compressed)."""

    def walk(value):
        if isinstance(value, dict):
            for item in value.values():
                yield from walk(item)
        elif isinstance(value, list):
            for item in value:
                yield from walk(item)
        elif isinstance(value, str):
            yield value

    for session in Session.objects.all():
        yield from walk(session.get_decoded())


def assert_nowhere(binary: list[bytes], text: list[str]) -> None:
    for table, column, value in every_stored_value():
        raw = value if isinstance(value, bytes) else value.encode("utf-8", "replace")
        as_text = value if isinstance(value, str) else value.decode("latin-1")
        for needle in binary:
            assert needle not in raw, f"private key bytes in {table}.{column}"
        for needle in text:
            assert needle not in as_text, f"private key text in {table}.{column}"
    for value in session_strings():
        for needle in text:
            assert needle not in value, "private key text in a session"
        try:
            decoded = base64.b64decode(value, validate=True)
        except ValueError:
            continue
        for needle in binary:
            assert needle not in decoded, "private key bytes in a session"


@pytest.fixture
def server_key(cert_files):
    pem = cert_files["server.key.pem"].read_bytes()
    return key_needles(serialization.load_pem_private_key(pem, password=None), pem)


@pytest.fixture
def p12_key(cert_files):
    key, _cert, _extra = pkcs12.load_key_and_certificates(cert_files["ca.p12"].read_bytes(), b"p12-secret")
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return key_needles(key, pem)


def test_the_search_finds_what_is_stored(officer, import_files, cert_files):
    # The control: the certificate's own bytes are found, so a clean result below means something.
    import_files(officer, "server-with-key.pem")
    der = bytes(Certificate.objects.get().der)

    assert any(der == value for _t, _c, value in every_stored_value() if isinstance(value, bytes))


def test_no_key_bytes_after_importing_a_pkcs12_and_a_pem_with_a_key(officer, import_files, upload, server_key,
                                                                    p12_key):
    import_files(officer, "ca.p12", password="p12-secret")
    import_files(officer, "server-with-key.pem")
    # A preview waiting for confirmation: its certificates sit in the session.
    response = upload(officer, "server-with-key.pem", "ca.p12", password="p12-secret")
    assert "A private key was found and discarded" in response.content.decode()
    assert Certificate.objects.count() == 3

    assert_nowhere(*server_key)
    assert_nowhere(*p12_key)


def test_no_key_bytes_after_importing_them_with_the_command(tmp_path, cert_files, server_key, p12_key, capsys):
    password_file = tmp_path / "p12-password"
    password_file.write_text("p12-secret\n")

    call_command("import_ca", str(cert_files["ca.p12"]), str(cert_files["server-with-key.pem"]),
                 "--password-file", str(password_file))

    assert "a private key was found and discarded" in capsys.readouterr().err
    assert Certificate.objects.count() == 3
    assert_nowhere(*server_key)
    assert_nowhere(*p12_key)


def test_the_preview_in_the_session_holds_certificates_only(officer, upload, cert_files):
    upload(officer, "server-with-key.pem")

    pending = officer.session["certificate-import-preview"]
    assert set(pending) == {"token", "store", "items"}
    assert all(set(item) == {"der", "kind", "filename", "warned"} for item in pending["items"])
    assert json.dumps(pending).count("PRIVATE") == 0
