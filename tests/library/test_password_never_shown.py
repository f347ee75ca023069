"""Secrets stay secret: the PKCS#12 password typed at upload and a JKS store's password never show up
in a page, a log record, an audit event or an export; at rest the store password is encrypted."""

import logging

import pytest
from django.db import connection
from django.urls import reverse

from applications.models import Application, AppType, AuditEvent, Host, OperatingSystem, Option
from applications.options import option_set
from cobrowse_admin import secret_box
from security.models import Certificate, Provider, StoreAssignment, TrustedStore
from tests.library.conftest import text_of
from tests.opened import version_on

pytestmark = pytest.mark.django_db

P12_PASSWORD = "p12-secret"
STORE_PASSWORD = "Kx9-unique-store-pass"
NEW_STORE_PASSWORD = "Zq7-another-store-pass"
STORE_PATH = "/opt/genesys/cobrowse/certs/truststore.jks"


@pytest.fixture
def all_logs(caplog):
    """Every logger at DEBUG, SQL included, captured."""
    for name in [None, *logging.root.manager.loggerDict]:
        caplog.set_level(logging.DEBUG, logger=name)
    connection.force_debug_cursor = True
    yield caplog
    connection.force_debug_cursor = False


def opened(client, store) -> dict:
    """The version the store's edit form carries when opened now."""
    return version_on(client, reverse("security:store_edit", args=[store.pk]))


def store_data(**overrides) -> dict:
    data = {"name": "Genesys CA (JKS)", "provider": Provider.JKS, "path": STORE_PATH, "description": "",
            "password": STORE_PASSWORD, "password_again": STORE_PASSWORD,
            "certificates": list(Certificate.objects.values_list("pk", flat=True)), "_save": ""}
    return {**data, **overrides}


@pytest.fixture
def node(db):
    host = Host.objects.create(name="cb-linux-01", address="10.0.1.11", os_type=OperatingSystem.LINUX)
    return Application.objects.create(name="CB_Node_1", app_type=AppType.COBROWSE_NODE, version="8.5.003.04",
                                      host=host)


@pytest.fixture
def jks_store(officer, import_files, django_capture_on_commit_callbacks):
    import_files(officer, "ca.crt")
    with django_capture_on_commit_callbacks(execute=True):  # the store checks run too
        response = officer.post(reverse("security:store_new"), store_data())
    assert response.status_code == 302
    return TrustedStore.objects.get(name="Genesys CA (JKS)")


@pytest.fixture
def node_with_jks_section(node, jks_store, users, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for name, value in (("provider", "JKS"), ("trusted-ca", STORE_PATH), ("truststore-password", STORE_PASSWORD)):
            option_set(application=node, section="security", name=name, value=value, actor=users["security"])
    StoreAssignment.objects.create(application=node, store=jks_store)
    return node


def assert_not_in_audit(secret: str) -> None:
    for event in AuditEvent.objects.all():
        assert secret not in str(event.changes), f"the password is in the audit event {event.pk}"
        assert secret not in event.message
        assert secret not in event.object_repr


def assert_not_logged(caplog, secret: str) -> None:
    for record in caplog.records:
        assert secret not in record.getMessage(), f"the password is logged by {record.name}"
        assert secret not in str(record.args)


def test_the_pkcs12_password_is_used_and_forgotten(all_logs, officer, upload, confirm):
    pages = [upload(officer, "ca.p12", password="wrong-" + P12_PASSWORD)]  # the form, back with an error
    assert "the password does not open this PKCS#12 file" in text_of(pages[0])
    pages.append(upload(officer, "ca.p12", password=P12_PASSWORD))  # the preview
    assert "PKCS#12 file" in text_of(pages[1])
    pages.append(confirm(officer, accept_warnings=True))
    assert Certificate.objects.count() == 3
    for name in ("security:certificate_list", "security:certificate_upload"):
        pages.append(officer.get(reverse(name)))
    pages.append(officer.get(Certificate.objects.first().get_absolute_url()))
    pages.append(officer.get(reverse("applications:audit")))

    for page in pages:
        assert page.status_code == 200
        assert P12_PASSWORD not in text_of(page)
    assert P12_PASSWORD not in str(officer.session.items())
    assert_not_in_audit(P12_PASSWORD)
    assert_not_logged(all_logs, P12_PASSWORD)
    assert all_logs.records, "nothing was captured: the check above would be empty"


def test_the_store_password_is_encrypted_at_rest(jks_store):
    assert jks_store.password_encrypted
    assert STORE_PASSWORD not in jks_store.password_encrypted
    assert secret_box.decrypt(jks_store.password_encrypted) == STORE_PASSWORD


def test_the_store_password_is_never_shown_logged_audited_or_exported(all_logs, officer, node_with_jks_section,
                                                                      jks_store):
    node = node_with_jks_section
    assert secret_box.decrypt(Option.objects.get(application=node, name="truststore-password").value) \
        == STORE_PASSWORD
    urls = [
        reverse("security:store_list"),
        reverse("security:store_detail", args=[jks_store.pk]),
        reverse("security:store_edit", args=[jks_store.pk]),
        reverse("applications:audit"),
        reverse("applications:detail", args=[node.pk]),
        reverse("applications:options", args=[node.pk]),
        reverse("applications:options_edit", args=[node.pk]),
        reverse("applications:history", args=[node.pk]),
        reverse("applications:history_events", args=[node.pk]),
        reverse("security:section", args=[node.pk]),
        reverse("dashboard"),
    ]
    for url in urls:
        response = officer.get(url)
        assert response.status_code == 200, url
        assert STORE_PASSWORD not in text_of(response), url
    assert "set (never shown)" in text_of(officer.get(jks_store.get_absolute_url()))

    export = officer.get(reverse("applications:options_export", args=[node.pk]))
    assert export.status_code == 200
    assert "truststore-password" in text_of(export)
    assert STORE_PASSWORD not in text_of(export)

    assert_not_in_audit(STORE_PASSWORD)
    assert_not_logged(all_logs, STORE_PASSWORD)
    assert any(r.name == "django.db.backends" for r in all_logs.records), "SQL was not captured"


def test_a_refused_store_form_does_not_echo_the_password(officer, import_files):
    import_files(officer, "ca.crt")

    response = officer.post(reverse("security:store_new"), store_data(password_again="something-else"))

    assert response.status_code == 200
    assert "The two passwords differ." in text_of(response)
    assert STORE_PASSWORD not in text_of(response)
    assert not TrustedStore.objects.exists()


def test_changing_the_password_is_audited_as_changed_without_the_values(officer, jks_store):
    response = officer.post(reverse("security:store_edit", args=[jks_store.pk]), opened(officer, jks_store)
                            | store_data(password=NEW_STORE_PASSWORD, password_again=NEW_STORE_PASSWORD))
    assert response.status_code == 302

    jks_store.refresh_from_db()
    assert secret_box.decrypt(jks_store.password_encrypted) == NEW_STORE_PASSWORD
    event = AuditEvent.objects.filter(object_type="store", action="update").latest("id")
    assert event.changes == {"password": [None, "(secret changed)"]}
    assert_not_in_audit(STORE_PASSWORD)
    assert_not_in_audit(NEW_STORE_PASSWORD)


def test_leaving_the_password_empty_keeps_it(officer, jks_store):
    response = officer.post(reverse("security:store_edit", args=[jks_store.pk]), opened(officer, jks_store)
                            | store_data(password="", password_again="", description="now with a description"))
    assert response.status_code == 302

    jks_store.refresh_from_db()
    assert jks_store.description == "now with a description"
    assert secret_box.decrypt(jks_store.password_encrypted) == STORE_PASSWORD
    assert "password" not in AuditEvent.objects.filter(object_type="store").latest("id").changes


def test_the_edit_form_says_a_password_is_set_and_leaves_the_fields_empty(officer, jks_store):
    response = officer.get(reverse("security:store_edit", args=[jks_store.pk]))

    html = text_of(response)
    assert "A password is set. Leave both fields empty to keep it." in html
    assert 'name="password" value' not in html and 'name="password_again" value' not in html


def test_a_new_store_does_not_offer_to_keep_a_password_it_does_not_have(officer):
    html = text_of(officer.get(reverse("security:store_new")))

    assert "Leave empty to keep" not in html and "Leave both fields empty" not in html
    assert "at least 6 characters" in html


def test_a_jks_store_without_a_password_is_refused(officer, import_files):
    import_files(officer, "ca.crt")

    response = officer.post(reverse("security:store_new"), store_data(password="", password_again=""))

    assert response.status_code == 200
    assert "A JKS keystore needs a password." in text_of(response)
    assert not TrustedStore.objects.exists()


def test_a_short_password_is_refused_as_keytool_would(officer):
    response = officer.post(reverse("security:store_new"), store_data(password="12345", password_again="12345"))

    assert "at least 6 characters" in text_of(response)
    assert not TrustedStore.objects.exists()


def test_a_pem_store_turned_into_jks_needs_a_password(officer, import_files, users):
    import_files(officer, "ca.crt")
    officer.post(reverse("security:store_new"), store_data(provider=Provider.PEM, path="/opt/cb/ca.pem",
                                                           password="", password_again=""))
    store = TrustedStore.objects.get()

    response = officer.post(reverse("security:store_edit", args=[store.pk]),
                            opened(officer, store) | store_data(password="", password_again=""))

    assert "A JKS keystore needs a password." in text_of(response)
    store.refresh_from_db()
    assert store.provider == Provider.PEM


def test_the_upload_page_never_renders_a_typed_password(officer, upload):
    response = upload(officer, "ca.p12", password="p12-typo-secret")

    assert response.status_code == 200
    assert "p12-typo-secret" not in text_of(response)
