"""POST /api/v1/certificates/fetch/: the chain a server presents, as the browser's fetch page shows it
(issue 15.3), a dry run that saves nothing. Real TLS servers on 127.0.0.1."""


import pytest

from applications.models import AuditEvent
from security.models import Certificate
from tests.certs.make_certs import INTERMEDIATE_CN, ROOT_CN
from tests.certs.tls_server import closed_port, tls_server

pytestmark = pytest.mark.django_db

FETCH = "/api/v1/certificates/fetch/"


def test_the_presented_chain_is_answered_and_nothing_is_saved(api, cert_files):
    events = AuditEvent.objects.count()
    with tls_server(cert_files["server-chain.pem"], cert_files["server.key.pem"]) as port:
        response = api("security").post(FETCH, {"host": "127.0.0.1", "port": port})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["endpoint"] == f"127.0.0.1:{port}" and body["server_name"] == "127.0.0.1"
    assert [(c["role"], c["importable"]) for c in body["certificates"]] == [("leaf", False), ("intermediate", True)]
    assert body["certificates"][1]["common_name"] == INTERMEDIATE_CN
    assert len(body["certificates"][1]["fingerprint_sha256"]) == 64
    assert body["sent_root"] is False and ROOT_CN in body["missing_root_issuer"]
    assert Certificate.objects.count() == 0 and AuditEvent.objects.count() == events


@pytest.mark.parametrize(("body", "field", "message"), [
    ({"host": "127.0.0.1", "port": "closed"}, "non_field_errors", "refused the connection"),
    ({"host": "no-such-host.invalid", "port": 443}, "host", "cannot be resolved"),
    ({"host": "127.0.0.1", "port": 70000}, "port", "A port is a number from 1 to 65535."),
])
def test_an_unreachable_endpoint_is_a_400_saying_why(api, body, field, message):
    if body["port"] == "closed":
        body = {**body, "port": closed_port()}
    response = api("security").post(FETCH, body)
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert message in str(response.json()), response.json()
    assert field in str(response.json())


@pytest.mark.parametrize("role", ["viewer", "operator", None])
def test_only_the_security_officer_fetches(api, role):
    response = api(role).post(FETCH, {"host": "127.0.0.1", "port": closed_port()})
    assert response.status_code in (401, 403)
