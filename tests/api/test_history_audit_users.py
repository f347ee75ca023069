"""Versions, compare and revert; the audit trail; users (Administrator only)."""

import pytest
from django.contrib.auth.models import User

from applications import audit
from applications.models import AuditEvent, Option
from applications.options import OptionChange, options_apply

pytestmark = pytest.mark.django_db


def test_versions_compare_and_revert(api, env):
    client = api("operator")
    admin = env.users["admin"]
    options_apply(application=env.cluster, changes=[OptionChange("custom", "flag", "1")], actor=admin)
    options_apply(application=env.cluster, changes=[OptionChange("custom", "flag", "2")], actor=admin)
    base = f"/api/v1/applications/{env.cluster.pk}/"
    listed = client.get(base + "versions/")
    numbers = [v["number"] for v in listed.json()["results"]]
    assert numbers == sorted(numbers, reverse=True) and len(numbers) >= 2
    newest = numbers[0]
    assert listed["ETag"] == f'"{newest}"'
    changed = client.get(base + f"versions/{newest}/").json()["groups"]
    assert {"key": "flag", "old": "1", "new": "2", "status": "changed", "secret": False} in changed[0]["rows"]
    compare = client.get(base + f"compare/?a={newest - 1}&b=current").json()
    assert compare["groups"][0]["rows"][0]["new"] == "2"
    assert client.get(base + "compare/?a=999").status_code == 400
    # Revert to the version before: If-Match is the newest number as read.
    assert client.post(base + f"versions/{newest - 1}/revert/").status_code == 428
    response = client.post(base + f"versions/{newest - 1}/revert/", {"note": "undo"}, **{"If-Match": listed["ETag"]})
    assert response.status_code == 200, response.content
    assert response.json() == {"reverted": True, "version": newest + 1}
    assert Option.objects.get(application=env.cluster, name="flag").value == "1"
    stale = client.post(base + f"versions/{newest}/revert/", {}, **{"If-Match": listed["ETag"]})
    assert stale.status_code == 412


def test_a_viewer_may_not_revert(api, env):
    url = f"/api/v1/applications/{env.cluster.pk}/versions/1/revert/"
    assert api("viewer").post(url, {}, **{"If-Match": '"1"'}).status_code == 403


def test_the_audit_trail_filters_and_pages_newest_first(api, env):
    client = api("viewer")
    options_apply(application=env.cluster, changes=[OptionChange("custom", "db-password", "hunter2")],
                  actor="seed")
    events = client.get("/api/v1/audit-events/?object_type=option").json()
    assert events["results"][0]["object_type"] == "option"
    assert "hunter2" not in str(events)
    assert client.get("/api/v1/audit-events/?since=yesterday").status_code == 400
    assert client.get("/api/v1/audit-events/?object_type=spaceship").status_code == 400
    AuditEvent.objects.bulk_create([AuditEvent(action="update", object_type="host", actor_name="x")
                                    for _ in range(150)])
    first = client.get("/api/v1/audit-events/").json()
    assert len(first["results"]) == 100 and first["next"]
    ids = [e["id"] for e in first["results"]]
    assert ids == sorted(ids, reverse=True)
    second = client.get(first["next"].split("testserver")[-1]).json()
    assert second["results"][0]["id"] < ids[-1]


def test_only_an_administrator_manages_users(api, users):
    assert api("security").get("/api/v1/users/").status_code == 403
    client = api("admin")
    response = client.post("/api/v1/users/", {"username": "newop", "role": "Operator",
                                              "password": "a-long-enough-pass-42"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["role"] == "Operator" and body["active"] is True
    assert "password" not in response.content.decode()
    url = f"/api/v1/users/{body['id']}/"
    etag = client.get(url)["ETag"]
    response = client.patch(url, {"role": "Viewer", "password": "another-long-pass-43"}, **{"If-Match": etag})
    assert response.status_code == 200, response.content
    assert response.json()["role"] == "Viewer"
    event = AuditEvent.objects.filter(object_type="user", action="update").latest("id")
    assert event.changes["password"] == [None, audit.SECRET_CHANGED]
    assert "another-long-pass-43" not in str(event.changes)
    assert client.patch(url, {"active": False}, **{"If-Match": etag}).status_code == 412


def test_a_weak_password_and_a_look_alike_name_are_refused(api, users):
    client = api("admin")
    response = client.post("/api/v1/users/", {"username": "x1", "role": "Viewer", "password": "123"})
    assert response.status_code == 400 and "password" in response.json()["errors"]
    response = client.post("/api/v1/users/", {"username": "0perator", "role": "Viewer",
                                              "password": "a-long-enough-pass-42"})
    assert response.status_code == 400 and "username" in response.json()["errors"]


def test_an_administrator_cannot_lower_their_own_role_api_or_page(api, users, client_as):
    client = api("admin")
    url = f"/api/v1/users/{users['admin'].pk}/"
    response = client.patch(url, {"role": "Viewer"}, **{"If-Match": client.get(url)["ETag"]})
    assert response.status_code == 400 and "role" in response.json()["errors"]
    page = client_as("admin")
    from applications.users import user_version

    response = page.post(f"/users/{users['admin'].pk}/", {"role": "Viewer", "active": "on",
                                                           "opened_version": user_version(users["admin"])})
    assert response.status_code == 200
    assert "You cannot lower your own role" in response.content.decode()
    assert User.objects.get(pk=users["admin"].pk).groups.get().name == "Administrator"


def test_the_user_list_takes_the_same_queries_for_more_users(api, users, django_assert_max_num_queries):
    client = api("admin")
    client.get("/api/v1/users/")
    with django_assert_max_num_queries(10) as few:
        client.get("/api/v1/users/")
    from django.contrib.auth.models import Group

    viewers = Group.objects.get(name="Viewer")
    for i in range(20):
        User.objects.create(username=f"extra{i}").groups.add(viewers)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get("/api/v1/users/").json()["results"]) == 24


def test_the_filtered_audit_trail_takes_the_same_queries_for_more_events(api, env, django_assert_max_num_queries):
    client = api("viewer")
    url = "/api/v1/audit-events/?object_type=application&action=update"
    AuditEvent.objects.create(action="update", object_type="application", actor_name="x", application=env.node)
    client.get(url)
    with django_assert_max_num_queries(5) as few:
        assert len(client.get(url).json()["results"]) == 1
    AuditEvent.objects.bulk_create([AuditEvent(action="update", object_type="application", actor_name="x",
                                               application=app) for app in (env.node, env.cluster) * 75])
    AuditEvent.objects.bulk_create([AuditEvent(action="update", object_type="host", actor_name="x")
                                    for _ in range(50)])
    with django_assert_max_num_queries(len(few.captured_queries)):
        results = client.get(url).json()["results"]
    assert len(results) == 100 and {e["application_name"] for e in results} == {env.node.name, env.cluster.name}
