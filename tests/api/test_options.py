"""Options, the security section and cluster-wide apply over the API: the editor's and the Security
tab's services, the options revision as ETag, secrets write-only."""

import pytest

from applications.models import AuditEvent, Option
from applications.options import OptionChange, options_apply

pytestmark = pytest.mark.django_db


def options_url(app) -> str:
    return f"/api/v1/applications/{app.pk}/options/"


def test_a_viewer_reads_every_option_with_the_revision_as_etag(api, env):
    Option.objects.create(application=env.cluster, section="security", name="truststore-password",
                          value="sealed", is_secret=True)
    response = api("viewer").get(options_url(env.cluster))
    assert response.status_code == 200
    assert response["ETag"] == f'"{env.cluster.options_revision}"'
    rows = {(o["section"], o["name"]): o for o in response.json()["options"]}
    assert rows[("cluster", "url")]["value"] == "https://cb.example.com/cobrowse"
    assert rows[("security", "truststore-password")] == {
        "section": "security", "name": "truststore-password", "value": None, "secret": True,
        "pending_restart": False}
    assert "sealed" not in response.content.decode()


def test_an_operator_changes_options_as_the_editor_does(api, env, committed):
    client = api("operator")
    etag = client.get(options_url(env.cluster))["ETag"]
    with committed():
        response = client.patch(options_url(env.cluster), {
            "changes": [{"section": "custom", "name": "flag", "value": "kept  as typed"},
                        {"section": "log", "name": "verbose", "value": None}], "note": "tuning"},
            **{"If-Match": etag})
    assert response.status_code == 200, response.content
    assert response["ETag"] != etag
    rows = {(o["section"], o["name"]): o for o in response.json()["options"]}
    assert rows[("custom", "flag")]["value"] == "kept  as typed"
    assert rows[("custom", "flag")]["pending_restart"] is True
    assert ("log", "verbose") not in rows
    assert AuditEvent.objects.filter(object_type="option", application=env.cluster, message__contains="tuning").exists()


def test_options_need_if_match_and_a_stale_one_is_412_naming_the_change(api, env):
    client = api("operator")
    body = {"changes": [{"section": "custom", "name": "a", "value": "1"}]}
    assert client.patch(options_url(env.cluster), body).status_code == 428
    etag = client.get(options_url(env.cluster))["ETag"]
    options_apply(application=env.cluster, changes=[OptionChange("custom", "b", "2")], actor=env.users["admin"])
    response = client.patch(options_url(env.cluster), body, **{"If-Match": etag})
    assert response.status_code == 412
    assert response.json()["changes"][0]["by"] == "admin"
    assert not Option.objects.filter(application=env.cluster, name="a").exists()


def test_an_operator_may_not_touch_the_security_section_or_secrets(api, env):
    client = api("operator")
    etag = client.get(options_url(env.node))["ETag"]
    response = client.patch(options_url(env.node), {"changes": [
        {"section": "security", "name": "provider", "value": "JKS"},
        {"section": "custom", "name": "db-password", "value": "hunter2"}]}, **{"If-Match": etag})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"[security] provider", "[custom] db-password"}
    assert "hunter2" not in response.content.decode()
    assert Option.objects.get(application=env.node, name="provider").value == "PEM"


def test_invalid_options_are_400_with_every_error_and_never_trimmed(api, env):
    client = api("operator")
    etag = client.get(options_url(env.cluster))["ETag"]
    response = client.patch(options_url(env.cluster), {"changes": [
        {"section": "", "name": "x", "value": "1"}, {"section": "ok", "name": "bad\nname", "value": "1"},
        {"section": "ok", "name": "spaced", "value": " 1 "}]}, **{"If-Match": etag})
    assert response.status_code == 400
    assert len(response.json()["errors"]) == 3
    assert not Option.objects.filter(application=env.cluster, section="ok").exists()


def test_the_security_section_goes_through_its_forms_rules(api, env):
    client = api("security")
    url = f"/api/v1/applications/{env.node.pk}/security/"
    read = client.get(url)
    assert read.json()["provider"] == "PEM" and read.json()["allowed"] is True
    # MSCAPI exists only on Windows: the node is on a Windows host, the cluster on Linux.
    response = client.put(url, {"provider": "PEM", "typed_path": "/opt/ca.pem"}, **{"If-Match": read["ETag"]})
    assert response.status_code == 400  # a Linux path on a Windows host (the form's rule)
    response = client.put(url, {"provider": "PEM", "typed_path": "C:\\certs\\ca.pem", "note": "new CA"},
                          **{"If-Match": read["ETag"]})
    assert response.status_code == 200, response.content
    assert response.json()["trusted_ca"] == "C:\\certs\\ca.pem"
    assert api("operator").put(url, {"provider": ""}, **{"If-Match": response["ETag"]}).status_code == 403


def test_a_section_r1_forbids_is_409(api, env):
    env.cluster.scs_controlled = True
    env.cluster.save()
    client = api("security")
    url = f"/api/v1/applications/{env.cluster.pk}/security/"
    etag = client.get(url)["ETag"]
    response = client.put(url, {"provider": "PEM", "typed_path": "/opt/ca.pem"}, **{"If-Match": etag})
    assert response.status_code == 409


def test_cluster_apply_sets_every_node_and_a_changed_node_is_412(api, env):
    client = api("security")
    url = f"/api/v1/applications/{env.cluster.pk}/security/cluster-apply/"
    read = client.get(url)
    assert [n["name"] for n in read.json()["nodes"]] == ["Cobrowse_Node_1"]
    options_apply(application=env.node, changes=[OptionChange("custom", "x", "1")], actor="test")
    body = {"provider": "PEM", "typed_path": "C:\\certs\\all.pem"}
    assert client.post(url, body, **{"If-Match": read["ETag"]}).status_code == 412
    response = client.post(url, body, **{"If-Match": client.get(url)["ETag"]})
    assert response.status_code == 200, response.content
    assert response.json()["nodes"][0]["trusted_ca"] == "C:\\certs\\all.pem"
    assert client.post(url, body).status_code == 428
