"""The operator commands: import_ca, create_store, export_store — in process through call_command
and as an operator types them, in a child process with no terminal on standard input."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command, load_command_class

from cobrowse_admin import secret_box
from security.models import Certificate, Provider, TrustedStore
from tests.certs.make_certs import INTERMEDIATE_CN, ROOT_CN
from tests.conftest import require
from tests.library.conftest import JKS_PASSWORD, KEYTOOL, OPENSSL, manage, run_tool, stored_counts

pytestmark = pytest.mark.django_db


@pytest.fixture
def password_file(tmp_path):
    def write(password: str, name: str = "password.txt") -> str:
        path = tmp_path / name
        path.write_text(password + "\n")
        return str(path)

    return write


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# create_store


def test_create_store_makes_a_pem_store():
    out, _ = run("create_store", "Genesys CA", "--provider", "PEM",
                 "--path", "/opt/genesys/cobrowse/certs/certificateCA.pem")

    store = TrustedStore.objects.get(name="Genesys CA")
    assert store.provider == Provider.PEM and store.path == "/opt/genesys/cobrowse/certs/certificateCA.pem"
    assert out == "created PEM store Genesys CA at /opt/genesys/cobrowse/certs/certificateCA.pem\n"


def test_create_store_makes_a_jks_store_with_the_password_from_a_file(password_file):
    run("create_store", "Genesys JKS", "--provider", "JKS", "--path", "/opt/cb/truststore.jks",
        "--password-file", password_file(JKS_PASSWORD))

    store = TrustedStore.objects.get(name="Genesys JKS")
    assert secret_box.decrypt(store.password_encrypted) == JKS_PASSWORD


def test_create_store_makes_an_mscapi_store_without_path():
    out, _ = run("create_store", "Windows CA", "--provider", "MSCAPI")

    assert TrustedStore.objects.get(name="Windows CA").path == ""
    assert out == "created MSCAPI store Windows CA\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--provider", "JKS", "--path", "/opt/cb/k.jks"], "a JKS store needs a password: give --password-file F"),
        (["--provider", "PEM"], "path: A PEM or JKS store needs the path of its file on the Co-browse hosts"),
        (["--provider", "PEM", "--path", "certs/ca.pem"], 'path: "certs/ca.pem" is not a full path'),
        (["--provider", "PEM", "--path", "C:\\certs\\ca.pem"], "path: This is a Windows path: give it as the path on"),
        (["--provider", "PEM", "--windows-path", "/opt/ca.pem"], "windows_path: This is a Linux/Unix path"),
        (["--provider", "PEM", "--path", "/opt/ca.pem", "--password-file", "{pw}"],
         "a PEM store has no password: drop --password-file"),
        (["--provider", "JKS", "--path", "/opt/k.jks", "--password-file", "/nonexistent/pw"],
         "password file /nonexistent/pw does not exist"),
        (["--provider", "JKS", "--path", "/opt/k.jks", "--password-file", "{empty}"], "is empty"),
        (["--provider", "JKS", "--path", "/opt/k.jks", "--password-file", "{short}"], "at least 6 characters"),
    ],
)
def test_create_store_refuses_bad_arguments_with_one_line(password_file, args, message):
    names = {"{pw}": password_file(JKS_PASSWORD), "{empty}": password_file("", "empty.txt"),
             "{short}": password_file("12345", "short.txt")}
    args = [names.get(arg, arg) for arg in args]

    with pytest.raises(CommandError) as raised:
        call_command("create_store", "Store", *args)

    assert message in str(raised.value) and "\n" not in str(raised.value)
    assert not TrustedStore.objects.exists()


def test_create_store_refuses_a_name_already_taken():
    run("create_store", "Genesys CA", "--provider", "MSCAPI")

    with pytest.raises(CommandError, match="already exists"):
        call_command("create_store", "Genesys CA", "--provider", "MSCAPI")


@pytest.mark.parametrize("command", ["create_store", "import_ca", "export_store"])
def test_no_command_takes_a_password_on_the_command_line(command):
    parser = load_command_class("security", command).create_parser("manage.py", command)

    options = {option for action in parser._actions for option in action.option_strings}

    assert not {option for option in options if "pass" in option} - {"--password-file"}


def test_a_password_typed_on_the_command_line_is_refused_not_taken_for_the_password_file():
    with pytest.raises(CommandError) as raised:
        call_command("create_store", "Store", "--provider", "JKS", "--path", "/opt/k.jks", "--password", "S3cret-pw")

    assert "unrecognized arguments" in str(raised.value)
    assert "password file" not in str(raised.value)
    assert not TrustedStore.objects.exists()


# import_ca


def test_import_ca_imports_into_the_library(cert_files):
    out, err = run("import_ca", str(cert_files["ca.crt"]), str(cert_files["intermediate.pem"]))

    assert set(Certificate.objects.values_list("common_name", flat=True)) == {ROOT_CN, INTERMEDIATE_CN}
    assert out.splitlines()[-1] == "2 imported, 0 already in the library"
    assert err == ""


def test_import_ca_says_what_was_already_there(cert_files):
    run("import_ca", str(cert_files["ca.crt"]))

    out, _ = run("import_ca", str(cert_files["ca.pem"]))

    assert out.startswith("present ")
    assert out.splitlines()[-1] == "0 imported, 1 already in the library"
    assert Certificate.objects.count() == 1


def test_import_ca_reads_a_pkcs12_with_the_password_file_into_a_store(cert_files, password_file):
    run("create_store", "Genesys JKS", "--provider", "JKS", "--path", "/opt/cb/truststore.jks",
        "--password-file", password_file(JKS_PASSWORD, "jks.txt"))

    out, err = run("import_ca", str(cert_files["ca.p12"]), "--password-file", password_file("p12-secret"),
                   "--store", "Genesys JKS")

    assert "ca.p12: a private key was found and discarded" in err
    assert "warning: localhost: not a CA certificate" in err
    store = TrustedStore.objects.get(name="Genesys JKS")
    assert store.entries.count() == 3
    assert store.entries.get(alias="root").certificate.common_name == ROOT_CN
    assert out.splitlines()[-1] == "3 imported, 0 already in the library; store Genesys JKS now holds 3 certificate(s)"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{ca}", "--store", "Nope"], 'no trusted store named "Nope" (known: none yet)'),
        (["/nonexistent/ca.crt"], "/nonexistent/ca.crt: cannot read the file (No such file or directory)"),
        (["{dir}"], "cannot read the file"),
        (["{ca}", "--password-file", "/nonexistent/pw"], "password file /nonexistent/pw does not exist"),
    ],
)
def test_import_ca_refuses_what_it_cannot_read(cert_files, tmp_path, args, message):
    names = {"{ca}": str(cert_files["ca.crt"]), "{dir}": str(tmp_path)}
    before = stored_counts()

    with pytest.raises(CommandError) as raised:
        call_command("import_ca", *[names.get(arg, arg) for arg in args])

    assert message in str(raised.value) and "\n" not in str(raised.value)
    assert stored_counts() == before


# export_store


def test_export_store_writes_the_pem_file(cert_files, tmp_path):
    require(Path(OPENSSL).exists(), "openssl")
    run("create_store", "Genesys CA", "--provider", "PEM", "--path", "/opt/genesys/cobrowse/certs/certificateCA.pem")
    run("import_ca", str(cert_files["ca.crt"]), "--store", "Genesys CA")
    out_file = tmp_path / "certificateCA.pem"

    out, _ = run("export_store", "Genesys CA", "--out", str(out_file))

    assert out.startswith(f"wrote {out_file} (") and out.rstrip().endswith("1 certificate(s))")
    assert out_file.read_bytes() == run_tool(OPENSSL, "x509", "-inform", "der", "-in", cert_files["ca.crt"]).stdout


def test_export_store_writes_the_cer_of_an_mscapi_store(cert_files, tmp_path):
    run("create_store", "Windows CA", "--provider", "MSCAPI")
    run("import_ca", str(cert_files["ca.pem"]), "--store", "Windows CA")
    out_file = tmp_path / "ca.cer"

    run("export_store", "Windows CA", "--out", str(out_file))

    assert out_file.read_bytes() == cert_files["ca.crt"].read_bytes()


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        (False, ["Nope", "--out", "{out}"], 'no trusted store named "Nope"'),
        (True, ["Empty", "--out", "{out}"], 'the store "Empty" holds no certificate yet'),
    ],
)
def test_export_store_refuses_an_unknown_or_empty_store(tmp_path, setup, args, message):
    if setup:
        run("create_store", "Empty", "--provider", "PEM", "--path", "/opt/cb/empty.pem")
    out_file = tmp_path / "out.pem"

    with pytest.raises(CommandError, match=message):
        call_command("export_store", *[str(out_file) if arg == "{out}" else arg for arg in args])

    assert not out_file.exists()


def test_export_store_says_when_it_cannot_write(cert_files, tmp_path):
    run("create_store", "Genesys CA", "--provider", "PEM", "--path", "/opt/cb/ca.pem")
    run("import_ca", str(cert_files["ca.crt"]), "--store", "Genesys CA")

    with pytest.raises(CommandError, match=r"cannot write .*/missing/ca.pem: No such file or directory"):
        call_command("export_store", "Genesys CA", "--out", str(tmp_path / "missing" / "ca.pem"))


# As an operator types them: exit status, standard error, no prompt


def test_the_three_commands_in_a_shell_build_a_keystore_keytool_opens(cli_env, cert_files, tmp_path):
    require(Path(KEYTOOL).exists(), "keytool")
    secret = tmp_path / "jks-password"
    secret.write_text(JKS_PASSWORD + "\n")
    p12_secret = tmp_path / "p12-password"
    p12_secret.write_text("p12-secret\n")
    keystore = tmp_path / "truststore.jks"

    created = manage("create_store", "Shell JKS", "--provider", "JKS", "--path", "/opt/cb/truststore.jks",
                     "--password-file", secret, env=cli_env)
    imported = manage("import_ca", cert_files["ca.p12"], "--password-file", p12_secret, "--store", "Shell JKS",
                      env=cli_env)
    exported = manage("export_store", "Shell JKS", "--out", keystore, env=cli_env)

    for result in (created, imported, exported):
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
    listing = run_tool(KEYTOOL, "-list", "-keystore", keystore, "-storepass", JKS_PASSWORD).stdout.decode()
    assert "root, " in listing and "trustedCertEntry" in listing
    for output in (created.stdout + imported.stdout + imported.stderr + exported.stdout, listing):
        assert "p12-secret" not in output and JKS_PASSWORD not in output


def test_a_protected_file_without_a_password_file_is_an_error_never_a_prompt(cli_env, cert_files):
    result = manage("import_ca", cert_files["ca.p12"], env=cli_env, timeout=60)

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "CommandError: ca.p12: this PKCS#12 file is protected by a password: give the password "
        "(use --password-file); nothing was imported"
    ]
    assert result.stdout == ""


@pytest.mark.parametrize(
    "args",
    [
        ["export_store", "No such store", "--out", "/tmp/never-written.pem"],
        ["import_ca", "/nonexistent/ca.crt"],
        ["create_store", "Shell JKS without password", "--provider", "JKS", "--path", "/opt/cb/k.jks"],
    ],
)
def test_a_failing_command_exits_1_with_one_line_and_no_traceback(cli_env, args):
    result = manage(*args, env=cli_env)

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith("CommandError: ")
