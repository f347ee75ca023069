"""History of a trusted store: versions, compare without the password, revert by a Security officer."""

from cryptography.hazmat.primitives.serialization import Encoding
from django.urls import reverse

from applications.models import Option
from cobrowse_admin import secret_box
from security.certificates import import_certificates
from security.crypto import read_upload
from security.models import StoreVersion
from security.section import security_section_set
from security.stores import store_password, store_save
from tests.security_section.conftest import JKS_PASSWORD


def certificate(cert_files, name):
    parsed = read_upload(cert_files[name].read_bytes())
    der = parsed.certificates[0].public_bytes(Encoding.DER)
    result = import_certificates(items=[(der, parsed.kind, name)], actor="tests")
    return (result.created + result.already_present)[0]


def test_a_store_reverted_gets_its_members_password_and_path_back_and_its_applications_follow(
        world, client_as, cert_files):
    officer = world.users["security"]
    store = world.jks
    ca = certificate(cert_files, "ca.pem")
    store_save(store=store, certificates=[ca], password=None, actor=officer, note="add the CA")
    security_section_set(application=world.node_a, provider="JKS", store=store, actor=officer)
    good = StoreVersion.objects.filter(store=store).latest("number").number
    store.path = "/opt/genesys/certs/moved.jks"
    store_save(store=store, certificates=[], password="New-pass-456", actor=officer, note="rotation")
    client = client_as("security")
    page = client.get(reverse("security:store_compare", args=[store.pk]) + f"?a={good}&b=current").content.decode()
    assert "password" in page and "(secret)" in page and "moved.jks" in page
    assert JKS_PASSWORD not in page and "New-pass-456" not in page
    latest = StoreVersion.objects.filter(store=store).latest("number").number
    response = client.post(reverse("security:store_revert", args=[store.pk, good]),
                           {"latest": latest, "note": "the rotation broke the Nodes"})
    assert response.status_code == 302
    store.refresh_from_db()
    assert store.path == "/opt/genesys/certs/truststore.jks"
    assert store_password(store) == JKS_PASSWORD
    assert list(store.entries.values_list("certificate_id", flat=True)) == [ca.pk]
    latest_note = StoreVersion.objects.filter(store=store).latest("number").note
    assert latest_note == f"revert to {good}: the rotation broke the Nodes"
    password = Option.objects.get(application=world.node_a, section="security", name="truststore-password")
    assert secret_box.decrypt(password.value) == JKS_PASSWORD


def test_only_a_security_officer_reverts_a_store_and_a_viewer_sees_its_history(world, client_as):
    store = world.pem
    store.description = "changed"
    store_save(store=store, certificates=[], password=None, actor=world.users["security"])
    viewer = client_as("viewer")
    page = viewer.get(reverse("security:store_history", args=[store.pk])).content.decode()
    assert 'data-version="2"' in page and "revert…" not in page
    assert client_as("operator").get(reverse("security:store_revert", args=[store.pk, 1])).status_code == 403


def test_an_old_revert_page_is_stale(world, client_as):
    store = world.pem
    store.description = "changed"
    store_save(store=store, certificates=[], password=None, actor=world.users["security"])
    response = client_as("security").post(reverse("security:store_revert", args=[store.pk, 1]), {"latest": "1"})
    assert response.status_code == 200 and 'id="stale-edit"' in response.content.decode()
    store.refresh_from_db()
    assert store.description == "changed"


def test_a_store_event_on_the_audit_page_leads_to_its_version(world, client_as):
    from applications.models import AuditEvent

    store = world.pem
    store.description = "changed"
    store_save(store=store, certificates=[], password=None, actor=world.users["security"])
    event = AuditEvent.objects.filter(object_type="store", object_id=str(store.pk)).latest("id")
    response = client_as("viewer").get(reverse("applications:event_version", args=[event.pk]))
    assert response.status_code == 302 and "/history/compare/?a=1&b=2" in response.url
