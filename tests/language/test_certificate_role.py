"""Root, intermediate or leaf: what a certificate is in a chain of trust, computed from real
certificates (tests/certs/make_certs.py) and shown in the upload preview with subject and issuer."""

import re

import pytest

from security.crypto.identity import INTERMEDIATE, LEAF, ROOT, certificate_role
from security.crypto.parse import read_upload
from tests.certs.make_certs import INTERMEDIATE_CN, ROOT_CN
from tests.library.conftest import text_of


def role_of(cert_files, name: str) -> str:
    details = read_upload(cert_files[name].read_bytes()).details[0]
    return certificate_role(is_ca=details.is_ca, self_signed=details.self_signed)


@pytest.mark.parametrize(("name", "role"), [
    ("ca.pem", ROOT), ("ca.crt", ROOT), ("other-ca.pem", ROOT), ("ec-ca.pem", ROOT), ("expired-ca.pem", ROOT),
    ("intermediate.pem", INTERMEDIATE), ("intermediate.crt", INTERMEDIATE),
    ("server.pem", LEAF), ("leaf-nonca.pem", LEAF), ("wronghost-server.pem", LEAF),
])
def test_each_test_certificate_gets_its_role(cert_files, name, role):
    assert role_of(cert_files, name) == role


def test_a_self_signed_certificate_that_is_not_a_ca_is_a_leaf():
    assert certificate_role(is_ca=False, self_signed=True) == LEAF
    assert certificate_role(is_ca=False, self_signed=False) == LEAF


def test_a_chain_file_gives_each_certificate_its_own_role(cert_files):
    chain = read_upload(cert_files["server-chain.pem"].read_bytes()).details
    assert [certificate_role(is_ca=d.is_ca, self_signed=d.self_signed) for d in chain] == [LEAF, INTERMEDIATE]


def preview_rows(html: str) -> list[dict[str, str]]:
    rows = []
    for row in re.findall(r'<tr class="[^"]*" data-role="(\w+)">(.*?)</tr>', html, flags=re.S):
        role, body = row
        fields = dict(re.findall(r'data-field="(\w+)">([^<]*)<', body))
        rows.append({**fields, "kind": role})
    return rows


@pytest.mark.django_db
def test_the_upload_preview_shows_subject_issuer_and_role(client_as, upload):
    response = upload(client_as("security"), "bundle.pem", "server.pem")
    rows = preview_rows(text_of(response))

    assert [r["kind"] for r in rows] == [ROOT, INTERMEDIATE, LEAF]
    assert [r["role"] for r in rows] == ["root CA (self-signed)", "intermediate CA", "leaf (not a CA)"]
    root, intermediate, leaf = rows
    assert ROOT_CN in root["subject"] and ROOT_CN in root["issuer"]
    assert INTERMEDIATE_CN in intermediate["subject"] and ROOT_CN in intermediate["issuer"]
    assert INTERMEDIATE_CN in leaf["issuer"] and leaf["subject"] != leaf["issuer"]
