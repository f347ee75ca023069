"""Through a real worker on Redis: an uploaded store and an options change reach the pages."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from applications.models import Application, PendingRestartChange
from applications.options import OptionChange, options_apply
from applications.restart import take_running_snapshot
from security.models import Finding, TrustedStore
from security.stores import store_save
from security.views_library import PREVIEW_SESSION_KEY
from tests.celery_integration.conftest import Worker, wait_until
from tests.checks.world import World

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]

UPLOAD_URL = reverse("security:certificate_upload")


@pytest.fixture(scope="module")
def worker(redis_server, django_db_setup, tmp_path_factory):
    started = Worker(redis_url=redis_server.url, log=tmp_path_factory.mktemp("worker") / "w.log", name="shared")
    started.start()
    yield started
    started.kill()


def test_an_uploaded_store_is_validated_by_the_worker_and_its_findings_show_on_the_page(
        broker, worker, client_as, users, cert_files):
    world = World(cert_files)
    store = store_save(store=TrustedStore(name="Genesys CA", provider="PEM",
                                          path="/opt/genesys/cobrowse/certs/certificateCA.pem"),
                       certificates=[], password=None, actor=users["security"])
    world.security(world.node1, store=store)
    officer = client_as("security")

    # The library's upload page, with the store chosen: preview, then import.
    officer.post(UPLOAD_URL, {"files": [SimpleUploadedFile("certificateCA.pem",
                                                           cert_files["expired-ca.pem"].read_bytes())],
                              "password": "", "store": store.pk})
    token = officer.session[PREVIEW_SESSION_KEY]["token"]
    officer.post(UPLOAD_URL, {"token": token, "accept_warnings": "on"})
    assert store.entries.count() == 1

    wait_until(lambda: Finding.objects.filter(subject=f"store:{store.pk}", code="store.expired").exists(),
               timeout=30, what="the worker to validate the store")
    wait_until(lambda: not TrustedStore.objects.filter(pk=store.pk, checks_requested_at__isnull=False).exists(),
               timeout=30, what="the store's request to be cleared")
    assert "security.tasks.validate_store" in worker.output()
    # The store's applications are validated again by the worker too: the Node's verdict reads their findings.
    wait_until(lambda: not Application.objects.filter(pk=world.node1.pk, checks_requested_at__isnull=False).exists(),
               timeout=30, what="the worker to validate the Node")

    page = officer.get(world.node1.get_absolute_url()).content.decode()
    assert 'title="store.expired"' in page and "Co-browse Expired CA" in page
    assert 'id="tls-verdict">not ready<' in page


def test_an_options_change_raises_the_restart_flag_through_the_worker(broker, worker, client_as, users, cert_files):
    world = World(cert_files)
    take_running_snapshot(world.node1)

    options_apply(application=world.node1, changes=[OptionChange("security", "provider", "PEM")],
                  actor=users["security"])

    wait_until(lambda: PendingRestartChange.objects.filter(application=world.node1, name="provider").exists(),
               timeout=30, what="the restart flag")
    wait_until(lambda: Application.objects.get(pk=world.node1.pk).checks_requested_at is None,
               timeout=30, what="the validation of the node")
    assert "applications.tasks.flag_restart_required" in worker.output()
    page = client_as("viewer").get(world.node1.get_absolute_url()).content.decode()
    assert "restart required" in page and "application.trusted_ca_missing" in page
    listing = client_as("viewer").get(reverse("applications:list") + "?restart=on")
    assert [a.name for a in listing.context["page"]] == ["Cobrowse_Node_1"]
