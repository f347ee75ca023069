"""R3: the setenv.sh / setenv.bat fragments for the Configuration Server connection (J6)."""

import pytest
from django.urls import reverse

from applications.models import Port
from security.section import security_section_set
from security.setenv import PASSWORD_PLACEHOLDER, SetenvRefused, SetenvRequest, render_bat, render_sh, setenv_lines

from .conftest import JKS_PASSWORD, WINDOWS_JKS

PREFIX = "-Dcom.genesyslab.platform.commons.connection.tls."


def request(**overrides) -> SetenvRequest:
    values = {
        "application_name": "CB_Node_A", "application_label": "Co-browse Node 8.5.003.04",
        "config_server_name": "ConfigServer", "config_host": "10.0.0.5", "config_port": 2021, "port_id": "secure",
        "provider": "PEM", "trusted_ca": "/opt/genesys/certs/certificateCA.pem", "section_holder": "CB_Node_A",
    }
    values.update(overrides)
    return SetenvRequest(**values)


def code_lines(text: str, comment: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith(comment)]


def test_sh_for_pem_exports_the_secure_port_and_the_store_path(db):
    sh = render_sh(request())
    assert code_lines(sh, "#") == [
        "export CONFIG_SERVER_HOST=10.0.0.5",
        "export CONFIG_SERVER_PORT=2021",
        "export CONFIG_SERVER_APP=CB_Node_A",
        f'JAVA_OPTS="$JAVA_OPTS {PREFIX}enabled=true"',
        f'JAVA_OPTS="$JAVA_OPTS {PREFIX}provider=PEM"',
        f'JAVA_OPTS="$JAVA_OPTS {PREFIX}trusted-ca=/opt/genesys/certs/certificateCA.pem"',
        "export JAVA_OPTS",
    ]
    assert "\r" not in sh


def test_every_setting_line_has_a_comment_saying_what_it_sets(db):
    for text, comment in ((render_sh(request(provider="JKS")), "#"), (render_bat(request(provider="JKS")), "REM")):
        lines = text.splitlines()
        for index, line in enumerate(lines):
            if line and not line.startswith(comment) and line != "export JAVA_OPTS":
                assert lines[index - 1].startswith(comment + " "), line
    purposes = {line.name: line.purpose for line in setenv_lines(request())}
    assert "secure port" in purposes["CONFIG_SERVER_PORT"]
    assert "Name of this application object" in purposes["CONFIG_SERVER_APP"]


def test_bat_uses_set_and_rem_with_crlf_line_endings(db):
    bat = render_bat(request(provider="JKS", trusted_ca="C:\\GCTI\\certs\\trust store.jks"))
    assert bat.endswith("\r\n")
    assert "\n" not in bat.replace("\r\n", "")
    lines = bat.split("\r\n")
    assert "set CONFIG_SERVER_HOST=10.0.0.5" in lines
    assert "set CONFIG_SERVER_PORT=2021" in lines
    assert "set CONFIG_SERVER_APP=CB_Node_A" in lines
    assert f'set JAVA_OPTS=%JAVA_OPTS% "{PREFIX}trusted-ca=C:\\GCTI\\certs\\trust store.jks"' in lines
    assert f"set JAVA_OPTS=%JAVA_OPTS% {PREFIX}truststore-password={PASSWORD_PLACEHOLDER}" in lines
    assert all(line.startswith(("REM ", "set ")) for line in lines if line)


def test_jks_has_a_password_placeholder_and_says_so(db):
    sh = render_sh(request(provider="JKS", trusted_ca="/opt/genesys/certs/truststore.jks"))
    assert f"{PREFIX}truststore-password={PASSWORD_PLACEHOLDER}" in sh
    assert "never writes the password" in sh


def test_mscapi_has_the_provider_line_only(db):
    req = request(provider="MSCAPI", trusted_ca="", host_os="windows")
    bat = render_bat(req)
    java = [line for line in code_lines(bat, "REM") if "JAVA_OPTS" in line]
    assert java == [f"set JAVA_OPTS=%JAVA_OPTS% {PREFIX}enabled=true",
                    f"set JAVA_OPTS=%JAVA_OPTS% {PREFIX}provider=MSCAPI"]
    assert "trusted-ca" not in "".join(code_lines(bat, "REM"))


def test_no_provider_is_warned_about_at_the_top(db):
    sh = render_sh(request(provider="", trusted_ca=""))
    assert "# WARNING: No trusted store" in sh
    assert "provider=" not in sh


def test_values_cannot_break_out_of_their_line(db):
    req = request(application_name="CB $(rm -rf /) & \"x\" ; export EVIL=1", trusted_ca="/opt/a b/$HOME`id`.pem")
    sh = render_sh(req)
    assert "export CONFIG_SERVER_APP='CB $(rm -rf /) & \"x\" ; export EVIL=1'" in sh
    assert 'trusted-ca=/opt/a b/\\$HOME\\`id\\`.pem"' in sh
    bat = render_bat(request(application_name="CB (a) & \"x\" | y % z"))
    assert "set CONFIG_SERVER_APP=CB ^(a^) ^& ^\"x^\" ^| y %% z" in bat.split("\r\n")


@pytest.mark.parametrize("name", ["CB\nexport EVIL=1", "CB\rx", "CB\u2028x", "CB\x85x", "CB\u202ex"])
def test_a_value_with_a_line_break_or_a_control_character_is_refused_not_altered(db, name):
    for render in (render_sh, render_bat):
        with pytest.raises(SetenvRefused, match="CONFIG_SERVER_APP contains control or invisible characters"):
            render(request(application_name=name))


def test_a_trusted_ca_that_does_not_fit_the_host_is_refused(db):
    with pytest.raises(SetenvRefused, match=r"is a Linux/Unix path, but cb-win-01 runs Windows"):
        render_bat(request(host_os="windows", host_name="cb-win-01"))
    with pytest.raises(SetenvRefused, match=r"is a Windows path, but cb-linux-01 runs Linux/Unix"):
        render_sh(request(trusted_ca="C:\\certs\\ca.pem", host_os="linux", host_name="cb-linux-01"))
    assert "C:\\certs\\ca.pem" in render_bat(request(trusted_ca="C:\\certs\\ca.pem", host_os="windows"))


# The page and the downloads


def url(name, app, *args):
    return reverse(f"security:{name}", args=[app.pk, *args])


def test_the_page_generates_the_file_of_the_host_from_the_secure_port_and_the_store(env, client_as):
    security_section_set(application=env.node_a, provider="JKS", store=env.jks, actor=env.users["security"])
    response = client_as("viewer").get(url("setenv", env.node_a))
    page = response.content.decode()
    assert "export CONFIG_SERVER_PORT=2021" in page and "set CONFIG_SERVER_PORT=2021" not in page
    assert "truststore.jks" in page and PASSWORD_PLACEHOLDER in page
    assert [line.name for line in response.context["lines"]][:3] == [
        "CONFIG_SERVER_HOST", "CONFIG_SERVER_PORT", "CONFIG_SERVER_APP"]
    assert [t["kind"] for t in response.context["templates"]] == ["sh"]


def test_a_windows_node_gets_setenv_bat_with_the_windows_path_of_the_store(env, client_as):
    security_section_set(application=env.node_win, provider="JKS", store=env.jks, actor=env.users["security"])
    response = client_as("viewer").get(url("setenv", env.node_win))
    assert [t["kind"] for t in response.context["templates"]] == ["bat"]
    assert f"trusted-ca={WINDOWS_JKS}" in response.context["templates"][0]["body"]
    assert "/opt/genesys" not in response.context["templates"][0]["body"]


@pytest.mark.parametrize(("node", "kind", "filename"), [("node_a", "sh", "cb_node_a-setenv.sh"),
                                                        ("node_win", "bat", "cb_node_win-setenv.bat")])
def test_viewers_may_download_the_file_of_the_host_and_it_holds_no_password(env, client_as, node, kind, filename):
    app = getattr(env, node)
    security_section_set(application=app, provider="JKS", store=env.jks, actor=env.users["security"])
    response = client_as("viewer").get(url("setenv_download", app, kind))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert JKS_PASSWORD.encode() not in response.content
    assert PASSWORD_PLACEHOLDER.encode() in response.content
    assert (b"\r\n" in response.content) == (kind == "bat")
    other = "bat" if kind == "sh" else "sh"
    assert client_as("viewer").get(url("setenv_download", app, other)).status_code == 404


def test_a_node_without_its_own_section_uses_the_clusters(env, client_as):
    security_section_set(application=env.node_win, provider="MSCAPI", store=env.mscapi, actor=env.users["security"])
    security_section_set(application=env.cluster, provider="PEM", store=env.pem, actor=env.users["security"])
    response = client_as("viewer").get(url("setenv", env.node_b))
    assert response.context["req"].section_holder == "CB_Cluster"
    assert "certificateCA.pem" in response.context["templates"][0]["body"]


def test_without_a_secured_port_the_page_says_what_is_missing(env, client_as):
    Port.objects.filter(application=env.config_server, secured=True).delete()
    response = client_as("viewer").get(url("setenv", env.node_a))
    page = response.content.decode()
    assert "ConfigServer has no secure port: add one on its Server Info tab" in page
    assert reverse("applications:ports", args=[env.config_server.pk]) in page
    assert client_as("viewer").get(url("setenv_download", env.node_a, "sh")).status_code == 404


def test_without_a_configuration_server_the_page_says_so(env, client_as):
    env.config_server.delete()
    page = client_as("viewer").get(url("setenv", env.node_a)).content.decode()
    assert "No Configuration Server application exists" in page


def test_a_cluster_page_links_to_the_setenv_of_each_node(env, client_as):
    page = client_as("viewer").get(url("setenv", env.cluster)).content.decode()
    for node in (env.node_a, env.node_b, env.node_win):
        assert url("setenv", node) in page


def test_mutual_tls_on_the_port_is_warned_about(env, client_as):
    Port.objects.filter(pk=env.cs_secure.pk).update(mutual_tls=True)
    response = client_as("viewer").get(url("setenv", env.node_a))
    assert any("mutual TLS" in note for note in response.context["notes"])
