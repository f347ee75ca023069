"""PKCS#12 and JCEKS files that ask for too much key derivation are refused before any key is derived,
with a message naming the count and the limit; files from the real tools still open.

"Before any key is derived" is observed at the one door to OpenSSL: ``isolation.call_with_cpu_limit``,
through which ``read_upload`` hands a PKCS#12 file to ``load_pkcs12``. A refused file never gets
there. Without the check, the 2³¹−1 files here would hold the test for minutes.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from hypothesis import given, settings
from hypothesis import strategies as st

from security.crypto import CertificateError, ber, isolation, limits, read_upload
from tests.certs import keystore_forge as forge
from tests.crypto.tools import keytool, needs_keytool, needs_openssl, openssl

PASSWORD = "forge-pass"
HUGE = 2**31 - 1


@pytest.fixture(scope="module")
def leaf(cert_files):
    """``(certificate DER, private key)`` of the generated server certificate."""
    key = serialization.load_pem_private_key(cert_files["server.key.pem"].read_bytes(), None)
    cert = x509.load_pem_x509_certificate(cert_files["server.pem"].read_bytes())
    return cert.public_bytes(serialization.Encoding.DER), key


@pytest.fixture
def parses(monkeypatch):
    """Every file that reached the key-deriving parse (the calls are passed on unchanged)."""
    calls = []
    real = isolation.call_with_cpu_limit

    def recording(function, *args, **kwargs):
        calls.append(args[0])
        return real(function, *args, **kwargs)

    monkeypatch.setattr(isolation, "call_with_cpu_limit", recording)
    return calls


def refusal(data: bytes, password: str | None = PASSWORD) -> str:
    with pytest.raises(CertificateError) as raised:
        read_upload(data, password=password, filename="attack.p12")
    return str(raised.value)


def plain_certificates(cert_der: bytes) -> bytes:
    return forge.data_content(forge.cert_bag(cert_der))


# --- the MAC: the attack of the issue --------------------------------------------------------------


@pytest.mark.parametrize(("count", "shown"), [(100_000_000, "100,000,000"), (HUGE, "2,147,483,647"),
                                              (10**250, "of more than 30 digits")], ids=["1e8", "2^31-1", "1e250"])
def test_a_huge_mac_iteration_count_is_refused_before_any_key_is_derived(leaf, parses, count, shown):
    attack = forge.pfx([plain_certificates(leaf[0])], password=PASSWORD, mac_iterations=count, compute_mac=False)

    message = refusal(attack)

    assert message == (
        f"the file \"attack.p12\" is refused: the iteration count {shown} of its integrity check (MAC) is above "
        "the limit of 1,000,000 (OpenSSL writes 2,048, Java's keytool 10,000 to 200,000): export it again with "
        "the tool's default settings"
    )
    assert parses == []


def test_the_count_is_refused_whatever_the_password(leaf, parses):
    attack = forge.pfx([plain_certificates(leaf[0])], password=PASSWORD, mac_iterations=HUGE, compute_mac=False)

    for password in (None, "", "wrong", PASSWORD):
        assert "iteration count 2,147,483,647" in refusal(attack, password)
    assert parses == []


# --- every other place a count can sit -------------------------------------------------------------


def _pbes2(count: int) -> bytes:
    return forge.pbes2_algorithm(os.urandom(16), count, os.urandom(16))


def _legacy_3des(count: int) -> bytes:
    return forge.seq(forge.oid(forge.OID_PBE_SHA1_3DES), forge.seq(forge.octets(os.urandom(8)), forge.integer(count)))


def _noise_key_bag(algorithm: bytes) -> bytes:
    return forge.shrouded_key_bag(algorithm, os.urandom(64))


PLACES = {
    "encrypted certificates (PBES2)": (
        lambda der: [forge.encrypted_content(forge.cert_bag(der), password=PASSWORD, iterations=1,
                                             algorithm=_pbes2(HUGE))],
        "of its encrypted certificates"),
    "encrypted certificates (PKCS#12 3DES)": (
        lambda der: [forge.encrypted_content(forge.cert_bag(der), password=PASSWORD, iterations=1,
                                             algorithm=_legacy_3des(HUGE))],
        "of its encrypted certificates"),
    "shrouded key bag": (
        lambda der: [plain_certificates(der), forge.data_content(_noise_key_bag(_pbes2(HUGE)))],
        "of its encrypted private key"),
    "key bag nested in a safe contents bag": (
        lambda der: [plain_certificates(der),
                     forge.data_content(forge.safe_contents_bag(forge.safe_contents_bag(
                         _noise_key_bag(_legacy_3des(HUGE)))))],
        "of its encrypted private key"),
}


@pytest.mark.parametrize("place", list(PLACES))
def test_a_huge_count_anywhere_visible_is_refused(leaf, parses, place):
    contents, words = PLACES[place]
    attack = forge.pfx(contents(leaf[0]), password=PASSWORD)

    message = refusal(attack)

    assert f"the iteration count 2,147,483,647 {words} is above the limit of 1,000,000" in message
    assert parses == []


def test_a_huge_pbmac1_count_is_refused(leaf, parses):
    attack = forge.pfx([plain_certificates(leaf[0])], password=PASSWORD, mac_iterations=HUGE, pbmac1=True,
                       compute_mac=False)

    assert "2,147,483,647 of its integrity check (PBMAC1)" in refusal(attack)
    assert parses == []


def test_a_pbmac1_file_at_an_ordinary_count_opens(leaf):
    # OpenSSL 3.4+ and RFC 9579: the MAC key comes from PBKDF2.
    data = forge.pfx([plain_certificates(leaf[0])], password=PASSWORD, mac_iterations=10_000, pbmac1=True)

    assert len(read_upload(data, password=PASSWORD).certificates) == 1
    with pytest.raises(CertificateError, match="the password does not open"):
        read_upload(data, password="wrong")


def test_counts_within_the_limit_that_add_up_past_the_file_budget_are_refused(leaf, parses):
    parts = [forge.encrypted_content(forge.cert_bag(leaf[0]), password=PASSWORD, iterations=1,
                                     algorithm=_pbes2(900_000)) for _ in range(4)]
    attack = forge.pfx(parts, password=PASSWORD, mac_iterations=2048, compute_mac=False)

    assert refusal(attack) == (
        "the file \"attack.p12\" is refused: its 5 key derivations add up to 3,602,048 iterations, above the limit "
        "of 3,000,000 for one file: export it again with the tool's default settings"
    )
    assert parses == []


def test_thousands_of_encrypted_parts_at_one_iteration_each_stay_within_the_budget_and_open(leaf):
    # The budget counts iterations, not parts: many cheap parts are an ordinary (if odd) file.
    parts = [forge.encrypted_content(forge.cert_bag(leaf[0]), password=PASSWORD, iterations=1) for _ in range(2000)]

    assert len(read_upload(forge.pfx(parts, password=PASSWORD), password=PASSWORD).certificates) == 1


@pytest.mark.parametrize(
    ("kdf", "words"),
    [(forge.scrypt_kdf(os.urandom(16), 2**14, 8, HUGE), "the scrypt key derivation"),
     (forge.seq(forge.oid("1.2.3.4"), forge.null()), "key derivation 1.2.3.4")],
    ids=["scrypt", "unknown-oid"],  # the scrypt salt is random: an id made of it differs per process (pytest-xdist)
)
def test_a_scheme_whose_cost_cannot_be_read_is_refused_as_unreadable(leaf, parses, kdf, words):
    algorithm = forge.pbes2_algorithm(b"", 0, os.urandom(16), kdf=kdf)
    attack = forge.pfx([forge.encrypted_content(forge.cert_bag(leaf[0]), password=PASSWORD, iterations=1,
                                                algorithm=algorithm)], password=PASSWORD)

    assert refusal(attack) == (
        f"the file \"attack.p12\" is a PKCS#12 file protected with an algorithm this console cannot read ({words}): "
        "export it again with AES encryption"
    )
    assert parses == []


def test_a_file_with_indefinite_lengths_is_checked_like_its_der_twin(leaf, parses):
    der, key = leaf
    ordinary = forge.ordinary_pfx(der, key, password=PASSWORD, indefinite=True)
    attack = forge.ordinary_pfx(der, key, password=PASSWORD, mac_iterations=HUGE, compute_mac=False, indefinite=True)
    assert ordinary[1] == 0x80 and attack[1] == 0x80

    assert len(read_upload(ordinary, password=PASSWORD).certificates) == 1
    assert "2,147,483,647 of its integrity check (MAC)" in refusal(attack)
    assert len(parses) == 1  # the ordinary one only


def test_a_structure_with_too_many_parts_is_refused_before_it_is_walked_through(leaf, parses):
    bag = forge.seq(forge.oid("1.2.3"), forge.explicit(0, forge.null()))
    attack = forge.pfx([forge.data_content(*[bag] * (ber.MAX_ELEMENTS // 2))], password=PASSWORD)

    assert "the structure has more than 50,000 parts to check" in refusal(attack)
    assert parses == []


def test_a_damaged_structure_is_refused_in_one_line(leaf, parses):
    # The AuthenticatedSafe inside the OCTET STRING is cut short.
    truncated = forge.seq(plain_certificates(leaf[0]))[:-5]
    authenticated_safe = forge.seq(forge.oid(forge.OID_DATA), forge.explicit(0, forge.octets(truncated)))
    damaged = forge.seq(forge.integer(3), authenticated_safe)

    assert refusal(damaged) == (
        "the file \"attack.p12\" is a damaged PKCS#12 file: the data is truncated: an element is longer than what "
        "contains it"
    )
    assert parses == []


# --- what the check cannot see: the CPU limit ------------------------------------------------------


def test_a_key_bag_hidden_in_an_encrypted_part_is_stopped_by_the_cpu_limit(leaf, monkeypatch):
    # The key bag's count is only visible after decryption: OpenSSL starts deriving 2^31-1 iterations.
    monkeypatch.setattr(isolation, "CPU_SECONDS", 1)
    hidden = forge.pfx([forge.encrypted_content(forge.cert_bag(leaf[0]), _noise_key_bag(_pbes2(HUGE)),
                                                password=PASSWORD, iterations=2048)], password=PASSWORD)
    assert [d.iterations for d in limits.pkcs12_derivations(hidden)] == [2048, 2048]

    assert refusal(hidden) == (
        "the file \"attack.p12\" is refused: opening it needed more than 1 s of computation (a hidden key "
        "derivation?): export it again with the tool's default settings"
    )


def test_the_cpu_limit_returns_results_and_exceptions_of_the_child():
    assert isolation.call_with_cpu_limit(divmod, 17, 5) == (3, 2)
    with pytest.raises(ZeroDivisionError):
        isolation.call_with_cpu_limit(divmod, 1, 0)
    with pytest.raises(isolation.ChildFailed):
        isolation.call_with_cpu_limit(os._exit, 3)


def _spin() -> None:
    while True:
        pass


def test_the_cpu_limit_stops_a_computation_that_does_not_end():
    with pytest.raises(isolation.TimeLimitExceeded):
        isolation.call_with_cpu_limit(_spin, cpu_seconds=1)


# --- files from the real tools still open ----------------------------------------------------------


def _openssl_counts(path: Path, password: str, *options: str) -> list[int]:
    info = openssl("pkcs12", "-in", path, "-info", "-noout", "-passin", f"pass:{password}", *options).stderr.decode()
    return [int(n) for n in re.findall(r"Iteration (\d+)", info)]


@needs_openssl
@pytest.mark.parametrize(("label", "options"), [("default", []), ("legacy", ["-legacy"]),
                                                ("at the limit", ["-iter", "1000000"])])
def test_openssl_files_open_and_we_read_the_counts_openssl_shows(cert_files, tmp_path, label, options):
    out = tmp_path / "openssl.p12"
    openssl("pkcs12", "-export", "-in", cert_files["server.pem"], "-inkey", cert_files["server.key.pem"],
            "-passout", f"pass:{PASSWORD}", "-out", out, *options)
    data = out.read_bytes()

    ours = sorted(d.iterations for d in limits.pkcs12_derivations(data))

    assert ours == sorted(_openssl_counts(out, PASSWORD, *[o for o in options if o == "-legacy"]))
    parsed = read_upload(data, password=PASSWORD)
    assert parsed.kind == "pkcs12" and parsed.private_key_found and len(parsed.certificates) == 1


@needs_openssl
def test_an_openssl_file_one_iteration_above_the_limit_is_refused(cert_files, tmp_path, parses):
    out = tmp_path / "above.p12"
    openssl("pkcs12", "-export", "-in", cert_files["server.pem"], "-inkey", cert_files["server.key.pem"],
            "-passout", f"pass:{PASSWORD}", "-out", out, "-iter", "1000001")

    assert "the iteration count 1,000,001 of its integrity check (MAC)" in refusal(out.read_bytes())
    assert parses == []


@needs_keytool
@pytest.mark.parametrize("store_type", ["pkcs12", "jceks", "jks"])
def test_keytool_keystores_with_a_key_open(tmp_path, store_type):
    out = tmp_path / f"k.{store_type}"
    keytool("-genkeypair", "-alias", "k", "-keyalg", "EC", "-dname", "CN=keytool", "-validity", "30",
            "-storetype", store_type, "-keystore", out, "-storepass", PASSWORD, "-keypass", PASSWORD)

    parsed = read_upload(out.read_bytes(), password=PASSWORD)

    assert parsed.private_key_found and len(parsed.certificates) == 1


def test_cryptography_files_open(leaf):
    der, key = leaf
    data = pkcs12.serialize_key_and_certificates(b"k", key, x509.load_der_x509_certificate(der), None,
                                                 serialization.BestAvailableEncryption(PASSWORD.encode()))

    assert [d.iterations for d in limits.pkcs12_derivations(data)] == [2048, 20000, 20000]
    assert len(read_upload(data, password=PASSWORD).certificates) == 1


# --- JCEKS and the keystores the console does not read ---------------------------------------------


@pytest.fixture(scope="module")
def chain(cert_files):
    return [x509.load_pem_x509_certificate(cert_files["server.pem"].read_bytes()).public_bytes(
        serialization.Encoding.DER)]


def test_a_jceks_key_entry_with_a_huge_count_is_refused(chain):
    attack = forge.jceks([("k", forge.jceks_encrypted_key(HUGE), chain)], PASSWORD)

    with pytest.raises(CertificateError) as raised:
        read_upload(attack, password=PASSWORD)

    assert str(raised.value).startswith(
        "this JCEKS keystore is refused: the iteration count 2,147,483,647 of its encrypted private key is above "
        "the limit of 1,000,000")


def test_a_jceks_key_entry_at_javas_default_count_is_read(chain):
    store = forge.jceks([("k", forge.jceks_encrypted_key(200_000), chain)], PASSWORD)

    parsed = read_upload(store, password=PASSWORD)

    assert parsed.private_key_found and parsed.aliases == ("k",)


def test_an_uber_keystore_with_a_huge_count_is_not_read_as_a_keystore():
    # BKS/UBER (Bouncy Castle) derive a key for the whole store on load; the console does not read
    # them at all: version 1, a salt, then the iteration count.
    uber = (1).to_bytes(4, "big") + (20).to_bytes(4, "big") + os.urandom(20) + HUGE.to_bytes(4, "big") + os.urandom(64)

    with pytest.raises(CertificateError, match="is not a certificate format this console knows"):
        read_upload(uber, password=PASSWORD)


# --- the reader itself -----------------------------------------------------------------------------


def test_the_object_identifiers_are_those_of_the_standards():
    def content(dotted: str) -> bytes:
        return forge.oid(dotted)[2:]

    assert limits._OID_DATA == content(forge.OID_DATA)
    assert limits._OID_ENCRYPTED_DATA == content(forge.OID_ENCRYPTED_DATA)
    assert limits._OID_SHROUDED_KEY_BAG == content(forge.OID_SHROUDED_KEY_BAG)
    assert limits._OID_SAFE_CONTENTS_BAG == content(forge.OID_SAFE_CONTENTS_BAG)
    assert limits._OID_PBES2 == content(forge.OID_PBES2)
    assert limits._OID_PBKDF2 == content(forge.OID_PBKDF2)
    assert limits._OID_PBMAC1 == content(forge.OID_PBMAC1)
    assert limits._OID_SCRYPT == content(forge.OID_SCRYPT)
    expected = {content(f"1.2.840.113549.1.12.1.{n}") for n in range(1, 7)}
    expected |= {content(f"1.2.840.113549.1.5.{n}") for n in (1, 3, 4, 6, 10, 11)}
    expected.add(content(forge.OID_JCEKS_KEY_PROTECTION))
    assert limits._SALT_AND_COUNT_ALGORITHMS == expected


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_the_reader_answers_any_bytes_with_a_structure_or_its_one_error(data):
    try:
        limits.pkcs12_derivations(data)
    except CertificateError as error:
        assert "\n" not in str(error)
