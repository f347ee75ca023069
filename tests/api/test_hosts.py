"""Hosts over the API: the pattern resource. Same form, same service, same audit, ETags."""

import pytest

from applications.models import Application, AuditEvent, Host

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


@pytest.fixture
def host(db):
    return Host.objects.create(name="core-01", address="10.0.0.1", os_type="linux")


def test_a_viewer_lists_and_filters_hosts(api, host):
    Host.objects.create(name="win-01", address="10.0.0.2", os_type="windows")
    response = api("viewer").get("/api/v1/hosts/?os_type=windows")
    assert response.status_code == 200
    assert [h["name"] for h in response.json()["results"]] == ["win-01"]
    assert response.json()["count"] == 1


def test_a_read_carries_the_version_as_etag(api, host):
    from applications.services import object_version

    response = api("viewer").get(f"/api/v1/hosts/{host.pk}/")
    assert response.status_code == 200
    assert response["ETag"] == f'"{object_version(host)}"'
    assert response.json()["name"] == "core-01"


def test_an_operator_creates_a_host_through_the_form_and_it_is_audited(api):
    response = api("operator").post("/api/v1/hosts/", {"name": "  new-01 ", "address": "10.1.1.1",
                                                       "os_type": "linux", "note": "for the pilot"})
    assert response.status_code == 201, response.content
    assert response.json()["name"] == "new-01"  # the form's clean_name strips it
    assert response["Location"] == f"/api/v1/hosts/{response.json()['id']}/"
    event = AuditEvent.objects.get(object_type="host", action="create")
    assert event.actor_name == "operator" and event.message == "for the pilot"


def test_a_viewer_may_not_create_a_host(api):
    response = api("viewer").post("/api/v1/hosts/", {"name": "x", "address": "10.1.1.1", "os_type": "linux"})
    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM
    assert "Operator" in response.json()["detail"]


def test_form_errors_come_back_by_field(api, host):
    response = api("operator").post("/api/v1/hosts/", {"name": "core-01", "address": "not an address!",
                                                       "os_type": "beos"})
    assert response.status_code == 400
    body = response.json()
    assert response["Content-Type"] == PROBLEM
    assert body["status"] == 400 and body["title"] and body["type"]
    assert set(body["errors"]) == {"os_type"}  # types first: a choice outside the list
    response = api("operator").post("/api/v1/hosts/", {"name": "core-01", "address": "not an address!",
                                                       "os_type": "linux"})
    assert set(response.json()["errors"]) == {"name", "address"}  # then the form: unique name, address


def test_wrong_json_types_are_refused_not_coerced(api):
    response = api("operator").post("/api/v1/hosts/", {"name": 12, "address": ["x"], "os_type": True})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"name", "address", "os_type"}


@pytest.mark.parametrize("body", ["[1, 2]", "not json", '"text"', "{"])
def test_a_body_that_is_not_an_object_is_a_400(api, body):
    response = api("operator").client.post("/api/v1/hosts/", data=body, content_type="application/json",
                                           headers=api("operator").headers)
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM


def test_an_update_without_if_match_is_428(api, host):
    response = api("operator").patch(f"/api/v1/hosts/{host.pk}/", {"address": "10.0.0.9"})
    assert response.status_code == 428
    assert response["Content-Type"] == PROBLEM
    host.refresh_from_db()
    assert host.address == "10.0.0.1"


def test_an_update_with_the_current_etag_saves_and_gives_the_new_one(api, host):
    client = api("operator")
    etag = client.get(f"/api/v1/hosts/{host.pk}/")["ETag"]
    response = client.patch(f"/api/v1/hosts/{host.pk}/", {"address": "10.0.0.9"}, **{"If-Match": etag})
    assert response.status_code == 200, response.content
    assert response.json()["address"] == "10.0.0.9"
    assert response["ETag"] != etag
    assert AuditEvent.objects.filter(object_type="host", action="update").count() == 1


def test_two_clients_with_the_same_etag_the_second_gets_412_with_what_changed(api, host):
    first, second = api("operator"), api("security")
    etag = first.get(f"/api/v1/hosts/{host.pk}/")["ETag"]
    assert second.get(f"/api/v1/hosts/{host.pk}/")["ETag"] == etag
    assert first.patch(f"/api/v1/hosts/{host.pk}/", {"address": "10.0.0.8"}, **{"If-Match": etag}).status_code == 200
    response = second.patch(f"/api/v1/hosts/{host.pk}/", {"description": "mine"}, **{"If-Match": etag})
    assert response.status_code == 412
    body = response.json()
    assert response["Content-Type"] == PROBLEM
    assert body["changes"][0]["by"] == "operator" and "address" in body["changes"][0]["changes"]
    assert body["current_etag"] == first.get(f"/api/v1/hosts/{host.pk}/")["ETag"]
    host.refresh_from_db()
    assert (host.address, host.description) == ("10.0.0.8", "")


def test_a_stale_delete_is_412_and_deletes_nothing(api, host):
    client = api("operator")
    etag = client.get(f"/api/v1/hosts/{host.pk}/")["ETag"]
    client.patch(f"/api/v1/hosts/{host.pk}/", {"address": "10.0.0.8"}, **{"If-Match": etag})
    assert client.delete(f"/api/v1/hosts/{host.pk}/", **{"If-Match": etag}).status_code == 412
    assert Host.objects.filter(pk=host.pk).exists()


def test_a_garbled_if_match_is_412_not_500(api, host):
    response = api("operator").put(f"/api/v1/hosts/{host.pk}/", {"name": "a", "address": "10.0.0.3",
                                                                  "os_type": "linux"}, **{"If-Match": "garbage\u00e9"})
    assert response.status_code == 412


def test_deleting_a_host_that_runs_applications_is_409(api, host):
    Application.objects.create(name="cs", app_type="config_server", version="8.5.000.01", host=host)
    client = api("operator")
    etag = client.get(f"/api/v1/hosts/{host.pk}/")["ETag"]
    response = client.delete(f"/api/v1/hosts/{host.pk}/", **{"If-Match": etag})
    assert response.status_code == 409
    assert response["Content-Type"] == PROBLEM
    assert Host.objects.filter(pk=host.pk).exists()


def test_delete_with_the_current_etag(api, host):
    client = api("operator")
    etag = client.get(f"/api/v1/hosts/{host.pk}/")["ETag"]
    assert client.delete(f"/api/v1/hosts/{host.pk}/", **{"If-Match": etag}).status_code == 204
    assert not Host.objects.filter(pk=host.pk).exists()
    assert AuditEvent.objects.filter(object_type="host", action="delete").exists()


def test_the_list_takes_the_same_number_of_queries_for_1_or_150_hosts(api, django_assert_max_num_queries, host):
    client = api("viewer")
    client.get("/api/v1/hosts/")  # warm: the token's last use is written once a minute at most
    with django_assert_max_num_queries(5) as few:
        assert client.get("/api/v1/hosts/").status_code == 200
    Host.objects.bulk_create(Host(name=f"h{i:03}", address=f"10.2.0.{i % 250}", os_type="linux") for i in range(150))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/api/v1/hosts/?page=2")
    assert response.status_code == 200 and len(response.json()["results"]) == 51
