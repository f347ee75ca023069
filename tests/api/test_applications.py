"""Applications over the API: the list's filters, readiness and restart state as the pages show
them, the General tab's writes through its form and services, clone, mark as restarted."""

import pytest

from applications.models import Application, AuditEvent, Option
from applications.options import OptionChange, options_apply
from security.models import ApplicationCheck

pytestmark = pytest.mark.django_db


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [a["name"] for a in response.json()["results"]]


def test_the_list_filters_by_type_host_cluster_and_text(api, env):
    client = api("viewer")
    assert names(client.get("/api/v1/applications/?type=cobrowse_node")) == ["Cobrowse_Node_1"]
    assert names(client.get(f"/api/v1/applications/?host={env.windows.pk}")) == ["Cobrowse_Node_1"]
    assert names(client.get(f"/api/v1/applications/?cluster={env.cluster.pk}")) == ["Cobrowse_Node_1"]
    assert names(client.get("/api/v1/applications/?q=chat")) == ["ChatServer"]
    assert names(client.get("/api/v1/applications/?version=>=8.5.100")) == ["ChatServer", "MessageServer"]
    assert client.get("/api/v1/applications/?version=eight").status_code == 400
    assert client.get("/api/v1/applications/?type=nonsense").status_code == 400


def test_readiness_is_the_stored_verdict_and_filters(api, env):
    ApplicationCheck.objects.create(application=env.node, verdict="not ready", errors=2, warnings=1)
    ApplicationCheck.objects.create(application=env.cluster, verdict="ready")
    client = api("viewer")
    assert names(client.get("/api/v1/applications/?readiness=not-ready")) == ["Cobrowse_Node_1"]
    assert names(client.get("/api/v1/applications/?readiness=ready")) == ["Cobrowse_Cluster"]
    node = client.get(f"/api/v1/applications/{env.node.pk}/").json()
    assert node["readiness"] == {"verdict": "not ready", "errors": 2, "warnings": 1, "checks_pending": False}
    listed = {a["name"]: a["readiness"]["verdict"] for a in client.get("/api/v1/applications/").json()["results"]}
    assert listed["Cobrowse_Node_1"] == "not ready" and listed["ChatServer"] == ""


def test_restart_state_and_filter(api, env, committed):
    with committed():
        options_apply(application=env.cluster, changes=[OptionChange("custom", "flag", "1")], actor="test")
    client = api("viewer")
    assert names(client.get("/api/v1/applications/?restart=true")) == ["Cobrowse_Cluster"]
    body = client.get(f"/api/v1/applications/{env.cluster.pk}/").json()
    assert body["restart_required"] is True
    assert body["pending_restart"][0]["option"] == "[custom] flag"
    assert (body["pending_restart"][0]["running"], body["pending_restart"][0]["new"]) == (None, "1")


def test_an_operator_creates_and_edits_through_the_form(api, env):
    client = api("operator")
    response = client.post("/api/v1/applications/", {
        "name": "Node_2", "app_type": "cobrowse_node", "version": "8.5.003.04", "host": env.linux.pk,
        "cluster": env.cluster.pk, "enabled": True})
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["cluster_name"] == "Cobrowse_Cluster"
    assert AuditEvent.objects.filter(object_type="application", action="create", object_repr="Node_2").exists()
    # The form's rule: only a Node belongs to a Cluster.
    response = client.patch(f"/api/v1/applications/{created['id']}/", {"app_type": "chat_server"},
                            **{"If-Match": client.get(f"/api/v1/applications/{created['id']}/")["ETag"]})
    assert response.status_code == 400
    assert "cluster" in response.json()["errors"]


def test_writes_need_if_match_and_a_stale_one_is_412(api, env):
    client = api("operator")
    url = f"/api/v1/applications/{env.chat.pk}/"
    assert client.patch(url, {"enabled": False}).status_code == 428
    etag = client.get(url)["ETag"]
    assert client.patch(url, {"enabled": False}, **{"If-Match": etag}).status_code == 200
    response = client.patch(url, {"version": "8.5.104.03"}, **{"If-Match": etag})
    assert response.status_code == 412
    assert response.json()["changes"][0]["changes"] == ["enabled"]


def test_clone_by_an_operator_leaves_the_security_section_out(api, env):
    response = api("operator").post(f"/api/v1/applications/{env.node.pk}/clone/", {"name": "Node_copy"})
    assert response.status_code == 201, response.content
    clone = Application.objects.get(name="Node_copy")
    assert not Option.objects.filter(application=clone, section="security").exists()
    assert api("operator").post(f"/api/v1/applications/{env.node.pk}/clone/", {"name": "Node_copy"}).status_code == 400


def test_clone_by_a_security_officer_copies_it(api, env):
    api("security").post(f"/api/v1/applications/{env.node.pk}/clone/", {"name": "Node_copy"})
    assert Option.objects.filter(application__name="Node_copy", section="security").count() == 2


def test_mark_as_restarted_takes_the_options_etag(api, env, committed):
    with committed():
        options_apply(application=env.cluster, changes=[OptionChange("custom", "flag", "1")], actor="test")
    client = api("operator")
    url = f"/api/v1/applications/{env.cluster.pk}/"
    assert client.post(url + "restarted/").status_code == 428
    seen = client.get(url).json()["options_etag"]
    with committed():
        options_apply(application=env.cluster, changes=[OptionChange("custom", "flag", "2")], actor="test")
    assert client.post(url + "restarted/", **{"If-Match": seen}).status_code == 412
    assert client.get(url).json()["restart_required"] is True
    response = client.post(url + "restarted/", **{"If-Match": client.get(url).json()["options_etag"]})
    assert response.status_code == 200
    assert response.json()["restart_required"] is False and response.json()["pending_restart"] == []
    assert AuditEvent.objects.filter(action="restart", object_repr="Cobrowse_Cluster").exists()


def test_delete_takes_its_ports_along(api, env):
    client = api("operator")
    url = f"/api/v1/applications/{env.message.pk}/"
    assert client.delete(url, **{"If-Match": client.get(url)["ETag"]}).status_code == 204
    assert not Application.objects.filter(pk=env.message.pk).exists()


def test_the_list_query_count_does_not_grow(api, env, django_assert_max_num_queries):
    client = api("viewer")
    client.get("/api/v1/applications/")
    with django_assert_max_num_queries(10) as few:
        client.get("/api/v1/applications/")
    Application.objects.bulk_create(Application(name=f"Chat{i:03}", app_type="chat_server", version="8.5.1",
                                                version_key="x", host=env.linux, cluster=None) for i in range(120))
    for app in Application.objects.filter(name__startswith="Chat0")[:50]:
        ApplicationCheck.objects.create(application=app, verdict="")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get("/api/v1/applications/?page=1").json()["results"]) == 100


def test_server_info_through_its_form(api, env):
    client = api("operator")
    url = f"/api/v1/applications/{env.chat.pk}/"
    response = client.patch(url + "server-info/", {"working_directory": "/opt/genesys/chat",
                                                   "command_line": "./chat_server"},
                            **{"If-Match": client.get(url)["ETag"]})
    assert response.status_code == 200, response.content
    assert (response.json()["working_directory"], response.json()["command_line"]) == (
        "/opt/genesys/chat", "./chat_server")
    # A Windows path on a Linux host: the form's rule.
    response = client.patch(url + "server-info/", {"working_directory": "C:\\genesys"},
                            **{"If-Match": response["ETag"]})
    assert response.status_code == 400 and "working_directory" in response.json()["errors"]
