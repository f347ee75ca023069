"""Effective TLS where operators look: the connection and port pages (and the edit forms), the command,
the API; the port form writes tls / tls-mutual into the transport parameters."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from applications.models import Port
from tests.effective_tls.conftest import set_app_option, set_host_option


@pytest.fixture
def layered(tls_world):
    """trusted-ca at three levels, cipher-list on the port, sec-protocol on the client's host."""
    world = tls_world
    world.connection.transport_params = "trusted-ca=/conn/ca.pem"
    world.connection.save()
    set_app_option(world.client, "trusted-ca", "/app/ca.pem")
    set_host_option(world.client_host, "trusted-ca", "/host/ca.pem")
    set_host_option(world.client_host, "sec-protocol", "TLSv12")
    world.port.transport_params = "tls=1;cipher-list=HIGH"
    world.port.save()
    return world


def test_the_connection_page_shows_value_source_overrides_and_edit_links(layered, client_as):
    html = client_as("viewer").get(reverse("security:connection_tls", args=[layered.connection.pk])).content.decode()
    assert 'id="effective-tls"' in html
    row = html[html.index('data-parameter="trusted-ca"'):].split("</tr>")[0]
    assert "/conn/ca.pem" in row and "Connection Stat_Server → Chat_Server:secure" in row
    assert "<del class=\"mono\">/app/ca.pem</del>" in row and "<del class=\"mono\">/host/ca.pem</del>" in row
    assert f'href="{reverse("applications:host_options", args=[layered.client_host.pk])}"' in row
    row = html[html.index('data-parameter="sec-protocol"'):].split("</tr>")[0]
    assert "TLSv12" in row and "Host cb-linux-01" in row and 'data-source="host"' in row
    row = html[html.index('data-parameter="tls-crl"'):].split("</tr>")[0]
    assert "not set" in row


def test_the_port_page_and_the_edit_forms_show_the_panel(layered, client_as):
    browser = client_as("operator")
    html = browser.get(reverse("security:port_tls", args=[layered.port.pk])).content.decode()
    row = html[html.index('data-parameter="cipher-list"'):].split("</tr>")[0]
    assert "HIGH" in row and "Port Chat_Server:secure" in row
    assert reverse("security:connection_tls", args=[layered.connection.pk]) in html  # its clients
    edit = browser.get(reverse("applications:port_edit", args=[layered.server.pk, layered.port.pk])).content.decode()
    assert 'id="effective-tls"' in edit and "HIGH" in edit
    edit = browser.get(reverse("applications:connection_edit",
                               args=[layered.client.pk, layered.connection.pk])).content.decode()
    assert 'id="effective-tls"' in edit and "/conn/ca.pem" in edit
    # Linked from the tabs that list them.
    assert reverse("security:connection_tls", args=[layered.connection.pk]) in browser.get(
        reverse("applications:connections", args=[layered.client.pk])).content.decode()
    assert reverse("security:port_tls", args=[layered.port.pk]) in browser.get(
        reverse("applications:ports", args=[layered.server.pk])).content.decode()


def run(*args) -> dict:
    from io import StringIO

    out = StringIO()
    call_command("tls_effective", *args, stdout=out)
    return json.loads(out.getvalue())


def test_the_command_prints_each_parameter_with_its_source(layered):
    result = run("--connection", str(layered.connection.pk), "--json")
    assert result["parameters"]["trusted-ca"] == {"value": "/conn/ca.pem", "source": "connection",
                                                  "object": "Stat_Server → Chat_Server:secure"}
    assert result["parameters"]["sec-protocol"] == {"value": "TLSv12", "source": "host", "object": "cb-linux-01"}
    assert result["parameters"]["tls"] == {"value": "1", "source": "port", "object": "Chat_Server:secure"}
    assert result["parameters"]["tls-crl"] == {"value": None, "source": None, "object": None}
    result = run("--port", str(layered.port.pk), "--json")
    assert result["parameters"]["cipher-list"] == {"value": "HIGH", "source": "port", "object": "Chat_Server:secure"}
    assert result["parameters"]["trusted-ca"]["value"] is None  # the client's levels are not the server's


@pytest.mark.parametrize(("args", "message"), [
    (("--connection", "999999"), "no connection with id 999999"),
    (("--port", "999999"), "no port with id 999999"),
    (("--port", "abc"), "give the id of a port"),
    ((), "give exactly one of --connection ID and --port ID"),
])
def test_the_command_refuses_a_bad_id_in_one_line(tls_world, args, message):
    with pytest.raises(CommandError) as error:
        call_command("tls_effective", *args, "--json")
    assert message in str(error.value) and "\n" not in str(error.value)
    assert error.value.returncode == 1


def test_the_api_answers_the_effective_tls_and_documents_it(layered, api):
    client = api("viewer")
    body = client.get(f"/api/v1/connections/{layered.connection.pk}/effective-tls/").json()
    assert body["side"] == "client"
    trusted = body["parameters"]["trusted-ca"]
    assert (trusted["value"], trusted["source"], trusted["object"]) == ("/conn/ca.pem", "connection",
                                                                        "Stat_Server → Chat_Server:secure")
    assert [(o["value"], o["source"]) for o in trusted["overridden"]] == [("/app/ca.pem", "application"),
                                                                          ("/host/ca.pem", "host")]
    body = client.get(f"/api/v1/ports/{layered.port.pk}/effective-tls/").json()
    assert body["side"] == "server" and body["parameters"]["cipher-list"]["value"] == "HIGH"
    assert client.get("/api/v1/ports/999999/effective-tls/").status_code == 404
    assert api(None).get(f"/api/v1/ports/{layered.port.pk}/effective-tls/").status_code in (401, 403)
    schema = client.get("/api/v1/schema/?format=json").json()
    assert "/api/v1/connections/{id}/effective-tls/" in schema["paths"]
    assert "/api/v1/ports/{id}/effective-tls/" in schema["paths"]


def test_the_api_edits_port_parameters_and_host_options(tls_world, api):
    operator = api("operator")
    url = f"/api/v1/ports/{tls_world.plain.pk}/"
    read = operator.get(url)
    assert read.json()["transport_params"] == "" and read.json()["mode"] == "default"
    response = operator.patch(url, {"transport_params": "tls=1;sec-protocol=TLSv12", "mode": "secure"},
                              **{"If-Match": read["ETag"]})
    assert response.status_code == 200, response.json()
    assert (response.json()["secured"], response.json()["transport_params"]) == (True, "tls=1;sec-protocol=TLSv12")
    # A PATCH of the number alone leaves TLS as it is.
    response = operator.patch(url, {"number": 4999}, **{"If-Match": response["ETag"]})
    assert response.json()["secured"] is True and response.json()["transport_params"] == "tls=1;sec-protocol=TLSv12"
    # The convenience box writes the parameter.
    response = operator.patch(url, {"mutual_tls": True}, **{"If-Match": response["ETag"]})
    assert response.json()["transport_params"] == "tls=1;sec-protocol=TLSv12;tls-mutual=1"
    assert Port.objects.get(pk=tls_world.plain.pk).mutual_tls
    # Host options: the [security] section for a Security officer, with the revision as ETag.
    hosts = f"/api/v1/hosts/{tls_world.client_host.pk}/options/"
    read = api("security").get(hosts)
    assert read.json() == {"host": tls_world.client_host.pk, "revision": 0, "options": []}
    change = {"changes": [{"section": "security", "name": "tls-target-name-check", "value": "hots"}]}
    refused = api("security").patch(hosts, change, **{"If-Match": read["ETag"]})
    assert refused.status_code == 400 and "Did you mean host?" in str(refused.json())
    change["changes"][0]["value"] = "host"
    assert api("operator").patch(hosts, change, **{"If-Match": read["ETag"]}).status_code == 400
    saved = api("security").patch(hosts, change, **{"If-Match": read["ETag"]})
    assert saved.status_code == 200 and saved.json()["options"] == [
        {"section": "security", "name": "tls-target-name-check", "value": "host"}]
    stale = api("security").patch(hosts, change, **{"If-Match": read["ETag"]})
    assert stale.status_code == 412


def test_the_port_form_writes_the_parameters(tls_world, client_as):
    browser = client_as("operator")
    url = reverse("applications:port_edit", args=[tls_world.server.pk, tls_world.plain.pk])
    page = browser.get(url)
    version = page.context["opened_version"]
    base = {"port_id": "default", "number": "4120", "mode": "default", "transport_params": "cipher-list=HIGH",
            "opened_version": version}
    # The box ticked writes tls=1 after what was typed.
    assert browser.post(url, {**base, "secured": "on"}).status_code == 302
    port = Port.objects.get(pk=tls_world.plain.pk)
    assert (port.transport_params, port.secured) == ("cipher-list=HIGH;tls=1", True)
    # Parameters typed win over a box left as it was: tls=0 typed, the box still ticked.
    version = browser.get(url).context["opened_version"]
    response = browser.post(url, {**base, "opened_version": version, "transport_params": "tls=0;cipher-list=LOW",
                                  "secured": "on"})
    assert response.status_code == 302
    port = Port.objects.get(pk=tls_world.plain.pk)
    assert (port.transport_params, port.secured) == ("tls=0;cipher-list=LOW", False)
    # The box unticked with tls=1 left in the parameters: the box changed, it removes tls.
    Port.objects.get(pk=tls_world.plain.pk).save()
    port.transport_params = "tls=1;cipher-list=LOW"
    port.save()
    version = browser.get(url).context["opened_version"]
    response = browser.post(url, {**base, "opened_version": version, "transport_params": "tls=1;cipher-list=LOW"})
    assert response.status_code == 302
    assert Port.objects.get(pk=tls_world.plain.pk).transport_params == "cipher-list=LOW"
    # Bad values are refused.
    version = browser.get(url).context["opened_version"]
    for params, mode, message in [("tls=yes", "default", "tls is 1 (on) or 0 (off)"),
                                  ("", "secure", "secure-mode port speaks TLS"),
                                  ("tls=1", "upgrade", "Only a Configuration Server"),
                                  ("tls=1;tls=1", "default", "given twice")]:
        response = browser.post(url, {**base, "opened_version": version, "transport_params": params, "mode": mode})
        assert response.status_code == 200 and message in response.content.decode(), message
