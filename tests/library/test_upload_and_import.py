"""Uploading CA certificates like a browser does: preview first, then import on confirmation."""

import pytest

from applications.models import AuditEvent
from security.models import Certificate, Provider, StoreEntry, TrustedStore
from security.stores import store_save
from tests.certs.make_certs import INTERMEDIATE_CN, OTHER_CN, ROOT_CN
from tests.library.conftest import UPLOAD_URL, certificate, stored_counts, text_of

pytestmark = pytest.mark.django_db


def preview_rows(response) -> dict[str, list]:
    """File name → the certificates the preview found in it."""
    return {p.filename: p.certificates for p in response.context["previews"]}


def test_the_upload_page_is_for_security_officers_only(client_as, upload):
    assert client_as(None).get(UPLOAD_URL).status_code == 302
    for username in ("viewer", "operator"):
        assert client_as(username).get(UPLOAD_URL).status_code == 403
        assert upload(client_as(username), "ca.crt").status_code == 403
    assert client_as("security").get(UPLOAD_URL).status_code == 200
    assert Certificate.objects.count() == 0


def test_the_preview_shows_each_certificate_before_anything_is_stored(officer, upload):
    before = stored_counts()

    response = upload(officer, "ca.crt", "intermediate.pem", "other-ca.pem")

    assert response.status_code == 200
    assert stored_counts() == before
    html = text_of(response)
    assert "DER certificate" in html and "PEM certificate" in html
    for cn in (ROOT_CN, INTERMEDIATE_CN, OTHER_CN):
        assert cn in html
    found = preview_rows(response)
    assert [c.common_name for c in found["ca.crt"]] == [ROOT_CN]
    assert found["ca.crt"][0].is_ca and not found["ca.crt"][0].warnings
    assert "3 new certificate(s)" in html


def test_confirming_the_preview_imports_the_certificates(officer, upload, confirm):
    upload(officer, "ca.crt", "intermediate.pem")

    response = confirm(officer)

    assert response.status_code == 200
    assert set(Certificate.objects.values_list("common_name", flat=True)) == {ROOT_CN, INTERMEDIATE_CN}
    root = certificate(ROOT_CN)
    assert root.source_kind == "der" and root.source_filename == "ca.crt"
    assert root.is_ca and root.self_signed
    assert root.uploaded_by.username == "security"
    assert "Imported 2 certificate(s)" in text_of(response)
    assert AuditEvent.objects.filter(object_type="certificate", action="import").count() == 2


def test_one_imported_certificate_leads_to_its_page(officer, upload, confirm):
    upload(officer, "ca.crt")

    response = confirm(officer, follow=False)

    assert response.status_code == 302
    assert response["Location"] == certificate(ROOT_CN).get_absolute_url()


def test_several_files_and_a_bundle_in_one_upload(officer, upload, confirm):
    response = upload(officer, "bundle.pem", "other-ca.crt", "ca.p7b")

    found = preview_rows(response)
    assert [c.common_name for c in found["bundle.pem"]] == [ROOT_CN, INTERMEDIATE_CN]
    assert [c.common_name for c in found["other-ca.crt"]] == [OTHER_CN]
    confirm(officer)
    assert Certificate.objects.count() == 3


def test_the_preview_says_when_a_certificate_is_already_in_the_library(officer, upload, confirm):
    upload(officer, "ca.crt")
    confirm(officer)

    response = upload(officer, "ca.pem", "intermediate.crt")

    html = text_of(response)
    assert "already in the library" in html
    found = preview_rows(response)
    assert found["ca.pem"][0].existing_id == certificate(ROOT_CN).pk
    assert found["intermediate.crt"][0].existing_id is None
    assert "1 new certificate(s)" in html


def test_a_duplicate_is_recognised_by_fingerprint_and_not_stored_twice(officer, upload, confirm, cert_bytes):
    upload(officer, "ca.crt")
    confirm(officer)
    events = AuditEvent.objects.count()

    # The same certificate in another format and under another name.
    upload(officer, ("certificateCA.pem", cert_bytes("ca.pem")))
    response = confirm(officer)

    assert Certificate.objects.count() == 1
    assert "Imported 0 certificate(s); 1 were already in the library" in text_of(response)
    assert AuditEvent.objects.count() == events


def test_a_pkcs12_is_read_with_its_password_and_its_key_discarded(officer, upload, confirm):
    response = upload(officer, "ca.p12", password="p12-secret")

    html = text_of(response)
    assert "PKCS#12 file" in html
    assert "A private key was found and discarded" in html
    assert {c.common_name for c in preview_rows(response)["ca.p12"]} == {"localhost", INTERMEDIATE_CN, ROOT_CN}
    confirm(officer, accept_warnings=True)
    assert Certificate.objects.count() == 3
    assert set(Certificate.objects.values_list("source_kind", flat=True)) == {"pkcs12"}


def test_a_pkcs12_without_a_password_needs_none(officer, upload):
    response = upload(officer, "ca-nopass.p12")

    assert [c.common_name for c in preview_rows(response)["ca-nopass.p12"]] == [ROOT_CN]
    assert "private key" not in text_of(response)


def test_a_private_key_in_a_pem_file_is_reported_and_discarded(officer, upload, confirm):
    response = upload(officer, "server-with-key.pem")

    html = text_of(response)
    assert "A private key was found and discarded" in html
    assert [c.common_name for c in preview_rows(response)["server-with-key.pem"]] == ["localhost"]
    confirm(officer, accept_warnings=True)
    assert list(Certificate.objects.values_list("common_name", flat=True)) == ["localhost"]


def test_a_certificate_found_in_two_files_of_one_upload_is_listed_once_and_said_so(officer, upload):
    response = upload(officer, "ca.crt", "bundle.pem")

    found = preview_rows(response)
    assert [c.common_name for c in found["ca.crt"]] == [ROOT_CN]
    assert [c.common_name for c in found["bundle.pem"]] == [INTERMEDIATE_CN]
    assert "1 certificate also found in a file above" in text_of(response)


@pytest.mark.parametrize(
    ("name", "warning"),
    [
        ("leaf-nonca.pem", "not a CA certificate"),
        ("expired-ca.pem", "expired on 2021-01-01"),
        ("notyet-ca.pem", "not valid before 2030-01-01"),
    ],
)
def test_a_certificate_with_a_warning_is_imported_only_when_the_box_is_ticked(
    frozen, client_as, upload, confirm, name, warning
):
    officer = client_as("security")
    response = upload(officer, name)
    html = text_of(response)
    assert warning in html
    assert "Import the certificates with warnings too" in html

    response = confirm(officer)
    assert Certificate.objects.count() == 0
    assert "1 with warnings were not imported" in text_of(response)

    upload(officer, name)
    confirm(officer, accept_warnings=True)
    assert Certificate.objects.count() == 1


def test_only_the_warned_certificates_are_left_out_without_the_box(frozen, client_as, upload, confirm):
    officer = client_as("security")
    response = upload(officer, "ca.crt", "expired-ca.pem")
    assert "2 new certificate(s), 1 of them with warnings: imported only with the box above ticked" \
        in text_of(response)

    confirm(officer)

    assert list(Certificate.objects.values_list("common_name", flat=True)) == [ROOT_CN]


def test_a_valid_ca_has_no_warning_on_the_frozen_clock(frozen, client_as, upload):
    response = upload(client_as("security"), "ca.pem", "sha1-ca.pem", "rsa1024-ca.pem")

    assert all(not c.warnings for p in response.context["previews"] for c in p.certificates)
    assert not response.context["any_warnings"]
    assert "accept_warnings" not in text_of(response)


def test_the_upload_forms_store_field_adds_the_certificates_to_that_store(officer, upload, confirm, users):
    store = store_save(store=TrustedStore(name="Genesys CA", provider=Provider.PEM,
                                          path="/opt/genesys/cobrowse/certs/certificateCA.pem"),
                       certificates=[], password=None, actor=users["security"])

    response = upload(officer, "bundle.pem", store=store)
    assert "will be added to the store" in text_of(response)
    response = confirm(officer, follow=False)

    assert response["Location"] == store.get_absolute_url()
    entries = list(StoreEntry.objects.filter(store=store).order_by("position"))
    assert [e.certificate.common_name for e in entries] == [ROOT_CN, INTERMEDIATE_CN]
    assert entries[0].alias == "root"


def test_a_certificate_already_in_the_library_still_goes_into_the_chosen_store(officer, upload, confirm, users):
    upload(officer, "ca.crt")
    confirm(officer)
    store = store_save(store=TrustedStore(name="JKS", provider=Provider.JKS, path="/opt/cb/trust.jks"),
                       certificates=[], password="changeit", actor=users["security"])

    upload(officer, "ca.pem", store=store)
    confirm(officer)

    assert Certificate.objects.count() == 1
    assert list(store.entries.values_list("certificate__common_name", "alias")) == [(ROOT_CN, "root")]


def test_a_confirmation_without_a_preview_is_refused_kindly(officer):
    response = officer.post(UPLOAD_URL, {"token": "made-up"}, follow=True)

    assert response.status_code == 200
    assert "That preview has expired or was already imported" in text_of(response)
    assert Certificate.objects.count() == 0


def test_a_preview_is_imported_only_once(officer, upload, confirm):
    upload(officer, "ca.crt")
    token = officer.session["certificate-import-preview"]["token"]
    confirm(officer)

    response = officer.post(UPLOAD_URL, {"token": token}, follow=True)

    assert "That preview has expired or was already imported" in text_of(response)
    assert Certificate.objects.count() == 1


def test_a_post_holding_only_the_files_is_previewed_too(officer, cert_files):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = officer.post(UPLOAD_URL, {"files": [SimpleUploadedFile("ca.crt", cert_files["ca.crt"].read_bytes())]})

    assert response.status_code == 200
    assert [c.common_name for c in preview_rows(response)["ca.crt"]] == [ROOT_CN]
