"""Forms that guide (issue 11, point 5), followed in the browser as an operator would:

- the connection form offers the chosen server's port IDs as a list (secured ones marked) that
  follows the server, with a button that does the same without JavaScript; ADDP settings show only
  with ADDP, and hiding them loses nothing;
- a Node's Connections tab sends TLS connections to its Cluster rather than offering "Add connection";
- the Server Info tab holds host, working directory, command line and ports, editable there;
- the setenv files have Copy buttons that copy exactly the file downloaded;
- a refused delete links what depends on the object.
"""

import pytest

from applications.models import Application, AppType, Connection, Host
from security import certificates as cert_service
from security.models import Certificate, Provider, TrustedStore
from security.stores import store_save
from tests.browser.steps import open_application, snap
from tests.certs.make_certs import ROOT_CN

pytestmark = pytest.mark.browser


def option_texts(page, select: str) -> list[str]:
    return [text.strip() for text in page.locator(f"{select} option").all_inner_texts()]


def open_new_connection(page, client: str) -> None:
    open_application(page, client, tab="Connections")
    with page.expect_navigation():
        page.locator("main").get_by_role("link", name="Add connection", exact=True).click()
    assert page.locator("h1").inner_text() == f"New connection of {client}"


def save(page) -> None:
    with page.expect_navigation():
        page.locator("main button[name=_save]").click()


# The connection form


def test_the_port_list_follows_the_server_and_a_refused_port_comes_back_as_chosen(login):
    page = login("operator")
    open_new_connection(page, "Cobrowse_Cluster")
    assert option_texts(page, "#id_port_id") == ["choose a server first"]
    assert page.locator("#list-ports").is_hidden()  # the script fills the list: no button needed

    page.select_option("#id_server", label="ChatServer")
    assert option_texts(page, "#id_port_id") == ["choose a port", "default — 4120", "secure — 4121 (TLS)"]
    assert page.locator("#id_port_id").input_value() == "secure"  # a secured port is offered first
    page.select_option("#id_port_id", "default")
    page.select_option("#id_server", label="MessageServer")
    assert option_texts(page, "#id_port_id") == ["choose a port", "default — 4020", "secure — 4021 (TLS)"]
    assert page.locator("#id_port_id").input_value() == "default"  # the same port ID, kept
    snap(page, "connection-form-ports")

    # The Cluster already goes to MessageServer through secure: refused, with every entry as typed.
    page.select_option("#id_port_id", "secure")
    page.fill("#id_transport_params", "tls=1")
    save(page)
    assert "There is already a connection to MessageServer through \"secure\"." in page.locator(
        "#id_port_id ~ .invalid-feedback, .invalid-feedback").first.inner_text()
    assert page.locator("#id_server option:checked").inner_text() == "MessageServer"
    assert page.locator("#id_port_id").input_value() == "secure"
    assert page.locator("#id_transport_params").input_value() == "tls=1"
    cluster = Application.objects.get(name="Cobrowse_Cluster")
    assert not Connection.objects.filter(client=cluster, transport_params="tls=1").exists()

    # After the refusal the list still follows the server.
    page.select_option("#id_server", label="ChatServer")
    assert page.locator("#id_port_id").input_value() == "secure"
    save(page)
    assert "Saved Cobrowse_Cluster → ChatServer:secure" in page.locator(".alert-success").inner_text()
    saved = Connection.objects.get(client=cluster, port__application__name="ChatServer", port__port_id="secure")
    assert saved.transport_params == "tls=1" and saved.secure
    assert not page.console_errors


def test_without_javascript_the_form_lists_the_ports_of_the_server_chosen_and_saves_nothing(
        browser, live_server, browser_users):
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto("/accounts/login/")
    page.fill("#id_username", "operator")
    page.fill("#id_password", browser_users["operator"])
    page.click("main button[type=submit]")
    page.wait_for_url("**/")
    cluster = Application.objects.get(name="Cobrowse_Cluster")
    page.goto(f"/applications/{cluster.pk}/connections/new/")
    assert page.locator("#addp-settings").is_visible()  # no script: the ADDP settings are always there
    page.select_option("#id_server", label="ChatServer")
    page.fill("#id_transport_params", "a=1")
    connections = Connection.objects.count()
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name="List the ports of this server").click()
    snap(page, "connection-form-no-script")
    assert option_texts(page, "#id_port_id") == ["choose a port", "default — 4120", "secure — 4121 (TLS)"]
    assert page.locator("#id_port_id").input_value() == "secure"
    assert page.locator("#id_transport_params").input_value() == "a=1"
    assert not page.locator(".invalid-feedback").count()  # nothing validated, nothing saved
    assert Connection.objects.count() == connections
    save(page)
    assert Connection.objects.filter(client=cluster, port__application__name="ChatServer",
                                     port__port_id="secure", transport_params="a=1").exists()

    # Editing: the server changed, saved without listing its ports. Its port of the same ID is shown
    # for the operator to confirm, not saved unseen.
    conn = Connection.objects.get(client=cluster, port__application__name="ChatServer", port__port_id="default")
    page.goto(f"/applications/{cluster.pk}/connections/{conn.pk}/edit/")
    page.select_option("#id_server", label="MessageServer")
    save(page)
    assert "check that \"default\" (4020) of MessageServer is the port you mean" in page.locator(
        "main").inner_text()
    assert option_texts(page, "#id_port_id") == ["choose a port", "default — 4020", "secure — 4021 (TLS)"]
    assert page.locator("#id_port_id").input_value() == "default"
    conn.refresh_from_db()
    assert conn.port.application.name == "ChatServer"
    save(page)
    conn.refresh_from_db()
    assert (conn.port.application.name, conn.port.port_id) == ("MessageServer", "default")
    context.close()


def test_addp_settings_show_only_with_addp_and_switching_loses_nothing_until_saved(login):
    page = login("operator")
    open_new_connection(page, "Cobrowse_Cluster")
    page.select_option("#id_server", label="ChatServer")
    assert page.locator("#addp-settings").is_hidden()
    page.select_option("#id_protocol", "addp")
    assert page.locator("#addp-settings").is_visible()
    page.fill("#id_addp_local_timeout", "10")
    # One timeout only: refused, the protocol and the typed timeout come back as typed.
    save(page)
    assert "ADDP needs both timeouts." in page.locator("main").inner_text()
    assert page.locator("#id_protocol").input_value() == "addp"
    assert page.locator("#addp-settings").is_visible()
    assert page.locator("#id_addp_local_timeout").input_value() == "10"

    page.fill("#id_addp_remote_timeout", "20")
    page.select_option("#id_protocol", "default")
    assert page.locator("#addp-settings").is_hidden()
    assert page.locator("#addp-dropped").is_visible()  # the page says a save would remove them
    page.select_option("#id_protocol", "addp")
    assert page.locator("#id_addp_local_timeout").input_value() == "10"  # hidden, not cleared
    assert page.locator("#id_addp_remote_timeout").input_value() == "20"
    assert page.locator("#addp-dropped").is_hidden()
    save(page)
    conn = Connection.objects.get(client__name="Cobrowse_Cluster", port__application__name="ChatServer",
                                  port__port_id="secure")
    assert (conn.protocol, conn.addp_local_timeout, conn.addp_remote_timeout, conn.addp_trace) == (
        "addp", 10, 20, "off")

    # Editing it back to default: the page warns before, says so after, and the settings are gone.
    page.goto(f"/applications/{conn.client_id}/connections/{conn.pk}/edit/")
    assert page.locator("#addp-settings").is_visible()
    page.select_option("#id_protocol", "default")
    assert page.locator("#addp-dropped").is_visible()
    snap(page, "connection-form-addp-dropped")
    save(page)
    assert "ADDP timeouts and trace mode" in page.locator(".alert-info").inner_text()
    conn.refresh_from_db()
    assert (conn.protocol, conn.addp_local_timeout, conn.addp_remote_timeout, conn.addp_trace) == (
        "default", None, None, "")
    assert not page.console_errors


# Where connections go


def test_a_nodes_connections_tab_sends_tls_connections_to_its_cluster(login):
    page = login("operator")
    open_application(page, "Cobrowse_Node_1", tab="Connections")
    snap(page, "node-connections-tab")
    main = page.locator("main")
    assert "TLS connections do not belong here." in page.locator("#connections-placement").inner_text()
    assert main.get_by_role("link", name="Add connection", exact=True).count() == 0
    here = page.locator("#add-connection-here")
    assert "btn-primary" not in here.get_attribute("class")
    assert "not TLS" in here.inner_text()
    assert "add TLS connections to the Cluster" in page.locator("#add-connection-note").inner_text()
    instead = page.locator("#add-connection-instead")
    assert "btn-primary" in instead.get_attribute("class")
    with page.expect_navigation():
        instead.click()
    assert page.locator("h1").inner_text() == "New connection of Cobrowse_Cluster"

    # Where connections belong, "Add connection" is the primary button, with no warning.
    open_application(page, "Cobrowse_Cluster", tab="Connections")
    assert "btn-primary" in page.locator("#add-connection").get_attribute("class")
    assert page.locator("#add-connection-here").count() == 0


# Server Info


def test_server_info_shows_and_edits_host_directory_command_line_with_the_entries_kept(login):
    page = login("operator")
    open_application(page, "MessageServer", tab="Server Info")
    info = page.locator("#server-info").inner_text()
    assert "genesys-core-01" in info and "/opt/genesys/messageserver" in info
    assert "secure" in page.locator("#ports").inner_text()
    with page.expect_navigation():
        page.locator("#edit-server-info").click()
    page.fill("#id_working_directory", "C:\\GCTI\\MessageServer")  # a Windows path on a Linux host
    page.fill("#id_command_line", "./run.sh")
    page.fill("#id_command_line_arguments", "-app MessageServer -port 4020")
    save(page)
    assert page.locator("#id_working_directory").input_value() == "C:\\GCTI\\MessageServer"
    assert page.locator("#id_command_line").input_value() == "./run.sh"
    assert page.locator("#div_id_working_directory .invalid-feedback").count() == 1
    assert Application.objects.get(name="MessageServer").command_line == ""

    # Another tab changes the application meanwhile: this save is refused, the entries kept.
    other = page.context.new_page()
    app = Application.objects.get(name="MessageServer")
    other.goto(f"/applications/{app.pk}/edit/")
    other.fill("#id_service_account", "genesys")
    with other.expect_navigation():
        other.locator("main button[name=_save]").click()
    page.fill("#id_working_directory", "/opt/genesys/ms")
    save(page)
    assert "Changed by someone else since you opened this page" in page.locator("#stale-edit").inner_text()
    assert page.locator("#id_working_directory").input_value() == "/opt/genesys/ms"
    app.refresh_from_db()
    assert (app.working_directory, app.command_line) == ("/opt/genesys/messageserver", "")

    with page.expect_navigation():
        page.locator("#stale-edit").get_by_role("link", name="Reload the current values").click()
    page.fill("#id_working_directory", "/opt/genesys/ms")
    page.fill("#id_command_line", "./run.sh")
    page.fill("#id_command_line_arguments", "-app MessageServer -port 4020")
    save(page)
    page.wait_for_url(f"**/applications/{app.pk}/ports/")
    info = page.locator("#server-info").inner_text()
    assert "/opt/genesys/ms" in info and "./run.sh" in info and "-app MessageServer -port 4020" in info
    app.refresh_from_db()
    assert (app.working_directory, app.command_line, app.service_account) == ("/opt/genesys/ms", "./run.sh", "genesys")
    snap(page, "server-info")
    assert not page.console_errors


# setenv


@pytest.mark.parametrize(("node", "kind"), [("Cobrowse_Node_1", "sh"), ("Cobrowse_Node_3", "bat")])
def test_the_copy_button_copies_exactly_the_setenv_file_downloaded(login, tmp_path, node, kind):
    page = login("operator")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    open_application(page, node, tab="Security")
    with page.expect_navigation():
        page.locator("main").get_by_role("link", name="Generate the setenv lines").click()
    button = page.locator("main").get_by_role("button", name=f"Copy setenv.{kind}")
    button.click()
    page.get_by_text("Copied to the clipboard.").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    with page.expect_download() as download_info:
        page.locator("main").get_by_role("link", name="Download the template").click()
    path = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(path)
    assert copied.encode("utf-8") == path.read_bytes()
    assert ("\r\n" in copied) == (kind == "bat")
    assert not page.console_errors


def test_an_application_without_a_host_gets_both_setenv_files_one_above_the_other(login):
    Application.objects.filter(name="Cobrowse_Node_2").update(host=None)
    page = login("operator")
    open_application(page, "Cobrowse_Node_2", tab="Security")
    with page.expect_navigation():
        page.locator("main").get_by_role("link", name="Generate the setenv lines").click()
    snap(page, "setenv-both-files")
    sh, bat = page.locator("#setenv-file-sh").bounding_box(), page.locator("#setenv-file-bat").bounding_box()
    assert sh["y"] + sh["height"] <= bat["y"]  # stacked, not side by side
    assert sh["width"] == bat["width"]
    assert page.locator("main").get_by_role("button", name="Copy setenv.sh").is_visible()
    assert page.locator("main").get_by_role("button", name="Copy setenv.bat").is_visible()


# Delete refusals


def test_a_host_delete_refusal_links_the_applications_that_run_on_it(login):
    page = login("operator")
    host = Host.objects.get(name="cb-linux-01")
    page.goto(f"/hosts/{host.pk}/delete/")
    assert "It cannot be deleted while these exist." in page.locator("#delete-blocked").inner_text()
    links = page.locator("main ul a")
    names = sorted(links.all_inner_texts())
    assert names == sorted(host.applications.values_list("name", flat=True))
    with page.expect_navigation():
        page.locator("main ul").get_by_role("link", name="Cobrowse_Node_1").click()
    assert page.locator("h1").inner_text() == "Cobrowse_Node_1"


def test_a_host_that_gets_an_application_while_its_delete_is_open_is_refused_with_the_link(login):
    page = login("operator")
    spare = Host.objects.create(name="spare-01", address="10.0.9.9", os_type="linux")
    page.goto(f"/hosts/{spare.pk}/delete/")
    Application.objects.create(name="Late_Arrival", app_type=AppType.OTHER, version="8.5.000.01", host=spare)
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name="Delete").click()
    assert "spare-01 still runs applications" in page.locator(".alert-danger").inner_text()
    assert page.locator("#delete-blocked").is_visible()
    with page.expect_navigation():
        page.locator("main ul").get_by_role("link", name="Late_Arrival").click()
    assert page.locator("h1").inner_text() == "Late_Arrival"
    assert Host.objects.filter(pk=spare.pk).exists()


def test_a_certificate_delete_refusal_links_the_stores_holding_it(login, cert_files):
    cert_service.import_certificates(items=[(cert_files["ca.crt"].read_bytes(), "der", "ca.crt")], actor="tests")
    root = Certificate.objects.get(common_name=ROOT_CN)
    store = store_save(store=TrustedStore(name="Refusal CA store", provider=Provider.PEM, path="/opt/genesys/r.pem"),
                       certificates=[root], password=None, actor="tests")
    page = login("security")
    page.goto(f"/security/certificates/{root.pk}/delete/")
    assert page.locator("#delete-blocked").is_visible()
    with page.expect_navigation():
        page.locator("main ul").get_by_role("link", name="Refusal CA store").click()
    assert page.locator("h1").inner_text() == store.name
