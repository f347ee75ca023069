"""Every write records an audit event in the same transaction; the History tab and the audit page show them."""

import datetime

import pytest
from django.urls import reverse

from applications import audit, services
from applications.forms import HostForm
from applications.models import AuditEvent, Host
from tests.foundation.forms_html import post_form_data
from tests.opened import version_on


def submit(client, url, committed, *, field: str, **changes):
    data = post_form_data(client.get(url), containing=field)
    data.update(changes)
    with committed():
        response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[-2000:]
    return response


def last_event() -> AuditEvent:
    return AuditEvent.objects.order_by("-id").first()


def test_creating_changing_and_deleting_a_host_is_audited(client_as, users, committed):
    client = client_as("operator")
    submit(client, reverse("applications:host_new"), committed, field="address", name="edge-01",
           address="10.1.1.1", os_type="linux")
    host = Host.objects.get(name="edge-01")
    event = last_event()
    assert (event.action, event.object_type, event.object_id, event.actor_name) == ("create", "host", str(host.pk),
                                                                                    "operator")
    assert event.changes["address"] == [None, "10.1.1.1"]
    submit(client, reverse("applications:host_edit", args=[host.pk]), committed, field="address",
           address="10.1.1.2")
    assert last_event().changes == {"address": ["10.1.1.1", "10.1.1.2"]}
    url = reverse("applications:host_delete", args=[host.pk])
    with committed():
        client.post(url, version_on(client, url))
    assert (last_event().action, last_event().object_repr) == ("delete", "edge-01")


def test_saving_a_form_without_changes_records_nothing(env, client_as, committed):
    events = AuditEvent.objects.count()
    submit(client_as("operator"), reverse("applications:host_edit", args=[env.linux.pk]), committed,
           field="address")
    assert AuditEvent.objects.count() == events


def test_application_port_and_connection_writes_are_audited_on_the_application(env, client_as, committed):
    client = client_as("operator")
    submit(client, reverse("applications:edit", args=[env.chat.pk]), committed, field="version",
           version="8.5.105")
    assert last_event().changes == {"version": ["8.5.104.02", "8.5.105"]}
    assert last_event().application_id == env.chat.pk
    submit(client, reverse("applications:port_new", args=[env.chat.pk]), committed, field="number",
           port_id="secure", number="4121", secured="on")
    assert (last_event().object_type, last_event().application_id) == ("port", env.chat.pk)
    submit(client, reverse("applications:connection_new", args=[env.node.pk]), committed, field="port_id",
           server=str(env.chat.pk), port_id="secure")
    event = last_event()
    assert (event.object_type, event.action, event.application_id) == ("connection", "create", env.node.pk)
    assert event.changes["port"] == [None, "ChatServer:secure (4121)"]
    conn = env.node.connections.get()
    url = reverse("applications:connection_delete", args=[env.node.pk, conn.pk])
    with committed():
        client.post(url, version_on(client, url))
    assert (last_event().object_type, last_event().action) == ("connection", "delete")


def test_the_audit_event_is_part_of_the_write_if_it_fails_nothing_is_saved(db, users, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(audit, "record", broken)
    form = HostForm({"name": "edge-02", "address": "10.1.1.3", "os_type": "linux"})
    assert form.is_valid()
    with pytest.raises(RuntimeError):
        services.save_object(form=form, actor=users["operator"])
    assert not Host.objects.filter(name="edge-02").exists()


def test_the_events_page_of_the_history_tab_shows_the_events_of_the_application_only(env, client_as, committed):
    from applications.options import option_set

    option_set(application=env.chat, section="web", name="x", value="1", actor=env.users["operator"])
    option_set(application=env.message, section="web", name="y", value="2", actor=env.users["operator"])
    response = client_as("viewer").get(reverse("applications:history_events", args=[env.chat.pk]))
    assert [e.object_repr for e in response.context["page"]] == ["[web] x"]


@pytest.fixture
def events(env):
    from applications.options import option_set

    option_set(application=env.chat, section="web", name="alpha", value="1", actor=env.users["operator"])
    option_set(application=env.node, section="security", name="provider", value="JKS", actor=env.users["security"])
    audit.record(actor=env.users["admin"], action="delete", object_type="host", object_repr="old-host")
    AuditEvent.objects.filter(object_repr="old-host").update(at=datetime.datetime(2024, 1, 2, 12, tzinfo=datetime.UTC))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["[security] provider", "[web] alpha", "old-host"]),
        ("?actor=secur", ["[security] provider"]),
        ("?object_type=host", ["old-host"]),
        ("?action=delete", ["old-host"]),
        ("?q=alpha", ["[web] alpha"]),
        ("?until=2024-01-02", ["old-host"]),
        ("?since=2024-01-03", ["[security] provider", "[web] alpha"]),
    ],
)
def test_the_audit_page_filters_events(query, expected, events, client_as):
    response = client_as("viewer").get(reverse("applications:audit") + query)
    assert sorted(e.object_repr for e in response.context["page"]) == sorted(expected)
