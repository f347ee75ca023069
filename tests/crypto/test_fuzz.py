"""Whatever the bytes, read_upload answers with certificates or a CertificateError, nothing else."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from security.crypto import CertificateError, ParsedUpload, build_jks, read_upload
from tests.certs.make_certs import P12_PASSWORD

JKS_PASSWORD = "jks-secret"
SECRET = "Zq9-very-distinctive-secret"

# FUZZ_EXAMPLES=20000 for a longer hunt; the default keeps the suite quick.
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

passwords = (
    st.none() | st.text(max_size=20) | st.sampled_from(["", P12_PASSWORD, JKS_PASSWORD, "\ud800", "\x00", "pässwörd"])
)

SAMPLE_NAMES = [
    "ca.crt",
    "ca.pem",
    "bundle.pem",
    "ca.p12",
    "ca-nopass.p12",
    "ca.p7b",
    "ca-p7b.pem",
    "server-with-key.pem",
    "encrypted-rsa-key.pem",
    "ed25519-ca.pem",
]


@pytest.fixture(scope="module")
def samples(cert_bytes) -> dict[str, bytes]:
    files = {name: cert_bytes(name) for name in SAMPLE_NAMES}
    files["store.jks"] = build_jks([cert_bytes("ca.crt"), cert_bytes("intermediate.crt")], JKS_PASSWORD)
    return files


def outcome(data: bytes, password: str | None) -> ParsedUpload | CertificateError:
    try:
        parsed = read_upload(data, password=password, filename="upload.bin")
    except CertificateError as error:
        assert "\n" not in str(error)
        assert str(error)
        return error
    assert isinstance(parsed, ParsedUpload)
    assert parsed.certificates, "a result always holds at least one certificate"
    return parsed


@FUZZ
@given(data=st.binary(max_size=4096), password=passwords)
def test_arbitrary_bytes_give_only_certificate_errors(data, password):
    outcome(data, password)


@FUZZ
@given(
    prefix=st.sampled_from(
        [
            b"\xfe\xed\xfe\xed\x00\x00\x00\x02",  # JKS
            b"\xce\xce\xce\xce\x00\x00\x00\x02",  # JCEKS
            b"\x30\x82",
            b"\x30\x80",  # BER indefinite length
            b"\x30\x82\x01\x00\x02\x01\x03\x30",  # PFX-shaped
            b"\x30\x82\x01\x00\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02",  # PKCS#7-shaped
            b"-----BEGIN CERTIFICATE-----\n",
            b"-----BEGIN PKCS7-----\n",
            b"Bag Attributes\n",
        ]
    ),
    rest=st.binary(max_size=2048),
    password=passwords,
)
def test_bytes_that_start_like_a_known_format_give_only_certificate_errors(prefix, rest, password):
    outcome(prefix + rest, password)


pem_lines = st.sampled_from(
    [
        "-----BEGIN CERTIFICATE-----",
        "-----END CERTIFICATE-----",
        "-----BEGIN PKCS7-----",
        "-----END PKCS7-----",
        "-----BEGIN TRUSTED CERTIFICATE-----",
        "-----END TRUSTED CERTIFICATE-----",
        "-----BEGIN ENCRYPTED PRIVATE KEY-----",
        "-----END ENCRYPTED PRIVATE KEY-----",
        "Proc-Type: 4,ENCRYPTED",
        "Bag Attributes",
        "    friendlyName: x",
        "subject=CN = x",
        "# comment",
        "",
        "MIIB",
        "MAMCAQM=",
        "====",
    ]
) | st.text(max_size=80)


@FUZZ
@given(lines=st.lists(pem_lines, max_size=30), password=passwords)
def test_pem_like_text_gives_only_certificate_errors(lines, password):
    outcome("\n".join(lines).encode("utf-8", "surrogatepass"), password)


@FUZZ
@given(
    name=st.sampled_from([*SAMPLE_NAMES, "store.jks"]),
    edits=st.lists(
        st.tuples(
            st.sampled_from(["flip", "truncate", "insert", "delete"]),
            st.integers(min_value=0, max_value=10_000),
            st.binary(min_size=1, max_size=8),
        ),
        min_size=1,
        max_size=4,
    ),
    password=st.sampled_from([None, P12_PASSWORD, JKS_PASSWORD, "wrong"]),
)
def test_damaged_real_files_give_only_certificate_errors(samples, name, edits, password):
    data = bytearray(samples[name])
    for operation, position, payload in edits:
        if not data:
            break
        at = position % len(data)
        if operation == "flip":
            data[at] ^= payload[0] or 0x01
        elif operation == "truncate":
            del data[at:]
        elif operation == "insert":
            data[at:at] = payload
        else:
            del data[at : at + len(payload)]

    outcome(bytes(data), password)


@FUZZ
@given(data=st.binary(max_size=512))
def test_error_messages_never_contain_the_password(samples, data):
    for candidate in (data, samples["ca.p12"], samples["store.jks"], samples["ca.p12"][:100]):
        result = outcome(candidate, SECRET)
        if isinstance(result, CertificateError):
            assert SECRET not in str(result)
            assert SECRET not in repr(result)
