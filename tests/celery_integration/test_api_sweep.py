"""Through a real worker on Redis: a sweep started over the API runs on the worker and its progress
and verdicts read back over the API; with Redis down the start says so (503) and the sweep is failed."""

import pytest

from api.tokens import create_token
from security.models import Finding, Sweep
from tests.api.conftest import ApiClient
from tests.celery_integration.conftest import RedisServer, Worker, restore_broker, use_broker, wait_until
from tests.checks.world import World

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def worker(redis_server, django_db_setup, tmp_path_factory):
    started = Worker(redis_url=redis_server.url, log=tmp_path_factory.mktemp("worker") / "w.log", name="api")
    started.start()
    yield started
    started.kill()


def test_a_sweep_started_over_the_api_runs_on_the_worker(broker, worker, users, cert_files):
    world = World(cert_files)
    world.security(world.node1, store=world.store("Expired CA", certs=("expired-ca.pem",)))
    operator = ApiClient(create_token(user=users["operator"], name="ci").secret)

    response = operator.post("/api/v1/sweeps/")
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "queued"  # a worker runs it, not this request
    location = response["Location"]

    def finished():
        body = operator.get(location).json()
        return body if body["finished"] else None

    body = wait_until(finished, timeout=60, what="the worker to finish the sweep")
    assert (body["status"], body["percent"]) == ("done", 100)
    assert body["errors"] == Finding.objects.filter(severity="error").count() > 0
    assert "security.tasks.validate_everything" in worker.output()
    findings = operator.get("/api/v1/findings/?q=Expired CA&severity=error").json()
    assert findings["count"] > 0


def test_with_redis_down_the_start_is_a_503_and_the_sweep_is_marked_failed(redis_available, tmp_path, users):
    server = RedisServer(tmp_path).start()
    saved = use_broker(server.url)
    server.stop()
    try:
        operator = ApiClient(create_token(user=users["operator"], name="ci").secret)
        response = operator.post("/api/v1/sweeps/")
    finally:
        restore_broker(saved)
    assert response.status_code == 503 and response["Content-Type"] == "application/problem+json"
    assert "queue" in response.json()["detail"]
    assert Sweep.objects.get().status == "failed"
