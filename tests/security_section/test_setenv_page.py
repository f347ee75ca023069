"""The setenv page through HTTP, with every role: upload or paste the release's file, see the diff, download it."""

import base64

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from security.section import security_section_set
from security.setenv import TLS_PROPERTY_PREFIX as P

from .conftest import JKS_PASSWORD, WINDOWS_JKS

RELEASE_SH = (b"#!/bin/sh\n# Co-browse\nexport CONFIG_SERVER_HOST=localhost\nCONFIG_SERVER_PORT=2020\n"
              + f'JAVA_OPTS="$JAVA_OPTS -Xmx1g -D{P}enabled=false"\nexport JAVA_OPTS\n'.encode())
RELEASE_BAT = (b"@echo off\r\nset CONFIG_SERVER_HOST=localhost\r\nset CONFIG_SERVER_PORT=2020\r\n"
               + f"set JAVA_OPTS=%JAVA_OPTS% -Xmx1g -D{P}enabled=false\r\n".encode())
ROLES = ["viewer", "operator", "security", "admin"]


def page_url(app):
    return reverse("security:setenv", args=[app.pk])


def upload(client, app, data: bytes, kind: str, name: str | None = None):
    return client.post(page_url(app), {"kind": kind, "file": SimpleUploadedFile(name or f"setenv.{kind}", data)})


def download(client, app, response):
    form = response.context["patched_form"]
    return client.post(reverse("security:setenv_patched", args=[app.pk]),
                       {"kind": form["kind"].value(), "original": form["original"].value(),
                        "shown": form["shown"].value()})


@pytest.fixture
def jks_node(env):
    security_section_set(application=env.node_a, provider="JKS", store=env.jks, actor=env.users["security"])
    return env.node_a


@pytest.mark.parametrize("role", ROLES)
def test_every_role_uploads_the_release_file_sees_the_diff_and_downloads_it(env, client_as, jks_node, role):
    client = client_as(role)
    response = upload(client, jks_node, RELEASE_SH, "sh")
    assert response.status_code == 200
    result = response.context["patch"]
    page = response.content.decode()
    assert "-export CONFIG_SERVER_HOST=localhost" in page and "+export CONFIG_SERVER_HOST=10.0.0.5" in page
    assert f"+JAVA_OPTS=&quot;$JAVA_OPTS -Xmx1g -D{P}enabled=true&quot;" in page
    assert "Not in your file, added at the end in a marked block" in page
    assert result.found["CONFIG_SERVER_PORT"] == [4]

    downloaded = download(client, jks_node, response)

    assert downloaded.status_code == 200
    assert downloaded["Content-Disposition"] == 'attachment; filename="cb_node_a-setenv.sh"'
    assert downloaded.content == result.content()
    assert downloaded.content.startswith(b"#!/bin/sh\n# Co-browse\nexport CONFIG_SERVER_HOST=10.0.0.5\n")
    assert JKS_PASSWORD.encode() not in downloaded.content


def test_a_windows_node_patches_setenv_bat_with_the_windows_path_and_keeps_crlf(env, client_as):
    security_section_set(application=env.node_win, provider="JKS", store=env.jks, actor=env.users["security"])
    client = client_as("viewer")
    response = upload(client, env.node_win, RELEASE_BAT, "bat")
    content = download(client, env.node_win, response).content
    assert content.startswith(RELEASE_BAT.replace(b"localhost", b"10.0.0.5").replace(b"2020", b"2021")
                              .replace(b"enabled=false", b"enabled=true"))
    assert f"trusted-ca={WINDOWS_JKS}".encode() in content and b"/opt/genesys" not in content
    assert content.count(b"\n") == content.count(b"\r\n")
    # Its file is setenv.bat: the sh choice is not offered.
    assert upload(client, env.node_win, RELEASE_SH, "sh").context["upload_form"].errors["kind"]


def test_pasted_text_gets_the_line_endings_of_its_kind(env, client_as, jks_node):
    client = client_as("viewer")
    response = client.post(page_url(jks_node), {"kind": "sh", "text": RELEASE_SH.decode().replace("\n", "\r\n")})
    assert response.context["pasted"]
    assert b"\r" not in download(client, jks_node, response).content
    assert "Pasted text: line endings LF" in response.content.decode()


def test_a_download_after_the_configuration_changed_shows_the_new_diff_instead(env, client_as, jks_node):
    client = client_as("viewer")
    response = upload(client, jks_node, RELEASE_SH, "sh")
    security_section_set(application=jks_node, provider="PEM", store=env.pem, actor=env.users["security"])

    again = download(client, jks_node, response)

    assert again.status_code == 200 and "Content-Disposition" not in again
    assert "Not downloaded: the configuration changed since the changes were shown." in again.content.decode()
    assert f"-D{P}provider=PEM" in again.context["patch"].text
    assert download(client, jks_node, again)["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize(("data", "message"), [
    (b"\x00\x01\x02", "This is binary data"),
    ("export A=caf\xe9\n".encode("latin-1"), "Line 1 is not UTF-8 text"),
    (b"#" * (256 * 1024 + 1), "a setenv file may be at most 262,144 bytes"),
    (b"export CONFIG_SERVER_HOST=$(hostname)\n", "Line 1 sets CONFIG_SERVER_HOST with a command"),
])
def test_a_bad_upload_is_a_form_error_and_nothing_else(env, client_as, jks_node, data, message):
    response = upload(client_as("operator"), jks_node, data, "sh")
    assert response.status_code == 200
    assert message in " ".join(response.context["upload_form"].non_field_errors())
    assert "patch" not in response.context


def test_a_forged_download_is_refused_without_a_traceback(env, client_as, jks_node):
    client = client_as("viewer")
    for original in ("not base64!", base64.b64encode(b"\x00binary").decode()):
        response = client.post(reverse("security:setenv_patched", args=[jks_node.pk]),
                               {"kind": "sh", "original": original, "shown": "0" * 64})
        assert response.status_code == 302
        assert response["Location"].startswith(page_url(jks_node))


def test_the_template_is_labelled_as_a_template_and_the_page_offers_the_upload(env, client_as, jks_node):
    page = client_as("viewer").get(page_url(jks_node)).content.decode()
    assert "Your release's setenv file" in page and 'id="setenv-upload"' in page
    assert "Built-in template" in page and "were not read from a Co-browse release" in page
    assert "were not checked against a Co-browse release" not in page


def test_a_node_without_a_host_offers_both_files_and_says_why(env, client_as):
    env.node_b.host = None
    env.node_b.save()
    security_section_set(application=env.node_b, provider="PEM", store=env.pem_linux_only,
                         actor=env.users["security"])
    response = client_as("viewer").get(page_url(env.node_b))
    assert [t["kind"] for t in response.context["templates"]] == ["sh", "bat"]
    assert any("has no host" in note for note in response.context["notes"])


def test_a_value_that_cannot_be_written_shows_why_instead_of_a_file(env, client_as):
    from applications.models import Application

    Application.objects.filter(pk=env.node_a.pk).update(name="CB_Node_A\nrm -rf /")
    response = client_as("viewer").get(page_url(env.node_a))
    template = response.context["templates"][0]
    assert template["body"] == ""
    assert "CONFIG_SERVER_APP contains control or invisible characters" in template["refused"]
    assert client_as("viewer").get(reverse("security:setenv_download", args=[env.node_a.pk, "sh"])).status_code == 302
