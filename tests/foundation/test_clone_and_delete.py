"""Clone copies an application with its ports, options and connections; deleting says what it would break."""

from django.urls import reverse

from applications import services
from applications.models import Application, AuditEvent, Connection, Host, Option, Port
from applications.options import option_set, option_value
from tests.opened import version_on


def test_clone_copies_ports_options_and_connections(env, client_as, committed):
    option_set(application=env.message, section="log", name="verbose", value="debug", actor=env.users["operator"])
    Connection.objects.create(client=env.message, port=env.chat_default, transport_params="a=1")
    client = client_as("operator")
    form = client.get(reverse("applications:clone", args=[env.message.pk]))
    assert 'value="MessageServer (copy)"' in form.content.decode()
    with committed():
        response = client.post(reverse("applications:clone", args=[env.message.pk]), {"name": "MessageServer_B"})
    clone = Application.objects.get(name="MessageServer_B")
    assert response.status_code == 302 and response["Location"] == clone.get_absolute_url()
    assert (clone.app_type, clone.version, clone.host) == (env.message.app_type, env.message.version, env.linux)
    assert set(clone.ports.values_list("port_id", "number", "secured")) == {
        ("default", 4020, False), ("secure", 4021, True)
    }
    assert option_value(clone, "log", "verbose") == "debug"
    assert list(clone.connections.values_list("port", "transport_params")) == [(env.chat_default.pk, "a=1")]
    # What connects to the original still connects to the original only.
    assert not Connection.objects.filter(port__application=clone).exists()
    assert AuditEvent.objects.filter(application=clone, action="create", message="Cloned from MessageServer.").exists()


def test_a_secret_cloned_by_a_security_officer_is_still_readable_and_still_secret(env, client_as, committed):
    option_set(application=env.node, section="security", name="truststore-password", value="Clone-Pass-1",
               actor=env.users["security"])
    with committed():
        client_as("security").post(reverse("applications:clone", args=[env.node.pk]), {"name": "Node_Copy"})
    clone = Application.objects.get(name="Node_Copy")
    stored = Option.objects.get(application=clone, name="truststore-password")
    assert stored.is_secret and "Clone-Pass-1" not in stored.value
    assert option_value(clone, "security", "truststore-password") == "Clone-Pass-1"


def test_the_delete_confirmation_lists_the_connections_pointing_at_the_application(env, client_as):
    page = client_as("operator").get(reverse("applications:delete", args=[env.message.pk])).content.decode()
    assert "Connections of other applications to its ports (removed too)" in page
    assert "Cobrowse_Cluster → MessageServer:secure" in page
    assert "Its ports (removed)" in page
    assert Application.objects.filter(pk=env.message.pk).exists()


def test_deleting_an_application_removes_its_ports_and_the_connections_to_them_and_is_audited(
    env, client_as, committed
):
    client = client_as("operator")
    url = reverse("applications:delete", args=[env.message.pk])
    with committed():
        response = client.post(url, version_on(client, url))
    assert response.status_code == 302
    assert not Application.objects.filter(pk=env.message.pk).exists()
    assert not Port.objects.filter(pk=env.message_secure.pk).exists()
    assert not Connection.objects.filter(pk=env.connection.pk).exists()
    event = AuditEvent.objects.get(action="delete", object_type="application")
    assert event.object_repr == "MessageServer" and "Cobrowse_Cluster → MessageServer:secure" in event.message


def test_deleting_a_cluster_leaves_its_nodes_without_a_cluster(env, client_as, committed):
    page = client_as("operator").get(reverse("applications:delete", args=[env.cluster.pk])).content.decode()
    assert "Nodes of this Cluster (left without a Cluster)" in page and "Cobrowse_Node_1" in page
    client = client_as("operator")
    url = reverse("applications:delete", args=[env.cluster.pk])
    with committed():
        client.post(url, version_on(client, url))
    assert Application.objects.get(pk=env.node.pk).cluster is None


def test_the_port_delete_confirmation_lists_the_connections_through_it(env, client_as):
    url = reverse("applications:port_delete", args=[env.message.pk, env.message_secure.pk])
    page = client_as("operator").get(url).content.decode()
    assert "Connections through this port (removed too)" in page and "Cobrowse_Cluster → MessageServer:secure" in page


def test_a_host_that_still_runs_applications_cannot_be_deleted(env, client_as, committed):
    client = client_as("operator")
    page = client.get(reverse("applications:host_delete", args=[env.linux.pk])).content.decode()
    assert "It cannot be deleted while these exist." in page
    assert 'type="submit" class="btn btn-danger"' not in page
    events = AuditEvent.objects.count()
    with committed():  # as a page opened before the applications moved there would post it
        response = client.post(reverse("applications:host_delete", args=[env.linux.pk]),
                               {"opened_version": services.object_version(env.linux)}, follow=True)
    assert response.status_code == 200
    assert "core-01 still runs applications: move or delete them first." in response.content.decode()
    assert Host.objects.filter(pk=env.linux.pk).exists()
    assert AuditEvent.objects.count() == events


def test_a_host_without_applications_is_deleted_and_audited(env, client_as, committed):
    empty = Host.objects.create(name="spare-01", address="10.0.9.9", os_type="linux")
    client = client_as("operator")
    url = reverse("applications:host_delete", args=[empty.pk])
    with committed():
        response = client.post(url, version_on(client, url))
    assert response.status_code == 302
    assert not Host.objects.filter(pk=empty.pk).exists()
    assert AuditEvent.objects.filter(action="delete", object_type="host", object_repr="spare-01").exists()
