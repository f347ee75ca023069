"""Validation sweeps over the API: "Validate now" (the Operator's, as in the browser), the state and
progress ``security.sweeps.sweep_progress`` gives the browser's progress bar. Without REDIS_URL the
project runs tasks eagerly in-process: the sweep has run when the start answers (a real worker on
Redis: tests/celery_integration/test_api_sweep.py)."""

import pytest
from django.urls import reverse

from security import sweeps
from security.models import Finding, Sweep, SweepItem
from tests.checks.world import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cert_files):
    w = World(cert_files)
    w.security(w.node1, store=w.store("Expired CA", certs=("expired-ca.pem",)))
    return w


def test_an_operator_starts_a_sweep_and_it_validates_everything(api, world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api("operator").post("/api/v1/sweeps/")
    assert response.status_code == 202, response.content
    body = response.json()
    sweep = Sweep.objects.get(pk=body["id"])
    assert response["Location"] == f"/api/v1/sweeps/{sweep.pk}/"
    assert (sweep.trigger, sweep.requested_by_name) == ("ui", "operator")
    assert body["status"] == "done" and body["finished"] is True and body["percent"] == 100
    assert body["total"] == body["done"] == len(sweeps.sweep_plan())
    assert body["errors"] == Finding.objects.filter(severity="error").count() > 0
    assert Finding.objects.filter(code="store.expired").exists()


def test_a_viewer_may_not_start_one(api, world):
    response = api("viewer").post("/api/v1/sweeps/")
    assert response.status_code == 403 and "Operator" in response.json()["detail"]
    assert not Sweep.objects.exists()


def test_the_state_and_progress_are_the_browsers(api, world, client_as):
    sweep = Sweep.objects.create(trigger="ui", status="running", total=4)
    SweepItem.objects.create(sweep=sweep, subject="store:1")
    body = api("viewer").get(f"/api/v1/sweeps/{sweep.pk}/").json()
    assert (body["status"], body["done"], body["total"], body["percent"], body["finished"]) == (
        "running", 1, 4, 25, False)
    browser = client_as("viewer").get(reverse("security:sweep_status", args=[sweep.pk])).json()
    assert {k: body[k] for k in ("done", "total", "percent", "status")} == {
        k: browser[k] for k in ("done", "total", "percent", "status")}


def test_the_list_is_newest_first_with_progress_and_filters_by_status(api, world):
    old = Sweep.objects.create(trigger="beat", status="done", total=2)
    running = Sweep.objects.create(trigger="ui", status="running", total=10)
    SweepItem.objects.bulk_create(SweepItem(sweep=running, subject=f"application:{i}") for i in range(3))
    client = api("viewer")
    rows = client.get("/api/v1/sweeps/").json()["results"]
    assert [(r["id"], r["percent"]) for r in rows] == [(running.pk, 30), (old.pk, 100)]
    assert [r["id"] for r in client.get("/api/v1/sweeps/?status=running").json()["results"]] == [running.pk]
    assert client.get("/api/v1/sweeps/?status=sleeping").status_code == 400


def test_the_list_takes_the_same_number_of_queries_for_1_or_150_sweeps(api, django_assert_max_num_queries):
    Sweep.objects.create(trigger="ui", status="done", total=1)
    client = api("viewer")
    client.get("/api/v1/sweeps/")
    with django_assert_max_num_queries(5) as few:
        assert client.get("/api/v1/sweeps/").status_code == 200
    Sweep.objects.bulk_create(Sweep(trigger="beat", status="done", total=5) for _ in range(150))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/api/v1/sweeps/?page=2")
    assert response.status_code == 200 and len(response.json()["results"]) == 51
