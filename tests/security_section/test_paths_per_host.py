"""Paths that fit the host (issue 10.4): every place that writes trusted-ca checks it against the host's OS.

Seen: Apply to all Nodes wrote /opt/genesys/certs/truststore.jks into a Node on a Windows host and
setenv.bat used it; C:\\certs\\ca.pem was accepted for a server on Linux, and the finding showed the
backslashes doubled. Each place is tested through HTTP with the role it needs.
"""

import html

import pytest
from django.urls import reverse

from applications.models import OperatingSystem, Option
from applications.options import option_value
from security.models import Finding
from security.section import security_section_set
from security.validation import validate_application
from tests.foundation.forms_html import post_form_data

from .conftest import WINDOWS_JKS, WINDOWS_PEM

LINUX_PATH = "/opt/genesys/certs/certificateCA.pem"


def section_url(app):
    return reverse("security:section", args=[app.pk])


def post_section(client, app, **data):
    data.setdefault("revision", app.options_revision)
    data.setdefault("_save", "")
    return client.post(section_url(app), data)


def trusted_ca(app) -> str | None:
    return option_value(app, "security", "trusted-ca")


def revisions(cluster) -> str:
    return ",".join(f"{n.pk}:{n.options_revision}" for n in cluster.nodes.order_by("name"))


# The security section form


def test_a_linux_path_typed_for_a_windows_node_is_refused_on_the_path_field(env, client_as):
    response = post_section(client_as("security"), env.node_win, provider="PEM", typed_path="/opt/certs/ca.pem")
    assert response.status_code == 200
    assert response.context["form"].errors["typed_path"] == [
        '"/opt/certs/ca.pem" is a Linux/Unix path, but cb-win-01 runs Windows: give the path on that host, starting '
        "with a drive like C:\\ or with \\\\server\\share."]
    assert trusted_ca(env.node_win) is None


def test_a_windows_path_typed_for_a_linux_node_is_refused_without_doubled_backslashes(env, client_as):
    response = post_section(client_as("security"), env.node_a, provider="PEM", typed_path="C:\\certs\\ca.pem")
    assert response.status_code == 200
    error = response.context["form"].errors["typed_path"][0]
    assert error.startswith('"C:\\certs\\ca.pem" is a Windows path, but cb-linux-01 runs Linux/Unix')
    page = response.content.decode()
    assert "C:\\certs\\ca.pem" in page and "C:\\\\certs" not in page and "&#x27;C:" not in page


def test_a_store_gives_a_windows_node_its_windows_path(env, client_as):
    response = post_section(client_as("security"), env.node_win, provider="JKS", store=env.jks.pk)
    assert response.status_code == 302
    assert trusted_ca(env.node_win) == WINDOWS_JKS


def test_a_store_without_a_path_for_the_nodes_os_is_refused_naming_both(env, client_as):
    response = post_section(client_as("admin"), env.node_win, provider="PEM", store=env.pem_linux_only.pk)
    assert response.status_code == 200
    assert response.context["form"].errors["store"] == [
        "The store Linux only (PEM) has no path for Windows hosts, and CB_Node_Win runs on cb-win-01, Windows: "
        "add the path the file has on Windows hosts to the store."]
    assert trusted_ca(env.node_win) is None


@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_only_security_officers_reach_the_path_check(env, client_as, role):
    response = post_section(client_as(role), env.node_win, provider="PEM", typed_path="/opt/certs/ca.pem")
    assert response.status_code == 403


def test_a_cluster_section_a_windows_node_would_take_is_refused_naming_the_node(env, client_as):
    response = post_section(client_as("security"), env.cluster, provider="PEM", store=env.pem.pk)
    assert response.status_code == 200
    error = response.context["form"].errors["store"][0]
    assert error.startswith("CB_Node_Win takes the security section of CB_Cluster (it has none of its own) and runs "
                            "on cb-win-01, Windows:")
    assert "Apply to all Nodes gives each Node the path for its host" in error
    assert trusted_ca(env.cluster) is None


# Apply to all Nodes on a mixed Cluster


def test_apply_to_all_nodes_gives_each_node_the_path_for_its_host(env, client_as):
    response = client_as("security").post(reverse("security:section_cluster", args=[env.cluster.pk]), {
        "provider": "PEM", "store": env.pem.pk, "revisions": revisions(env.cluster)})
    assert response.status_code == 302
    assert trusted_ca(env.node_a) == trusted_ca(env.node_b) == LINUX_PATH
    assert trusted_ca(env.node_win) == WINDOWS_PEM
    page = client_as("viewer").get(section_url(env.cluster)).content.decode()
    assert "All Nodes have the same security section" in page


def test_apply_to_all_nodes_with_a_linux_only_store_names_the_windows_node_and_writes_nothing(env, client_as):
    response = client_as("security").post(reverse("security:section_cluster", args=[env.cluster.pk]), {
        "provider": "PEM", "store": env.pem_linux_only.pk, "revisions": revisions(env.cluster)})
    assert response.status_code == 200
    error = response.context["form"].errors["store"][0]
    assert error.startswith("Nothing was applied. CB_Node_Win: The store Linux only (PEM) has no path for Windows")
    assert not Option.objects.filter(application__cluster=env.cluster, section="security").exists()


# The store: assignment follows its paths


def test_a_new_windows_path_on_the_store_follows_into_the_windows_nodes_only(env, client_as):
    officer = client_as("security")
    officer.post(reverse("security:section_cluster", args=[env.cluster.pk]), {
        "provider": "PEM", "store": env.pem.pk, "revisions": revisions(env.cluster)})
    url = reverse("security:store_edit", args=[env.pem.pk])
    data = post_form_data(officer.get(url), containing="windows_path")
    data["windows_path"] = "D:\\Genesys\\certs\\ca.pem"
    response = officer.post(url, data, follow=True)
    assert "Updated the security section of CB_Node_Win" in response.content.decode()
    assert trusted_ca(env.node_win) == "D:\\Genesys\\certs\\ca.pem"
    assert trusted_ca(env.node_a) == LINUX_PATH


def test_removing_the_windows_path_of_a_store_in_use_says_which_node_was_not_updated(env, client_as):
    officer = client_as("security")
    officer.post(reverse("security:section_cluster", args=[env.cluster.pk]), {
        "provider": "PEM", "store": env.pem.pk, "revisions": revisions(env.cluster)})
    url = reverse("security:store_edit", args=[env.pem.pk])
    data = post_form_data(officer.get(url), containing="windows_path")
    data["windows_path"] = ""
    page = officer.post(url, data, follow=True).content.decode()
    assert "Not updated: CB_Node_Win: The store Genesys CA (PEM) has no path for Windows hosts" in page
    assert trusted_ca(env.node_win) == WINDOWS_PEM  # left as it was


# The options editor and the .cfg import write trusted-ca too


def test_the_options_editor_refuses_a_linux_path_on_a_windows_node(env, client_as, committed):
    security_section_set(application=env.node_win, provider="PEM", store=env.pem, actor=env.users["security"])
    client = client_as("security")
    url = reverse("applications:options_edit", args=[env.node_win.pk])
    data = post_form_data(client.get(url), containing="form-TOTAL_FORMS")
    row = next(k for k, v in data.items() if v == "trusted-ca" and k.endswith("-name")).removesuffix("-name")
    data[f"{row}-value"] = "/opt/certs/ca.pem"
    with committed():
        response = client.post(url, data)
    assert response.status_code == 200
    assert '"/opt/certs/ca.pem" is a Linux/Unix path, but cb-win-01 runs Windows' in html.unescape(
        response.content.decode())
    assert trusted_ca(env.node_win) == WINDOWS_PEM


def test_a_cfg_import_with_a_windows_path_for_a_linux_node_shows_it_invalid(env, client_as):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_as("security").post(reverse("applications:options_import", args=[env.node_a.pk]), {
        "file": SimpleUploadedFile("node.cfg", b"[security]\nprovider = PEM\ntrusted-ca = C:\\certs\\ca.pem\n")})
    rows = {(r.section, r.name): r for r in response.context["preview"]}
    row = rows[("security", "trusted-ca")]
    assert row.status == "invalid"
    assert '"C:\\certs\\ca.pem" is a Windows path, but cb-linux-01 runs Linux/Unix' in row.message


# A mismatch that exists already is a finding


def test_a_host_that_becomes_windows_makes_the_linux_path_a_finding(env, client_as, committed):
    security_section_set(application=env.node_a, provider="PEM", store=env.pem, actor=env.users["security"])
    client = client_as("operator")
    url = reverse("applications:host_edit", args=[env.linux.pk])
    data = post_form_data(client.get(url), containing="address")
    data["os_type"] = OperatingSystem.WINDOWS
    with committed():
        response = client.post(url, data, follow=True)
    assert (f'[security] trusted-ca of CB_Node_A no longer fits its host: "{LINUX_PATH}" is a Linux/Unix path, but '
            "cb-linux-01 runs Windows") in html.unescape(response.content.decode())
    validate_application(application_id=env.node_a.pk)
    finding = Finding.objects.get(application=env.node_a, code="application.trusted_ca_wrong_os")
    assert finding.message == (
        f'trusted-ca of CB_Node_A does not fit its host: "{LINUX_PATH}" is a Linux/Unix path, but cb-linux-01 runs '
        "Windows: give the path on that host, starting with a drive like C:\\ or with \\\\server\\share.")
    assert "Choose the trusted store again" in finding.hint


def test_a_node_taking_a_clusters_linux_path_on_a_windows_host_is_a_finding(env):
    # Written before the check existed (or by hand): the Cluster's section, and a Windows Node without one.
    Option.objects.create(application=env.cluster, section="security", name="provider", value="PEM")
    Option.objects.create(application=env.cluster, section="security", name="trusted-ca", value=LINUX_PATH)
    validate_application(application_id=env.node_win.pk)
    finding = Finding.objects.get(application=env.node_win, code="application.trusted_ca_wrong_os")
    assert finding.message.startswith(
        "trusted-ca of CB_Node_Win (from the security section of CB_Cluster) does not fit its host:")
    validate_application(application_id=env.node_a.pk)
    assert not Finding.objects.filter(application=env.node_a, code="application.trusted_ca_wrong_os").exists()


# The server directory


@pytest.mark.parametrize(("host", "directory", "message"), [
    ("windows", "/opt/genesys/cb", "is a Linux/Unix path, but cb-win-01 runs Windows"),
    ("linux", "C:\\GCTI\\cb", "is a Windows path, but cb-linux-01 runs Linux/Unix"),
    ("linux", "opt/genesys", "is not a full path"),
    ("windows", "C:\\GCTI\\cb|x", "Windows allows none of"),
])
def test_the_server_directory_must_fit_the_host(env, client_as, committed, host, directory, message):
    client = client_as("operator")
    url = reverse("applications:edit", args=[env.node_b.pk])
    data = post_form_data(client.get(url), containing="working_directory")
    data.update({"host": getattr(env, host).pk, "working_directory": directory})
    with committed():
        response = client.post(url, data)
    assert response.status_code == 200
    assert message in response.context["form"].errors["working_directory"][0]
    env.node_b.refresh_from_db()
    assert env.node_b.working_directory == "" and env.node_b.host == env.linux


def test_moving_an_application_to_a_windows_host_says_its_trusted_ca_no_longer_fits(env, client_as, committed):
    security_section_set(application=env.node_b, provider="PEM", store=env.pem, actor=env.users["security"])
    client = client_as("operator")
    url = reverse("applications:edit", args=[env.node_b.pk])
    data = post_form_data(client.get(url), containing="working_directory")
    data["host"] = env.windows.pk
    with committed():
        response = client.post(url, data, follow=True)
    assert "[security] trusted-ca of CB_Node_B no longer fits its host" in html.unescape(response.content.decode())
    assert "A Security officer sets it again on the Security tab." in response.content.decode()
