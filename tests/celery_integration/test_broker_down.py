"""Redis unreachable: saving still works, the page says validation is pending, and the pending work
runs once Redis is back (the worker's beat picks up what was requested)."""

import time

import pytest
from django.urls import reverse

from applications.models import Application, Option, PendingRestartChange
from applications.restart import take_running_snapshot
from tests.celery_integration.conftest import RedisServer, restore_broker, use_broker, wait_until
from tests.checks.world import World
from tests.foundation.forms_html import post_form_data, row_index

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def own_redis(redis_available, tmp_path):
    """A Redis of this test's own, which it stops and starts again; this process sends tasks to it."""
    server = RedisServer(tmp_path).start()
    saved = use_broker(server.url)
    yield server
    restore_broker(saved)
    server.stop()


def test_with_redis_down_saving_works_the_page_says_pending_and_the_work_runs_when_it_is_back(
        own_redis, workers, client_as, cert_files):
    world = World(cert_files)
    node = world.node1
    take_running_snapshot(node)
    officer = client_as("security")
    editor = reverse("applications:options_edit", args=[node.pk])
    data = post_form_data(officer.get(editor), containing="TOTAL_FORMS")
    data[f"form-{row_index(data, 'security', 'provider')}-value"] = "PEM"

    own_redis.stop()
    started = time.monotonic()
    response = officer.post(editor, data)
    elapsed = time.monotonic() - started

    assert response.status_code == 302, response.content.decode()[:2000]
    assert elapsed < 10
    assert Option.objects.get(application=node, section="security", name="provider").value == "PEM"
    assert Application.objects.get(pk=node.pk).checks_requested_at is not None
    assert not PendingRestartChange.objects.filter(application=node).exists()
    page = officer.get(node.get_absolute_url()).content.decode()
    assert "validation pending" in page and 'id="validation-pending"' in page

    own_redis.start()  # same port: the web side's REDIS_URL works again
    workers.start(own_redis.url, name="after-outage", beat=True, env={"VALIDATION_PENDING_SECONDS": "1"})

    wait_until(lambda: Application.objects.get(pk=node.pk).checks_requested_at is None, timeout=30,
               what="the pending checks to run")
    assert PendingRestartChange.objects.filter(application=node, name="provider").exists()
    page = officer.get(node.get_absolute_url()).content.decode()
    assert "validation pending" not in page
    assert "restart required" in page and "application.trusted_ca_missing" in page
