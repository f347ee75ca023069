"""The "Why" of every edit form reaches the version and the audit event; it can be made mandatory."""

from django.urls import reverse

from applications import history
from applications.models import AuditEvent, Option, Port
from tests.foundation.forms_html import post_form_data, row_index


def editor_data(client, app) -> dict[str, str]:
    response = client.get(reverse("applications:options_edit", args=[app.pk]))
    assert 'name="note"' in response.content.decode()
    return post_form_data(response, containing="TOTAL_FORMS")


def test_the_why_of_the_options_editor_is_kept(world, client_as):
    client = client_as("operator")
    data = editor_data(client, world.node_a)
    data[f"form-{row_index(data, 'log', 'verbose')}-value"] = "debug"
    data["note"] = "more logs for ticket 4711"
    assert client.post(reverse("applications:options_edit", args=[world.node_a.pk]), data).status_code == 302
    assert history.latest_version(world.node_a).note == "more logs for ticket 4711"
    event = AuditEvent.objects.filter(application=world.node_a, object_type="option").latest("id")
    assert "more logs for ticket 4711" in event.message


def test_the_options_editor_asks_why_for_the_security_section_when_required(world, client_as, settings):
    settings.REQUIRE_CHANGE_NOTE_FOR_SECURITY = True
    client = client_as("security")
    data = editor_data(client, world.node_a)
    data[f"form-{row_index(data, 'log', 'verbose')}-value"] = "debug"
    assert client.post(reverse("applications:options_edit", args=[world.node_a.pk]), data).status_code == 302
    data = editor_data(client, world.node_a)
    from tests.foundation.forms_html import blank_row_index

    i = blank_row_index(data)
    data.update({f"form-{i}-section": "security", f"form-{i}-name": "provider", f"form-{i}-value": "PEM"})
    response = client.post(reverse("applications:options_edit", args=[world.node_a.pk]), data)
    assert response.status_code == 200 and "say why you change the security section" in response.content.decode()
    assert not Option.objects.filter(application=world.node_a, section="security").exists()


def test_the_why_of_the_port_form_is_kept(world, client_as):
    client = client_as("operator")
    response = client.post(reverse("applications:port_new", args=[world.node_a.pk]),
                           {"port_id": "default", "number": "8700", "note": "the load balancer moved"})
    assert response.status_code == 302
    assert Port.objects.filter(application=world.node_a, port_id="default").exists()
    assert history.latest_version(world.node_a).note == "the load balancer moved"
    assert AuditEvent.objects.filter(object_type="port").latest("id").message == "the load balancer moved"


def test_a_store_form_asks_why_when_required(world, client_as, settings):
    settings.REQUIRE_CHANGE_NOTE_FOR_SECURITY = True
    store = world.pem
    response = client_as("security").get(reverse("security:store_edit", args=[store.pk]))
    assert 'name="note"' in response.content.decode()
    data = post_form_data(response, containing="opened_version")
    data["description"] = "changed"
    data.pop("note", None)
    response = client_as("security").post(reverse("security:store_edit", args=[store.pk]), data)
    assert response.status_code == 200 and "Say why" in response.content.decode()
    store.refresh_from_db()
    assert store.description != "changed"
