"""Issue 17.6, from outside: PKCS#12 and JCEKS files that ask for huge iteration counts are refused with
the count and the limit, through the upload page for every role that may upload and through
``manage.py import_ca``, and nothing is stored; files the real tools write still import.

The attack files are forged here (tests/certs/keystore_forge.py). Without the limits, each of these
requests would hold the test for minutes (2³¹−1 iterations) instead of answering at once.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from security.crypto import isolation
from security.models import Certificate
from security.views_library import PREVIEW_SESSION_KEY
from tests.certs import keystore_forge as forge
from tests.certs.make_certs import INTERMEDIATE_CN, ROOT_CN
from tests.conftest import require
from tests.library.conftest import KEYTOOL, OPENSSL, UPLOAD_URL, manage, run_tool, stored_counts

pytestmark = pytest.mark.django_db

PASSWORD = "attack-pass"
HUGE = 2**31 - 1
UPLOADERS = ["security", "admin"]
NOT_UPLOADERS = ["viewer", "operator"]


@pytest.fixture(scope="module")
def attacks(cert_files) -> dict[str, tuple[bytes, str]]:
    """name → (file, the words the operator reads)."""
    cert = x509.load_pem_x509_certificate(cert_files["server.pem"].read_bytes())
    der = cert.public_bytes(serialization.Encoding.DER)
    certificates = forge.data_content(forge.cert_bag(der))
    huge_key = forge.shrouded_key_bag(forge.pbes2_algorithm(b"s" * 16, HUGE, b"i" * 16), b"k" * 64)
    return {
        "mac-100-million.p12": (
            forge.pfx([certificates], password=PASSWORD, mac_iterations=100_000_000, compute_mac=False),
            "the iteration count 100,000,000 of its integrity check (MAC) is above the limit of 1,000,000"),
        "mac-2-31.p12": (
            forge.pfx([certificates], password=PASSWORD, mac_iterations=HUGE, compute_mac=False),
            "the iteration count 2,147,483,647 of its integrity check (MAC) is above the limit of 1,000,000"),
        "key-2-31.p12": (
            forge.pfx([certificates, forge.data_content(huge_key)], password=PASSWORD),
            "the iteration count 2,147,483,647 of its encrypted private key is above the limit of 1,000,000"),
        "budget.p12": (
            forge.pfx([forge.encrypted_content(forge.cert_bag(der), password=PASSWORD, iterations=1,
                                               algorithm=forge.pbes2_algorithm(b"s" * 16, 990_000, b"i" * 16))
                       for _ in range(4)], password=PASSWORD, compute_mac=False),
            "its 5 key derivations add up to 3,962,048 iterations, above the limit of 3,000,000 for one file"),
        "key-2-31.jceks": (
            forge.jceks([("k", forge.jceks_encrypted_key(HUGE), [der])], PASSWORD),
            "this JCEKS keystore is refused: the iteration count 2,147,483,647 of its encrypted private key"),
    }


def post(client, name: str, data: bytes):
    return client.post(UPLOAD_URL, {"files": [SimpleUploadedFile(name, data)], "password": PASSWORD, "store": ""})


def form_errors(response) -> list[str]:
    return [message for errors in response.context["form"].errors.values() for message in errors]


@pytest.mark.parametrize("role", UPLOADERS)
@pytest.mark.parametrize("name", ["mac-100-million.p12", "mac-2-31.p12", "key-2-31.p12", "budget.p12",
                                  "key-2-31.jceks"])
def test_the_upload_page_refuses_a_huge_iteration_count_and_stores_nothing(client_as, attacks, role, name):
    client = client_as(role)
    data, words = attacks[name]
    before = stored_counts()

    response = post(client, name, data)

    assert response.status_code == 200
    assert "confirm" not in response.context
    assert any(words in error for error in form_errors(response)), form_errors(response)
    assert stored_counts() == before
    assert PREVIEW_SESSION_KEY not in client.session


@pytest.mark.parametrize("role", UPLOADERS)
def test_the_upload_page_stops_a_hidden_key_derivation_at_the_cpu_limit(client_as, cert_files, monkeypatch, role):
    # A key bag inside an encrypted part: its count is visible only after decryption.
    monkeypatch.setattr(isolation, "CPU_SECONDS", 1)
    der = x509.load_pem_x509_certificate(cert_files["server.pem"].read_bytes()).public_bytes(
        serialization.Encoding.DER)
    hidden_key = forge.shrouded_key_bag(forge.pbes2_algorithm(b"s" * 16, HUGE, b"i" * 16), b"k" * 64)
    hidden = forge.pfx([forge.encrypted_content(forge.cert_bag(der), hidden_key, password=PASSWORD,
                                                iterations=2048)], password=PASSWORD)
    before = stored_counts()

    response = post(client_as(role), "hidden.p12", hidden)

    assert response.status_code == 200
    assert any("opening it needed more than 1 s of computation" in error for error in form_errors(response))
    assert stored_counts() == before


@pytest.mark.parametrize("role", NOT_UPLOADERS)
def test_roles_that_may_not_upload_are_refused_before_the_file_is_read(client_as, attacks, role):
    before = stored_counts()

    response = post(client_as(role), "mac-2-31.p12", attacks["mac-2-31.p12"][0])

    assert response.status_code == 403
    assert stored_counts() == before


@pytest.mark.parametrize("name", ["mac-100-million.p12", "mac-2-31.p12", "key-2-31.jceks"])
def test_import_ca_refuses_a_huge_iteration_count_in_one_line_and_stores_nothing(attacks, tmp_path, name):
    data, words = attacks[name]
    path = tmp_path / name
    path.write_bytes(data)
    secret = tmp_path / "password.txt"
    secret.write_text(PASSWORD + "\n")
    before = stored_counts()

    with pytest.raises(CommandError) as raised:
        call_command("import_ca", str(path), "--password-file", str(secret))

    assert words in str(raised.value)
    assert str(raised.value).endswith("; nothing was imported")
    assert "\n" not in str(raised.value)
    assert stored_counts() == before


def test_import_ca_as_an_operator_types_it_refuses_the_2_31_file_in_one_line(cli_env, attacks, tmp_path):
    path = tmp_path / "mac-2-31.p12"
    path.write_bytes(attacks["mac-2-31.p12"][0])
    secret = tmp_path / "password.txt"
    secret.write_text(PASSWORD + "\n")

    result = manage("import_ca", path, "--password-file", secret, env=cli_env, timeout=60)

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "CommandError: mac-2-31.p12: the file \"mac-2-31.p12\" is refused: the iteration count 2,147,483,647 of its "
        "integrity check (MAC) is above the limit of 1,000,000 (OpenSSL writes 2,048, Java's keytool 10,000 to "
        "200,000): export it again with the tool's default settings; nothing was imported"
    ]
    assert result.stdout == ""


# Ordinary files from the real tools still import.


@pytest.fixture(scope="module")
def tool_files(cert_files, tmp_path_factory) -> dict[str, bytes]:
    """What openssl and keytool write by default, holding the test chain (root and intermediate)."""
    require(Path(OPENSSL).exists() and Path(KEYTOOL).exists(), "openssl and keytool")
    out = tmp_path_factory.mktemp("tools")
    chain = out / "chain.pem"
    chain.write_bytes(cert_files["intermediate.pem"].read_bytes() + cert_files["ca.pem"].read_bytes())
    files = {}
    for label, extra in (("openssl.p12", []), ("openssl-legacy.p12", ["-legacy"])):
        run_tool(OPENSSL, "pkcs12", "-export", "-in", cert_files["server.pem"], "-inkey", cert_files["server.key.pem"],
                 "-certfile", chain, "-passout", f"pass:{PASSWORD}", "-out", out / label, *extra)
        files[label] = (out / label).read_bytes()
    for store_type in ("pkcs12", "jceks"):
        store = out / f"keytool.{store_type}"
        for alias, name in (("root", "ca.pem"), ("intermediate", "intermediate.pem")):
            run_tool(KEYTOOL, "-importcert", "-noprompt", "-alias", alias, "-file", cert_files[name],
                     "-keystore", store, "-storetype", store_type, "-storepass", PASSWORD)
        files[f"keytool.{store_type}"] = store.read_bytes()
    return files


@pytest.mark.parametrize("role", UPLOADERS)
@pytest.mark.parametrize("name", ["openssl.p12", "openssl-legacy.p12", "keytool.pkcs12", "keytool.jceks"])
def test_files_the_real_tools_write_still_import_through_the_upload_page(
    client_as, import_files, tool_files, role, name
):
    client = client_as(role)

    response = import_files(client, (name, tool_files[name]), password=PASSWORD)

    assert response.status_code == 200
    assert {ROOT_CN, INTERMEDIATE_CN} <= set(Certificate.objects.values_list("common_name", flat=True))


def test_import_ca_still_imports_an_openssl_pkcs12(tool_files, tmp_path):
    path = tmp_path / "openssl.p12"
    path.write_bytes(tool_files["openssl.p12"])
    secret = tmp_path / "password.txt"
    secret.write_text(PASSWORD + "\n")

    call_command("import_ca", str(path), "--password-file", str(secret))

    assert {ROOT_CN, INTERMEDIATE_CN} <= set(Certificate.objects.values_list("common_name", flat=True))
