"""Ports and connections over the API, through the Server Info and Connections tabs' forms."""

import pytest

from applications.models import Application, AppType, AuditEvent, Connection, Port

pytestmark = pytest.mark.django_db


def test_ports_list_by_application_and_security(api, env):
    client = api("viewer")
    response = client.get(f"/api/v1/ports/?application={env.message.pk}&secured=true")
    assert [(p["port_id"], p["connection_count"]) for p in response.json()["results"]] == [("secure", 1)]


def test_an_operator_adds_a_port_and_the_forms_rules_hold(api, env):
    client = api("operator")
    response = client.post("/api/v1/ports/", {"application": env.chat.pk, "port_id": "secure", "number": 4121,
                                              "secured": True, "mutual_tls": True})
    assert response.status_code == 201, response.content
    assert response.json()["application_name"] == "ChatServer"
    again = client.post("/api/v1/ports/", {"application": env.chat.pk, "port_id": "secure", "number": 4122})
    assert again.status_code == 400 and "port_id" in again.json()["errors"]
    assert client.post("/api/v1/ports/", {"application": 999999, "port_id": "x", "number": 1}).status_code == 404
    same_number = client.post("/api/v1/ports/", {"application": env.chat.pk, "port_id": "other", "number": 4121})
    assert same_number.status_code == 400 and "number" in same_number.json()["errors"]
    text_number = {"application": env.chat.pk, "port_id": "x", "number": "80"}
    assert client.post("/api/v1/ports/", text_number).status_code == 400


def test_deleting_a_port_takes_its_connections_with_if_match(api, env):
    client = api("operator")
    url = f"/api/v1/ports/{env.message_secure.pk}/"
    assert client.delete(url).status_code == 428
    assert client.delete(url, **{"If-Match": client.get(url)["ETag"]}).status_code == 204
    assert not Connection.objects.filter(pk=env.connection.pk).exists()
    assert AuditEvent.objects.filter(object_type="port", action="delete").exists()


def test_connections_list_create_and_change_protocol(api, env):
    client = api("operator")
    listed = client.get(f"/api/v1/connections/?client={env.cluster.pk}").json()["results"]
    assert [(c["server_name"], c["port_id"], c["secure"]) for c in listed] == [("MessageServer", "secure", True)]
    response = client.post("/api/v1/connections/", {"client": env.cluster.pk, "server": env.chat.pk,
                                                    "port_id": "default", "protocol": "addp",
                                                    "addp_local_timeout": 10, "addp_remote_timeout": 20})
    assert response.status_code == 201, response.content
    created = response.json()
    assert (created["addp_trace"], created["secure"]) == ("off", False)  # the form's default for ADDP
    url = f"/api/v1/connections/{created['id']}/"
    response = client.patch(url, {"protocol": "default"}, **{"If-Match": client.get(url)["ETag"]})
    assert response.status_code == 200, response.content
    assert response.json()["addp_local_timeout"] is None  # ADDP settings go with ADDP, as on the tab


def test_a_connection_to_a_port_the_server_lacks_is_refused(api, env):
    response = api("operator").post("/api/v1/connections/", {"client": env.cluster.pk, "server": env.chat.pk,
                                                             "port_id": "secure"})
    assert response.status_code == 400 and "port_id" in response.json()["errors"]


def test_two_clients_edit_one_port_the_second_is_412(api, env):
    first, second = api("operator"), api("admin")
    url = f"/api/v1/ports/{env.chat_default.pk}/"
    etag = first.get(url)["ETag"]
    assert first.patch(url, {"number": 4130}, **{"If-Match": etag}).status_code == 200
    assert second.patch(url, {"number": 4140}, **{"If-Match": etag}).status_code == 412
    assert Port.objects.get(pk=env.chat_default.pk).number == 4130


def test_every_page_of_connections_is_the_sorted_list_in_the_same_number_of_queries(
        api, env, django_assert_max_num_queries):
    client = api("viewer")
    client.get("/api/v1/connections/")
    with django_assert_max_num_queries(5) as few:
        assert client.get("/api/v1/connections/").status_code == 200
    # Names out of id order, two connections each: the pages read from the end must keep the order.
    clients = Application.objects.bulk_create(
        Application(name=f"Client_{(i * 37) % 130:03}", app_type=AppType.COBROWSE_NODE, version="8.5.003.04")
        for i in range(130))
    Connection.objects.bulk_create(Connection(client=app, port=port) for app in clients
                                   for port in (env.message_default, env.chat_default))
    expected = list(Connection.objects.order_by("client__name", "id").values_list("id", flat=True))
    assert len(expected) == 261
    listed = []
    for page in (1, 2, 3):
        with django_assert_max_num_queries(len(few.captured_queries)):
            response = client.get(f"/api/v1/connections/?page={page}")
        assert response.status_code == 200 and response.json()["count"] == 261
        listed += [c["id"] for c in response.json()["results"]]
    assert listed == expected
    to_chat = Connection.objects.filter(port__application=env.chat).order_by("client__name", "id")
    last = client.get(f"/api/v1/connections/?page=2&server={env.chat.pk}").json()
    assert last["count"] == 130
    assert [c["id"] for c in last["results"]] == list(to_chat.values_list("id", flat=True)[100:])
