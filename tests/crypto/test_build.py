"""The trusted-store files built from stored DER certificates."""

from __future__ import annotations

import datetime as dt

import certifi
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from security.crypto import (
    CertificateError,
    build_der,
    build_jks,
    build_p7b,
    build_pem,
    jks_aliases,
    read_jks,
    read_upload,
)
from tests.crypto.tools import fingerprints

# One root in certifi has serial number 0, which cryptography still loads but warns about.
pytestmark = pytest.mark.filterwarnings("ignore:Parsed a serial number:UserWarning")


@pytest.fixture
def chain_der(cert_bytes) -> list[bytes]:
    return [cert_bytes("ca.crt"), cert_bytes("intermediate.crt")]


@pytest.fixture(scope="module")
def certifi_der() -> list[bytes]:
    with open(certifi.where(), "rb") as handle:
        certs = x509.load_pem_x509_certificates(handle.read())
    return [cert.public_bytes(Encoding.DER) for cert in certs]


def test_it_builds_pem_as_the_concatenation_of_each_certificate(cert_bytes, chain_der):
    assert build_pem(chain_der) == cert_bytes("ca.pem") + cert_bytes("intermediate.pem")


def test_it_builds_a_pem_store_that_reads_back_in_order(chain_der):
    parsed = read_upload(build_pem(chain_der))

    assert [cert.public_bytes(Encoding.DER) for cert in parsed.certificates] == chain_der


def test_it_refuses_to_build_a_store_without_certificates():
    with pytest.raises(CertificateError, match="no certificate"):
        build_pem([])


def test_it_refuses_to_build_from_damaged_der(cert_bytes):
    with pytest.raises(CertificateError):
        build_pem([cert_bytes("truncated.der")])


def test_it_wants_a_sequence_not_one_bytes_object(cert_bytes):
    with pytest.raises(TypeError):
        build_pem(cert_bytes("ca.crt"))


def test_it_names_the_first_alias_root_and_the_others_after_their_common_name(chain_der):
    assert jks_aliases(chain_der) == ["root", "co-browse-test-intermediate-ca"]


def test_it_keeps_aliases_unique_and_never_reuses_root(cert_bytes):
    ders = [
        cert_bytes("ca.crt"),
        cert_bytes("ca.crt"),  # same CN as the first: "root" is taken by position, not by name
        cert_bytes("intermediate.crt"),
        cert_bytes("intermediate.crt"),
        cert_bytes("intermediate.crt"),
    ]

    assert jks_aliases(ders) == [
        "root",
        "co-browse-test-root-ca",
        "co-browse-test-intermediate-ca",
        "co-browse-test-intermediate-ca-2",
        "co-browse-test-intermediate-ca-3",
    ]


def test_aliases_are_lower_case_ascii_slugs_for_the_whole_certifi_bundle(certifi_der):
    aliases = jks_aliases(certifi_der)

    assert aliases[0] == "root"
    assert len(set(aliases)) == len(aliases)
    for alias in aliases:
        assert alias == alias.lower()
        assert alias.isascii()
        assert alias.replace("-", "").isalnum()
    assert jks_aliases(certifi_der) == aliases  # deterministic


def test_it_builds_a_jks_that_reads_back_with_its_aliases(chain_der):
    store = build_jks(chain_der, "store-secret")
    parsed = read_jks(store, "store-secret")

    assert parsed.kind == "jks"
    assert parsed.aliases == ("root", "co-browse-test-intermediate-ca")
    assert [cert.public_bytes(Encoding.DER) for cert in parsed.certificates] == chain_der
    assert parsed.private_key_found is False


def test_it_uses_given_aliases_lower_cased(chain_der):
    store = build_jks(chain_der, "store-secret", aliases=["Root", "Issuing"])

    assert read_jks(store, "store-secret").aliases == ("root", "issuing")


def test_it_rejects_aliases_that_collide_once_lower_cased(chain_der):
    with pytest.raises(CertificateError, match="unique"):
        build_jks(chain_der, "store-secret", aliases=["root", "ROOT"])


def test_it_rejects_an_empty_keystore_password(chain_der):
    with pytest.raises(CertificateError, match="needs a password"):
        build_jks(chain_der, "")


def test_the_same_store_built_twice_at_a_fixed_time_is_byte_identical(chain_der):
    moment = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)

    assert build_jks(chain_der, "pw-123456", created_at=moment) == build_jks(chain_der, "pw-123456", created_at=moment)


def test_it_builds_the_der_cer_file_for_mscapi(cert_bytes):
    assert build_der(cert_bytes("ca.crt")) == cert_bytes("ca.crt")


def test_it_builds_a_p7b_that_reads_back(chain_der):
    parsed = read_upload(build_p7b(chain_der))

    assert parsed.kind == "pkcs7"
    assert fingerprints(parsed.certificates) == fingerprints(x509.load_der_x509_certificate(der) for der in chain_der)


def test_it_reads_the_chain_of_a_jks_key_entry_and_flags_the_key(cert_bytes):
    import jks
    from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat, load_pem_private_key

    key = load_pem_private_key(cert_bytes("server.key.pem"), None)
    pkcs8 = key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
    server_der = read_upload(cert_bytes("server.pem")).certificates[0].public_bytes(Encoding.DER)
    entry = jks.PrivateKeyEntry.new("server", [server_der, cert_bytes("intermediate.crt")], pkcs8)
    trusted = jks.TrustedCertEntry.new("root", cert_bytes("ca.crt"))
    store = jks.KeyStore.new("jks", [entry, trusted]).saves("store-secret")

    parsed = read_upload(store, password="store-secret")

    assert parsed.private_key_found is True
    assert parsed.aliases == ("server", "server", "root")
    assert len(parsed.certificates) == 3
