"""The guiding forms without a browser: the connection form's port list and its "List the ports"
post, the Server Info form, and delete pages that link what depends on the object."""

import html
import json

from django.urls import reverse

from applications.models import Application, AppType, AuditEvent, Connection
from tests.foundation.forms_html import post_form_data


def test_the_port_list_offers_the_servers_ports_with_the_secured_ones_marked(env, client_as):
    url = reverse("applications:connection_edit", args=[env.cluster.pk, env.connection.pk])
    page = client_as("operator").get(url).content.decode()
    assert '<option value="secure" selected>secure — 4021 (TLS)</option>' in page
    assert '<option value="default">default — 4020</option>' in page
    select = page[page.index('<select name="port_id"'):]
    select = select[:select.index("</select>")]
    assert "4120" not in select  # ChatServer's ports are only in the data the script reads
    ports = json.loads(html.unescape(page.split('data-ports="')[1].split('"')[0]))
    assert ports[str(env.chat.pk)] == [["default", "default — 4120", ""]]
    assert ports[str(env.message.pk)][1] == ["secure", "secure — 4021 (TLS)", "secured"]


def test_a_port_id_the_server_lacks_comes_back_selected_as_typed_with_its_error(env, client_as, committed):
    client = client_as("operator")
    url = reverse("applications:connection_new", args=[env.cluster.pk])
    data = post_form_data(client.get(url), containing="port_id")
    data.update(server=str(env.chat.pk), port_id="secure", transport_params="tls=1")
    with committed():
        page = client.post(url, data).content.decode()
    assert "ChatServer has no port with ID &quot;secure&quot;" in page
    assert '<option value="secure" selected>secure (not a port of ChatServer)</option>' in page
    assert 'value="tls=1"' in page
    assert Connection.objects.count() == 1


def test_list_the_ports_saves_nothing_and_keeps_the_version_the_page_was_opened_on(env, client_as, committed):
    client = client_as("operator")
    url = reverse("applications:connection_edit", args=[env.cluster.pk, env.connection.pk])
    data = post_form_data(client.get(url), containing="port_id")
    opened = data["opened_version"]
    # Someone else changes the connection; this page lists another server's ports meanwhile.
    Connection.objects.filter(pk=env.connection.pk).update(transport_params="x=1")
    AuditEvent.objects.create(action="update", object_type="connection", object_id=str(env.connection.pk),
                              changes={"transport_params": ["", "x=1"]})
    data.update(server=str(env.chat.pk), transport_params="mine=1", _reshow="")
    with committed():
        page = client.post(url, data).content.decode()
    assert f'name="opened_version" value="{opened}"' in page  # not the version of now: no lost update
    # ChatServer has no "secure" and no secured port: the operator chooses (nothing preselected).
    assert '<option value="" selected>choose a port</option>' in page
    assert '<option value="default">default — 4120</option>' in page
    assert 'value="mine=1"' in page and "invalid-feedback" not in page
    assert Connection.objects.get(pk=env.connection.pk).port == env.message_secure

    data = post_form_data(client.get(url), containing="port_id") | {"opened_version": opened}
    data.update(server=str(env.chat.pk), port_id="default", listed_for=str(env.chat.pk))
    with committed():
        page = client.post(url, data).content.decode()
    assert "Changed by someone else since you opened this page" in page
    assert Connection.objects.get(pk=env.connection.pk).port == env.message_secure


def test_server_info_is_saved_and_audited_and_a_bad_entry_comes_back_as_typed(env, client_as, committed):
    client = client_as("operator")
    url = reverse("applications:server_info_edit", args=[env.message.pk])
    data = post_form_data(client.get(url), containing="command_line")
    data.update(working_directory="C:\\GCTI\\MS", command_line="./ms\u202e.sh", command_line_arguments="-app MS")
    with committed():
        response = client.post(url, data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "A command line cannot contain control or invisible characters" in page
    assert 'value="C:\\GCTI\\MS"' in page and 'value="-app MS"' in page
    assert Application.objects.get(pk=env.message.pk).command_line == ""

    data.update(working_directory="/opt/genesys/ms", command_line="./ms.sh")
    with committed():
        response = client.post(url, data)
    assert response.status_code == 302 and response["Location"] == reverse("applications:ports", args=[env.message.pk])
    app = Application.objects.get(pk=env.message.pk)
    assert (app.working_directory, app.command_line, app.command_line_arguments) == (
        "/opt/genesys/ms", "./ms.sh", "-app MS")
    event = AuditEvent.objects.filter(object_type="application", object_id=str(app.pk)).latest("id")
    assert event.changes["command_line"] == ["", "./ms.sh"]
    page = client.get(reverse("applications:ports", args=[app.pk])).content.decode()
    assert "./ms.sh" in page and "-app MS" in page and "/opt/genesys/ms" in page


def test_a_viewer_sees_server_info_without_the_edit_button(env, client_as):
    page = client_as("viewer").get(reverse("applications:ports", args=[env.message.pk])).content.decode()
    assert 'id="server-info"' in page and 'id="edit-server-info"' not in page


def test_a_clone_keeps_the_command_line(env, client_as, committed):
    Application.objects.filter(pk=env.message.pk).update(command_line="./ms.sh", command_line_arguments="-x")
    client = client_as("operator")
    with committed():
        client.post(reverse("applications:clone", args=[env.message.pk]), {"name": "MessageServer_2"})
    clone = Application.objects.get(name="MessageServer_2")
    assert (clone.command_line, clone.command_line_arguments) == ("./ms.sh", "-x")


def test_delete_pages_link_what_depends_on_the_object(env, client_as):
    client = client_as("operator")
    page = client.get(reverse("applications:host_delete", args=[env.linux.pk])).content.decode()
    for app in (env.cluster, env.message, env.chat):
        assert f'<a href="{app.get_absolute_url()}">{app.name}</a>' in page
    page = client.get(reverse("applications:delete", args=[env.message.pk])).content.decode()
    connections_tab = reverse("applications:connections", args=[env.cluster.pk])
    assert f'<a href="{connections_tab}">Cobrowse_Cluster → MessageServer:secure</a>' in page
    assert f'<a href="{reverse("applications:ports", args=[env.message.pk])}">MessageServer:secure (4021)</a>' in page


def test_a_node_tab_offers_its_cluster_first_and_a_cluster_tab_offers_add_connection(env, client_as):
    client = client_as("operator")
    page = client.get(reverse("applications:connections", args=[env.node.pk])).content.decode()
    assert f'href="{reverse("applications:connection_new", args=[env.cluster.pk])}">Add a connection to ' \
           f'Cobrowse_Cluster</a>' in page
    assert 'id="add-connection"' not in page
    orphan = Application.objects.create(name="Lone_Node", app_type=AppType.COBROWSE_NODE, version="8.5.003.04")
    page = client.get(reverse("applications:connections", args=[orphan.pk])).content.decode()
    assert 'id="add-connection-instead"' not in page and 'id="add-connection-here"' in page
    page = client.get(reverse("applications:connections", args=[env.cluster.pk])).content.decode()
    assert 'id="add-connection"' in page and 'id="add-connection-here"' not in page
