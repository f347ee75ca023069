"""Trusted stores over the API: the store form and service, the store's version as ETag (412/428, no
lost update between two clients), the built file, and a password that no response ever holds."""

import json
import subprocess

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from django.urls import reverse

from applications.models import Application, AppType, AuditEvent, Host, Option
from applications.options import option_set
from cobrowse_admin import secret_box
from security import stores as store_service
from security.certificates import import_certificates
from security.crypto import read_upload
from security.models import Certificate, StoreAssignment, StoreVersion, TrustedStore
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
STORE_PASSWORD = "Kx9-unique-store-pass"
NEW_PASSWORD = "Zq7-another-store-pass"
JKS_PATH = "/opt/genesys/cobrowse/certs/truststore.jks"


class WatchedClient(ApiClient):
    """An ApiClient that keeps every response, to look for the passwords in all of them."""

    def __init__(self, token, seen):
        super().__init__(token)
        self.seen = seen

    def call(self, method, path, body=None, **headers):
        response = super().call(method, path, body, **headers)
        self.seen.append(response)
        return response


@pytest.fixture
def seen():
    """Every response of the test; none may hold a store password, in any form."""
    responses = []
    yield responses
    for response in responses:
        text = response.content.decode("utf-8", "replace") + json.dumps(dict(response.headers))
        for secret in (STORE_PASSWORD, NEW_PASSWORD):
            assert secret not in text, f"a response to {response.request['PATH_INFO']} holds the password"


@pytest.fixture
def api(tokens, seen):
    def make(username):
        return WatchedClient(tokens[username] if username else None, seen)

    return make


def certificate(cert_files, name: str) -> Certificate:
    parsed = read_upload(cert_files[name].read_bytes())
    der = parsed.certificates[0].public_bytes(Encoding.DER)
    result = import_certificates(items=[(der, parsed.kind, name)], actor="tests")
    return (result.created + result.already_present)[0]


@pytest.fixture
def certs(cert_files):
    return {name: certificate(cert_files, f"{name}.pem") for name in ("ca", "intermediate", "other-ca")}


def jks_body(certs, **overrides) -> dict:
    return {"name": "Genesys CA (JKS)", "provider": "JKS", "path": JKS_PATH, "password": STORE_PASSWORD,
            "password_again": STORE_PASSWORD, "certificates": [certs["ca"].pk, certs["intermediate"].pk],
            **overrides}


@pytest.fixture
def jks(api, certs):
    response = api("security").post("/api/v1/stores/", jks_body(certs))
    assert response.status_code == 201, response.content
    return TrustedStore.objects.get(pk=response.json()["id"])


def test_a_security_officer_creates_a_jks_store_as_the_form_does(api, certs, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api("security").post("/api/v1/stores/", jks_body(certs, note="for the pilot"))
    assert response.status_code == 201, response.content
    body = response.json()
    store = TrustedStore.objects.get(pk=body["id"])
    assert response["Location"] == f"/api/v1/stores/{store.pk}/"
    assert response["ETag"] == f'"{store_service.store_version(store)}"'
    assert body["has_password"] is True and "password" not in body and "password_again" not in body
    assert [m["alias"] for m in body["members"]][0] == "root"
    assert [m["certificate"] for m in body["members"]] == [certs["ca"].pk, certs["intermediate"].pk]
    assert secret_box.decrypt(store.password_encrypted) == STORE_PASSWORD
    event = AuditEvent.objects.get(object_type="store", action="create")
    assert (event.actor_name, event.message) == ("security", "for the pilot")
    assert StoreVersion.objects.filter(store=store).count() == 1


@pytest.mark.parametrize("username", ["viewer", "operator"])
def test_only_a_security_officer_writes_a_store(api, certs, username):
    response = api(username).post("/api/v1/stores/", jks_body(certs))
    assert response.status_code == 403 and "Security officer" in response.json()["detail"]
    assert not TrustedStore.objects.exists()


def test_the_forms_rules_hold_and_the_password_is_not_echoed(api, certs):
    client = api("security")
    no_password = client.post("/api/v1/stores/", jks_body(certs, password="", password_again=""))
    assert no_password.status_code == 400 and "password" in no_password.json()["errors"]
    short = client.post("/api/v1/stores/", jks_body(certs, password="abc", password_again="abc"))
    assert "keytool" in short.json()["errors"]["password"][0]
    differ = client.post("/api/v1/stores/", jks_body(certs, password_again=NEW_PASSWORD))
    assert set(differ.json()["errors"]) == {"password_again"}
    windows_path = client.post("/api/v1/stores/", jks_body(certs, path="C:\\GCTI\\certs\\ca.jks"))
    assert "path" in windows_path.json()["errors"]
    unknown = client.post("/api/v1/stores/", jks_body(certs, certificates=[999999]))
    assert "certificates" in unknown.json()["errors"]
    assert not TrustedStore.objects.exists()


def test_a_read_has_the_store_and_its_version_never_its_password(api, jks):
    response = api("viewer").get(f"/api/v1/stores/{jks.pk}/")
    assert response.status_code == 200
    assert response["ETag"] == f'"{store_service.store_version(jks)}"'
    assert response.json()["has_password"] is True
    assert jks.password_encrypted not in response.content.decode()


def test_changing_members_keeps_the_order_and_makes_a_version(api, jks, certs):
    client = api("security")
    etag = client.get(f"/api/v1/stores/{jks.pk}/")["ETag"]
    wanted = [certs["other-ca"].pk, certs["intermediate"].pk, certs["ca"].pk]
    response = client.patch(f"/api/v1/stores/{jks.pk}/", {"certificates": wanted}, **{"If-Match": etag})
    assert response.status_code == 200, response.content
    # As the form: the members kept stay in place, the one added goes after them.
    assert [m["certificate"] for m in response.json()["members"]] == [
        certs["ca"].pk, certs["intermediate"].pk, certs["other-ca"].pk]
    assert response["ETag"] != etag
    event = AuditEvent.objects.filter(object_type="store", action="update").get()
    assert event.changes["certificates"] == [2, 3] and "added" in event.changes
    assert StoreVersion.objects.filter(store=jks).count() == 2
    assert secret_box.decrypt(TrustedStore.objects.get(pk=jks.pk).password_encrypted) == STORE_PASSWORD


def test_a_new_password_is_audited_as_changed_without_its_value(api, jks):
    client = api("security")
    etag = client.get(f"/api/v1/stores/{jks.pk}/")["ETag"]
    response = client.patch(f"/api/v1/stores/{jks.pk}/", {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
                            **{"If-Match": etag})
    assert response.status_code == 200, response.content
    assert secret_box.decrypt(TrustedStore.objects.get(pk=jks.pk).password_encrypted) == NEW_PASSWORD
    event = AuditEvent.objects.filter(object_type="store", action="update").get()
    assert "password" in event.changes
    for stored in AuditEvent.objects.all():
        assert NEW_PASSWORD not in json.dumps(stored.changes) + stored.message
    assert StoreVersion.objects.filter(store=jks).count() == 2


def test_applications_set_from_the_store_follow_its_new_password(api, jks, users):
    host = Host.objects.create(name="cb-linux-01", address="10.0.1.11", os_type="linux")
    node = Application.objects.create(name="CB_Node_1", app_type=AppType.COBROWSE_NODE, version="8.5.003.04",
                                      host=host)
    for name, value in (("provider", "JKS"), ("trusted-ca", JKS_PATH), ("truststore-password", STORE_PASSWORD)):
        option_set(application=node, section="security", name=name, value=value, actor=users["security"])
    StoreAssignment.objects.create(application=node, store=jks)
    client = api("security")
    etag = client.get(f"/api/v1/stores/{jks.pk}/")["ETag"]
    response = client.patch(f"/api/v1/stores/{jks.pk}/", {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
                            **{"If-Match": etag})
    assert response.status_code == 200
    assert response.json()["applications_updated"] == [node.pk]
    assert response.json()["applications_not_updated"] == []
    option = Option.objects.get(application=node, section="security", name="truststore-password")
    assert secret_box.decrypt(option.value) == NEW_PASSWORD


def test_a_write_without_if_match_is_428_and_changes_nothing(api, jks):
    response = api("security").patch(f"/api/v1/stores/{jks.pk}/", {"description": "x"})
    assert response.status_code == 428 and response["Content-Type"] == PROBLEM
    assert api("security").delete(f"/api/v1/stores/{jks.pk}/").status_code == 428
    assert TrustedStore.objects.get(pk=jks.pk).description == ""


def test_two_clients_with_the_same_etag_the_second_gets_412_and_the_first_change_stays(api, jks, certs):
    first, second = api("security"), api("admin")
    etag = first.get(f"/api/v1/stores/{jks.pk}/")["ETag"]
    assert second.get(f"/api/v1/stores/{jks.pk}/")["ETag"] == etag
    removed = first.patch(f"/api/v1/stores/{jks.pk}/", {"certificates": [certs["ca"].pk]}, **{"If-Match": etag})
    assert removed.status_code == 200
    response = second.patch(f"/api/v1/stores/{jks.pk}/", {"description": "mine"}, **{"If-Match": etag})
    assert response.status_code == 412 and response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["changes"][0]["by"] == "security" and "certificates" in body["changes"][0]["changes"]
    assert body["current_etag"] == first.get(f"/api/v1/stores/{jks.pk}/")["ETag"]
    # Even an invalid write says the conflict first, as the browser does.
    invalid = second.patch(f"/api/v1/stores/{jks.pk}/", {"path": "relative"}, **{"If-Match": etag})
    assert invalid.status_code == 412
    store = TrustedStore.objects.get(pk=jks.pk)
    assert store.description == "" and list(store.entries.values_list("certificate_id", flat=True)) == [
        certs["ca"].pk]
    assert second.delete(f"/api/v1/stores/{jks.pk}/", **{"If-Match": etag}).status_code == 412
    assert TrustedStore.objects.filter(pk=jks.pk).exists()


def test_delete_with_the_current_etag_is_audited(api, jks):
    client = api("security")
    etag = client.get(f"/api/v1/stores/{jks.pk}/")["ETag"]
    assert client.delete(f"/api/v1/stores/{jks.pk}/", **{"If-Match": etag}).status_code == 204
    assert not TrustedStore.objects.filter(pk=jks.pk).exists()
    assert AuditEvent.objects.get(object_type="store", action="delete").object_repr == "Genesys CA (JKS)"


def test_the_jks_file_is_the_browsers_and_keytool_reads_it_with_the_password(api, jks, client_as, tmp_path):
    response = api("security").get(f"/api/v1/stores/{jks.pk}/download/")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/octet-stream"
    browser = client_as("security").get(reverse("security:store_download", args=[jks.pk]))
    assert response["Content-Disposition"] == browser["Content-Disposition"] and "truststore.jks" in browser[
        "Content-Disposition"]
    path = tmp_path / "truststore.jks"
    path.write_bytes(response.content)
    listed = subprocess.run(["keytool", "-list", "-keystore", str(path), "-storepass", STORE_PASSWORD],
                            capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert "root," in listed.stdout and "Your keystore contains 2 entries" in listed.stdout


def test_a_pem_store_downloads_its_members_in_order(api, certs, cert_files):
    created = api("security").post("/api/v1/stores/", {
        "name": "Genesys CA", "provider": "PEM", "path": "/opt/genesys/certs/ca.pem",
        "certificates": [certs["ca"].pk, certs["intermediate"].pk]})
    assert created.status_code == 201, created.content
    response = api("security").get(f"/api/v1/stores/{created.json()['id']}/download/")
    assert response.status_code == 200 and response["Content-Type"] == "application/x-pem-file"
    assert response.content == cert_files["ca.pem"].read_bytes() + cert_files["intermediate.pem"].read_bytes()


def test_a_viewer_may_not_download_the_built_file_and_an_empty_store_is_409(api, jks):
    assert api("viewer").get(f"/api/v1/stores/{jks.pk}/download/").status_code == 403
    empty = store_service.store_save(store=TrustedStore(name="Empty", provider="PEM", path="/opt/x/ca.pem"),
                                     certificates=[], password=None, actor="tests")
    response = api("security").get(f"/api/v1/stores/{empty.pk}/download/")
    assert response.status_code == 409 and response["Content-Type"] == PROBLEM


def test_the_list_filters_and_counts_each_stores_members_and_findings(api, jks, certs):
    api("security").post("/api/v1/stores/", {"name": "Windows CA", "provider": "MSCAPI",
                                             "certificates": [certs["ca"].pk]})
    client = api("viewer")
    everything = client.get("/api/v1/stores/").json()
    assert [s["name"] for s in everything["results"]] == ["Genesys CA (JKS)", "Windows CA"]
    assert [s["certificate_count"] for s in everything["results"]] == [2, 1]
    assert [s["name"] for s in client.get("/api/v1/stores/?provider=MSCAPI").json()["results"]] == ["Windows CA"]
    assert [s["name"] for s in client.get("/api/v1/stores/?path=truststore").json()["results"]] == [
        "Genesys CA (JKS)"]
    assert client.get("/api/v1/stores/?provider=XYZ").status_code == 400


def test_the_list_counts_the_applications_using_each_store_as_its_detail_names_them(api, jks, users):
    host = Host.objects.create(name="cb-linux-01", address="10.0.1.11", os_type="linux")
    nodes = [Application.objects.create(name=f"CB_Node_{i}", app_type=AppType.COBROWSE_NODE, version="8.5.003.04",
                                        host=host) for i in (1, 2, 3)]
    StoreAssignment.objects.create(application=nodes[0], store=jks)  # set from the store, and named by path
    for node in nodes[:2]:
        option_set(application=node, section="security", name="trusted-ca", value=JKS_PATH, actor=users["security"])
    option_set(application=nodes[2], section="security", name="trusted-ca", value="/opt/other/ca.pem",
               actor=users["security"])
    client = api("viewer")
    listed = client.get("/api/v1/stores/").json()["results"]
    detail = client.get(f"/api/v1/stores/{jks.pk}/").json()
    assert sorted(detail["applications"]) == [nodes[0].pk, nodes[1].pk]
    assert [s["used_by"] for s in listed] == [2] and detail["used_by"] == 2


def test_the_list_takes_the_same_number_of_queries_for_1_or_150_stores(api, jks, certs, django_assert_max_num_queries):
    client = api("viewer")
    client.get("/api/v1/stores/")
    with django_assert_max_num_queries(10) as few:
        assert client.get("/api/v1/stores/").status_code == 200
    TrustedStore.objects.bulk_create(TrustedStore(name=f"s{i:03}", provider="PEM", path=f"/opt/s/{i}.pem")
                                     for i in range(150))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/api/v1/stores/?page=2")
    assert response.status_code == 200 and len(response.json()["results"]) == 51


def test_the_history_lists_compares_and_reverts_as_the_browser_does(api, jks, certs):
    client = api("security")
    etag = client.get(f"/api/v1/stores/{jks.pk}/")["ETag"]
    client.patch(f"/api/v1/stores/{jks.pk}/", {"certificates": [certs["ca"].pk], "password": NEW_PASSWORD,
                                               "password_again": NEW_PASSWORD}, **{"If-Match": etag})
    versions = api("viewer").get(f"/api/v1/stores/{jks.pk}/versions/").json()["results"]
    assert [v["number"] for v in versions] == [2, 1] and versions[0]["actor_name"] == "security"

    compared = api("viewer").get(f"/api/v1/stores/{jks.pk}/compare/?a=1&b=2").json()
    assert (compared["left"], compared["right"]) == ("version 1", "version 2")
    rows = {row["key"]: row for group in compared["groups"] for row in group["rows"]}
    assert rows["password"] == {"key": "password", "old": "(secret)", "new": "(secret)", "status": "changed",
                                "secret": True}
    assert any(row["status"] == "removed" for row in rows.values())
    assert api("viewer").get(f"/api/v1/stores/{jks.pk}/compare/?a=9").status_code == 400

    etag = client.get(f"/api/v1/stores/{jks.pk}/")["ETag"]
    assert client.post(f"/api/v1/stores/{jks.pk}/revert/", {"to": 1}).status_code == 428
    assert api("viewer").post(f"/api/v1/stores/{jks.pk}/revert/", {"to": 1}, **{"If-Match": etag}).status_code == 403
    response = client.post(f"/api/v1/stores/{jks.pk}/revert/", {"to": 1, "note": "back"}, **{"If-Match": etag})
    assert response.status_code == 200, response.content
    assert [m["certificate"] for m in response.json()["members"]] == [certs["ca"].pk, certs["intermediate"].pk]
    assert secret_box.decrypt(TrustedStore.objects.get(pk=jks.pk).password_encrypted) == STORE_PASSWORD
    latest = StoreVersion.objects.filter(store=jks).order_by("-number").first()
    assert (latest.number, latest.source, latest.note) == (3, "revert", "revert to 1: back")
    # The ETag it read is stale now: a second revert with it changes nothing.
    assert client.post(f"/api/v1/stores/{jks.pk}/revert/", {"to": 2}, **{"If-Match": etag}).status_code == 412
    assert StoreVersion.objects.filter(store=jks).count() == 3


@pytest.fixture
def all_logs(caplog):
    """Every logger at DEBUG, SQL included, captured."""
    import logging

    from django.db import connection

    for name in [None, *logging.root.manager.loggerDict]:
        caplog.set_level(logging.DEBUG, logger=name)
    connection.force_debug_cursor = True
    yield caplog
    connection.force_debug_cursor = False


def test_no_log_record_holds_the_password_through_create_change_conflict_and_error(api, certs, all_logs):
    client = api("security")
    created = client.post("/api/v1/stores/", jks_body(certs))
    etag = created["ETag"]
    pk = created.json()["id"]
    client.patch(f"/api/v1/stores/{pk}/", {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
                 **{"If-Match": etag})
    client.patch(f"/api/v1/stores/{pk}/", {"password": NEW_PASSWORD, "password_again": "x"}, **{"If-Match": etag})
    client.get(f"/api/v1/stores/{pk}/download/")
    assert all_logs.records
    for record in all_logs.records:
        text = record.getMessage() + str(record.args)
        assert STORE_PASSWORD not in text and NEW_PASSWORD not in text, record.name


def test_the_schema_marks_the_passwords_write_only_with_no_example(api):
    schema = api("viewer").get("/api/v1/schema/?format=json").json()
    components = schema["components"]["schemas"]
    for name in ("StoreWriteRequest", "PatchedStoreWriteRequest"):
        for field in ("password", "password_again"):
            assert components[name]["properties"][field]["writeOnly"] is True
            assert "example" not in components[name]["properties"][field]
    for name, component in components.items():
        if "Request" not in name:
            assert "password" not in component.get("properties", {}), name
    assert "example" not in json.dumps(components["StoreWriteRequest"])


def test_a_change_over_the_api_is_audited_and_versioned_as_the_same_change_in_the_form(
        api, certs, client_as, users):
    from tests.opened import version_on

    made = {}
    for how in ("form", "api"):
        store = store_service.store_save(
            store=TrustedStore(name=f"CA {how}", provider="PEM", path=f"/opt/genesys/certs/{how}.pem"),
            certificates=[certs["ca"]], password=None, actor=users["security"])
        made[how] = store
    officer = client_as("security")
    edit = reverse("security:store_edit", args=[made["form"].pk])
    response = officer.post(edit, {**version_on(officer, edit), "name": "CA form", "provider": "PEM",
                                   "path": "/opt/genesys/certs/moved-form.pem", "windows_path": "",
                                   "description": "", "note": "rolled",
                                   "certificates": [certs["ca"].pk, certs["other-ca"].pk], "_save": ""})
    assert response.status_code == 302
    client = api("security")
    etag = client.get(f"/api/v1/stores/{made['api'].pk}/")["ETag"]
    assert client.patch(f"/api/v1/stores/{made['api'].pk}/", {
        "path": "/opt/genesys/certs/moved-api.pem", "note": "rolled",
        "certificates": [certs["ca"].pk, certs["other-ca"].pk]}, **{"If-Match": etag}).status_code == 200

    def trail(store):
        event = AuditEvent.objects.filter(object_type="store", object_id=str(store.pk), action="update").get()
        version = StoreVersion.objects.filter(store=store).order_by("-number").first()
        return (event.action, sorted(event.changes), event.message, event.actor_name,
                version.number, version.source, version.note, version.summary)

    assert trail(made["api"]) == trail(made["form"])
    assert list(made["api"].entries.values_list("certificate_id", "alias", "position")) == list(
        made["form"].entries.values_list("certificate_id", "alias", "position"))
