"""Certificates over the API: upload (dry-run preview, then import) through the browser's upload form
and import service, downloads, delete with If-Match. Real certificates from tests/certs."""

import pytest
from django.urls import reverse

from applications.models import AuditEvent
from security.certificates import certificate_file
from security.models import Certificate, StoreVersion, TrustedStore
from security.stores import store_save

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
UPLOAD = "/api/v1/certificates/upload/"
P12_PASSWORD = "p12-secret"  # tests/certs/make_certs.py


def upload(api, username, cert_files, *names, **fields):
    """A multipart upload as a script sends it (requests' ``files=``), with the role's token."""
    client = api(username)
    files = [open(cert_files[name], "rb") for name in names]  # noqa: SIM115 - closed below
    try:
        data = {"files": files, **{k: ("true" if v is True else "false" if v is False else v)
                                   for k, v in fields.items()}}
        return client.client.post(UPLOAD, data=data, headers=client.headers)
    finally:
        for f in files:
            f.close()


def test_a_dry_run_previews_what_would_be_imported_and_saves_nothing(api, cert_files):
    response = upload(api, "security", cert_files, "ca.pem", "leaf-nonca.pem", dry_run=True)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["dry_run"] is True and body["created"] == []
    assert [f["filename"] for f in body["files"]] == ["ca.pem", "leaf-nonca.pem"]
    found = [c for f in body["files"] for c in f["certificates"]]
    assert [c["common_name"] for c in found] == ["Co-browse Test Root CA", found[1]["common_name"]]
    assert found[0]["warnings"] == [] and found[0]["role"] == "root"
    assert any("not a CA" in w for w in found[1]["warnings"])
    assert (body["importable"], body["warned_new"]) == (2, 1)
    assert not Certificate.objects.exists() and not AuditEvent.objects.filter(object_type="certificate").exists()


def test_the_preview_says_what_is_already_in_the_library(api, cert_files):
    upload(api, "security", cert_files, "ca.pem")
    body = upload(api, "security", cert_files, "bundle.pem", dry_run=True).json()
    existing = {c["common_name"]: c["existing_id"] for c in body["files"][0]["certificates"]}
    assert existing["Co-browse Test Root CA"] == Certificate.objects.get().pk
    assert body["importable"] == 1


def test_the_import_writes_the_certificates_and_the_audit_events_the_form_writes(api, cert_files):
    response = upload(api, "security", cert_files, "bundle.pem")
    assert response.status_code == 201, response.content
    body = response.json()
    assert len(body["created"]) == 2 and body["already_present"] == [] and body["skipped_with_warnings"] == 0
    assert set(body["created"]) == set(Certificate.objects.values_list("pk", flat=True))
    events = AuditEvent.objects.filter(object_type="certificate", action="import").order_by("id")
    assert [(e.actor_name, e.object_id, e.message) for e in events] == [
        ("security", str(pk), "from bundle.pem (pem)") for pk in body["created"]]
    # Again: nothing new, both already present.
    again = upload(api, "security", cert_files, "bundle.pem").json()
    assert again["created"] == [] and sorted(again["already_present"]) == sorted(body["created"])


def test_certificates_with_warnings_are_imported_only_when_accepted(api, cert_files):
    body = upload(api, "security", cert_files, "ca.pem", "expired-ca.pem").json()
    assert len(body["created"]) == 1 and body["skipped_with_warnings"] == 1
    assert not Certificate.objects.filter(common_name__icontains="expired").exists()
    body = upload(api, "security", cert_files, "expired-ca.pem", accept_warnings=True).json()
    assert len(body["created"]) == 1
    assert Certificate.objects.filter(pk=body["created"][0], not_after__isnull=False).exists()


def test_an_import_into_a_store_adds_them_and_makes_a_store_version(api, cert_files, users):
    store = store_save(store=TrustedStore(name="Genesys CA", provider="PEM", path="/opt/genesys/certs/ca.pem"),
                       certificates=[], password=None, actor=users["security"])
    response = upload(api, "security", cert_files, "ca.pem", store=store.pk)
    assert response.status_code == 201, response.content
    assert response.json()["store"] == store.pk
    assert list(store.entries.values_list("certificate_id", flat=True)) == response.json()["created"]
    assert StoreVersion.objects.filter(store=store).count() == 2
    assert AuditEvent.objects.filter(object_type="store", object_id=str(store.pk), action="update").exists()


def test_the_pkcs12_password_reads_the_file_and_is_never_answered(api, cert_files):
    responses = [upload(api, "security", cert_files, "ca.p12", password="wrong", dry_run=True),
                 upload(api, "security", cert_files, "ca.p12", dry_run=True),
                 upload(api, "security", cert_files, "ca.p12", password=P12_PASSWORD)]
    assert [r.status_code for r in responses] == [400, 400, 201]
    assert "password" in responses[0].json()["errors"] and "password" in responses[1].json()["errors"]
    assert responses[2].json()["files"][0]["private_key_found"] is True
    for response in responses:
        assert P12_PASSWORD not in response.content.decode() and "wrong" not in response.content.decode()
    assert not AuditEvent.objects.filter(message__contains=P12_PASSWORD).exists()


@pytest.mark.parametrize("name", ["empty.crt", "server.key.pem", "encrypted-key.pem"])
def test_a_file_without_a_certificate_is_a_400_problem_never_a_500(api, cert_files, name):
    response = upload(api, "security", cert_files, name)
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == PROBLEM
    assert response.json()["errors"]
    assert not Certificate.objects.exists()


def test_garbage_bytes_are_a_400_problem(api, tmp_path):
    junk = tmp_path / "junk.crt"
    junk.write_bytes(bytes(range(256)) * 40)
    response = upload(api, "security", {"junk.crt": junk}, "junk.crt")
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM
    assert "junk.crt" in response.json()["errors"]["files"][0]


def test_a_file_over_the_size_limit_is_a_400_problem(api, cert_files, settings):
    settings.CERTIFICATE_UPLOAD_MAX_BYTES = 100
    response = upload(api, "security", cert_files, "ca.pem")
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM
    assert "CERTIFICATE_UPLOAD_MAX_BYTES" in response.json()["errors"]["files"][0]
    assert not Certificate.objects.exists()


def test_an_upload_without_files_or_as_json_is_refused(api):
    client = api("security")
    assert client.client.post(UPLOAD, data={"dry_run": "true"}, headers=client.headers).status_code == 400
    response = client.post(UPLOAD, {"files": []})
    assert response.status_code == 415 and response["Content-Type"] == PROBLEM


def test_an_unknown_store_is_a_field_error(api, cert_files):
    response = upload(api, "security", cert_files, "ca.pem", store=999999)
    assert response.status_code == 400 and "store" in response.json()["errors"]


@pytest.mark.parametrize("username", ["viewer", "operator"])
def test_only_a_security_officer_uploads(api, cert_files, username):
    response = upload(api, username, cert_files, "ca.pem", dry_run=True)
    assert response.status_code == 403 and "Security officer" in response.json()["detail"]


@pytest.fixture
def library(api, cert_files):
    upload(api, "security", cert_files, "bundle.pem", "expired-ca.pem", "leaf-nonca.pem", accept_warnings=True)
    return {c.common_name: c for c in Certificate.objects.all()}


def test_a_viewer_lists_and_filters_the_library(api, library):
    client = api("viewer")
    assert client.get("/api/v1/certificates/").json()["count"] == 4
    root = library["Co-browse Test Root CA"]
    by_text = client.get("/api/v1/certificates/?q=root").json()["results"]
    assert [c["id"] for c in by_text] == [root.pk]
    colons = ":".join(root.fingerprint_sha256[i:i + 2] for i in range(0, 16, 2))
    assert [c["id"] for c in client.get(f"/api/v1/certificates/?q={colons}").json()["results"]] == [root.pk]
    not_ca = client.get("/api/v1/certificates/?is_ca=false").json()["results"]
    assert len(not_ca) == 1 and "not a CA certificate (BasicConstraints CA is not set)" in not_ca[0]["warnings"]
    expiring = {c["common_name"] for c in client.get("/api/v1/certificates/?expiring=true").json()["results"]}
    assert any("Expired" in name for name in expiring) and "Co-browse Test Root CA" not in expiring


def test_a_read_names_the_stores_holding_it(api, library, users):
    root = library["Co-browse Test Root CA"]
    store = store_save(store=TrustedStore(name="Genesys CA", provider="PEM", path="/opt/genesys/certs/ca.pem"),
                       certificates=[root], password=None, actor=users["security"])
    body = api("viewer").get(f"/api/v1/certificates/{root.pk}/").json()
    assert body["stores"] == [{"id": store.pk, "name": "Genesys CA"}] and body["store_count"] == 1


@pytest.mark.parametrize("fmt", ["pem", "der"])
def test_a_viewer_downloads_pem_and_der_as_the_browser_does(api, library, client_as, fmt):
    root = library["Co-browse Test Root CA"]
    response = api("viewer").get(f"/api/v1/certificates/{root.pk}/{fmt}/")
    assert response.status_code == 200
    expected = certificate_file(root, fmt)
    assert response.content == expected.content and response["Content-Type"] == expected.content_type
    browser = client_as("viewer").get(reverse("security:certificate_download", args=[root.pk, fmt]))
    assert response.content == browser.content
    assert response["Content-Disposition"] == browser["Content-Disposition"]
    asked = api("viewer").get(f"/api/v1/certificates/{root.pk}/{fmt}/", Accept=expected.content_type)
    assert asked.status_code == 200


def test_a_download_of_no_certificate_is_a_404_problem(api):
    response = api("viewer").get("/api/v1/certificates/999999/pem/", Accept="application/x-pem-file")
    assert response.status_code == 404


def test_delete_needs_if_match_and_writes_the_audit_event(api, library):
    cert = library["Co-browse Test Root CA"]
    client = api("security")
    assert client.delete(f"/api/v1/certificates/{cert.pk}/").status_code == 428
    etag = client.get(f"/api/v1/certificates/{cert.pk}/")["ETag"]
    assert client.delete(f"/api/v1/certificates/{cert.pk}/", **{"If-Match": etag}).status_code == 204
    assert not Certificate.objects.filter(pk=cert.pk).exists()
    event = AuditEvent.objects.get(object_type="certificate", action="delete")
    assert (event.actor_name, event.object_id) == ("security", str(cert.pk))


def test_a_certificate_a_store_took_since_it_was_read_is_412_and_one_in_a_store_409(api, library, users):
    cert = library["Co-browse Test Root CA"]
    client = api("security")
    etag = client.get(f"/api/v1/certificates/{cert.pk}/")["ETag"]
    store_save(store=TrustedStore(name="Genesys CA", provider="PEM", path="/opt/genesys/certs/ca.pem"),
               certificates=[cert], password=None, actor=users["operator"])
    stale = client.delete(f"/api/v1/certificates/{cert.pk}/", **{"If-Match": etag})
    assert stale.status_code == 412 and stale["Content-Type"] == PROBLEM
    current = client.get(f"/api/v1/certificates/{cert.pk}/")["ETag"]
    held = client.delete(f"/api/v1/certificates/{cert.pk}/", **{"If-Match": current})
    assert held.status_code == 409 and "store" in held.json()["detail"]
    assert Certificate.objects.filter(pk=cert.pk).exists()


def test_the_list_takes_the_same_number_of_queries_for_4_or_150_certificates(
        api, library, django_assert_max_num_queries):
    client = api("viewer")
    client.get("/api/v1/certificates/")
    with django_assert_max_num_queries(5) as few:
        assert client.get("/api/v1/certificates/").status_code == 200
    template = library["Co-browse Test Root CA"]
    Certificate.objects.bulk_create(
        Certificate(der=template.der, fingerprint_sha256=f"{i:064x}", subject=f"CN=c{i}", issuer="CN=c",
                    common_name=f"c{i}", serial_hex="01", not_before=template.not_before,
                    not_after=template.not_after, is_ca=True, key_type="RSA") for i in range(150))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/api/v1/certificates/?page=2")
    assert response.status_code == 200 and len(response.json()["results"]) == 54


@pytest.mark.parametrize("query", ["is_ca=null", "expiring=yes", "expiring=unknown"])
def test_a_boolean_filter_takes_true_or_false_only(api, library, query):
    assert api("viewer").get(f"/api/v1/certificates/?{query}").status_code == 400


def test_more_files_than_django_reads_is_a_400_problem(api, cert_files, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    client = api("security")
    data = {"files": [SimpleUploadedFile(f"c{i}.pem", cert_files["ca.pem"].read_bytes()) for i in range(4)]}
    response = client.client.post(UPLOAD, data=data, headers=client.headers)
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM
    assert "DATA_UPLOAD_MAX_NUMBER_FILES" in response.json()["detail"]
    assert not Certificate.objects.exists()
