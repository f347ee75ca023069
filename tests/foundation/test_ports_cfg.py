"""An application's ports as a .cfg file: export, import with a preview, all or nothing, never over a newer edit."""

import base64
from contextlib import nullcontext

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from applications import services
from applications.cfg import parse_cfg
from applications.forms import PortForm
from applications.limits import MAX_PORTS_PER_FILE
from applications.models import Application, ApplicationVersion, AppType, AuditEvent, Port
from applications.ports_io import CHANGED, INVALID, NEW, NOT_IN_FILE, UNCHANGED, plan_import

SECURE_MESSAGE = b"[default]\nport = 4020\nmode = default\ntransport = \n\n[secure]\nport = 4021\nmode = secure\n" \
                 b"transport = tls=1;tls-mutual=1\n"


def ports_of(app) -> dict[str, tuple]:
    return {p.port_id: (p.number, p.mode, p.transport_params, p.secured, p.mutual_tls)
            for p in Port.objects.filter(application=app)}


def tab(client, app):
    return client.get(reverse("applications:ports", args=[app.pk]))


def preview(client, app, data: bytes, version: str | None = None, name: str = "ports.cfg"):
    """The file chosen on the Server Info tab (with the version that page carries)."""
    if version is None:
        version = tab(client, app).context["ports_version"]
    return client.post(reverse("applications:ports_import", args=[app.pk]), {
        "file": SimpleUploadedFile(name, data, content_type="text/plain"), "opened_version": version})


def confirm(client, app, response, committed=None, note: str = ""):
    """The preview's confirmation; ``committed`` runs its on-commit work (the checks), else it waits."""
    page = response.content.decode()
    assert 'id="ports-import-confirm"' in page, "the preview offers no confirmation"
    with committed() if committed else nullcontext():
        return client.post(reverse("applications:ports_import", args=[app.pk]), {
            "_confirm": "", "cfg": response.context["cfg"], "filename": response.context["filename"],
            "opened_version": response.context["opened_version"], "note": note})


def statuses(response) -> dict[str, str]:
    return {plan.port_id: plan.status for plan in response.context["preview"]}


def messages_of(response) -> list[str]:
    return [m for plan in response.context["preview"] for m in plan.messages]


def test_export_is_every_port_sorted_by_id_in_the_cfg_grammar(env, client_as):
    Port.objects.create(application=env.message, port_id="admin", number=4029,
                        transport_params="tls=1;cipher-list=HIGH")
    response = client_as("viewer").get(reverse("applications:ports_export", args=[env.message.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="messageserver-ports.cfg"'
    entries = parse_cfg(response.content)
    assert [e.section for e in entries if e.name == "port"] == ["admin", "default", "secure"]
    assert {(e.section, e.name): e.value for e in entries} == {
        ("admin", "port"): "4029", ("admin", "mode"): "default", ("admin", "transport"): "tls=1;cipher-list=HIGH",
        ("default", "port"): "4020", ("default", "mode"): "default", ("default", "transport"): "",
        ("secure", "port"): "4021", ("secure", "mode"): "default", ("secure", "transport"): "tls=1",
    }


def test_an_exported_file_imports_as_no_change(env, client_as):
    client = client_as("operator")
    exported = client.get(reverse("applications:ports_export", args=[env.message.pk])).content
    response = preview(client, env.message, exported)
    assert statuses(response) == {"default": UNCHANGED, "secure": UNCHANGED}
    page = response.content.decode()
    assert 'id="ports-import-nothing"' in page and 'id="ports-import-confirm"' not in page


def test_import_previews_then_creates_and_changes_ports_as_port_edits(env, client_as):
    client = client_as("operator")
    before = ports_of(env.message)
    versions = ApplicationVersion.objects.filter(application=env.message).count()
    events = AuditEvent.objects.count()
    data = SECURE_MESSAGE + b"\n[backup]\nport = 4025\ntransport = tls=1\n"
    response = preview(client, env.message, data)
    assert response.status_code == 200
    assert statuses(response) == {"default": UNCHANGED, "secure": CHANGED, "backup": NEW}
    assert ports_of(env.message) == before, "the preview changed something"
    assert AuditEvent.objects.count() == events
    Application.objects.filter(pk=env.message.pk).update(checks_requested_at=None)

    # The checks stay requested: their tasks run at commit, which this test's transaction never reaches.
    response = confirm(client, env.message, response, note="mutual TLS for the cluster")
    assert response.status_code == 302 and response.url == reverse("applications:ports", args=[env.message.pk])
    ports = ports_of(env.message)
    assert ports["secure"] == (4021, "secure", "tls=1;tls-mutual=1", True, True)
    assert ports["backup"] == (4025, "default", "tls=1", True, False)
    assert ports["default"] == before["default"]
    # One audit event per changed port, as the port form writes them; one version of the application.
    new_events = list(AuditEvent.objects.filter(object_type="port").order_by("-id")[:2])[::-1]
    assert AuditEvent.objects.count() == events + 2
    assert [(e.action, e.object_repr) for e in new_events] == [
        ("update", "MessageServer:secure (4021)"), ("create", "MessageServer:backup (4025)")]
    assert new_events[0].changes["transport_params"] == ["tls=1", "tls=1;tls-mutual=1"]
    assert new_events[0].changes["mutual_tls"] == [False, True]
    assert new_events[0].changes["mode"] == ["default", "secure"]
    assert all(e.message == "Imported from ports.cfg. mutual TLS for the cluster" for e in new_events)
    assert all(e.application_id == env.message.pk for e in new_events)
    assert ApplicationVersion.objects.filter(application=env.message).count() == versions + 1
    assert ApplicationVersion.objects.filter(application=env.message).latest("number").source == "ports"
    # The checks of the server and of its clients through the port (the Cluster) are asked for.
    assert Application.objects.get(pk=env.message.pk).checks_requested_at is not None
    assert Application.objects.get(pk=env.cluster.pk).checks_requested_at is not None


def test_a_port_left_out_of_the_file_is_kept_and_said_so(env, client_as, committed):
    client = client_as("operator")
    response = preview(client, env.message, b"[secure]\ntransport = tls=1;tls-mutual=1\n")
    assert statuses(response) == {"secure": CHANGED, "default": NOT_IN_FILE}
    assert "kept as it is" in response.content.decode()
    confirm(client, env.message, response, committed)
    ports = ports_of(env.message)
    assert ports["default"] == (4020, "default", "", False, False)
    # Keys left out keep what is stored: the number and the mode.
    assert ports["secure"] == (4021, "default", "tls=1;tls-mutual=1", True, True)


@pytest.mark.parametrize(("data", "expected"), [
    (b"[secure]\nport = 4021\nmode = fast\n", "line 3: [secure] mode: Select a valid choice. fast is not one of"),
    (b"[secure]\nmode = upgrade\n", "line 2: [secure] mode: Only a Configuration Server has upgrade-mode ports."),
    (b"[default]\nmode = secure\n", "line 2: [default] mode: A secure-mode port speaks TLS from the first byte"),
    (b"[secure]\ntransport = tls=yes\n", "line 2: [secure] transport: Transport parameters: tls is 1 (on) or 0"),
    (b"[secure]\ntransport = tls=1;tls=1\n", "line 2: [secure] transport: Transport parameters: tls is given twice."),
    (b"[default]\ntransport = tls-mutual=1\n", "line 2: [default] transport: Mutual TLS needs a secure port"),
    (b"[secure]\nport = 70000\n", "line 2: [secure] port: Ensure this value is less than or equal to 65535."),
    (b"[secure]\nport = four\n", "line 2: [secure] port: Enter a whole number."),
    (b"[secure]\nport = 4021\nsecured = 1\n", "line 3: [secure] secured is not a port setting"),
    (b"[new]\nmode = default\n", "line 2: [new] is a new port: give its number (port = …)."),
    (b"# two ports on one number\n[secure]\nport = 4020\n", "line 3: [secure] port 4020 is also the number of default"),
    (b"[a]\nport = 5000\n[b]\nport = 5000\n", "line 2: [a] port 5000 is also the number of b"),
])
def test_a_refused_line_is_named_and_nothing_changes(env, client_as, committed, data, expected):
    client = client_as("operator")
    before, events = ports_of(env.message), AuditEvent.objects.count()
    # A good change beside the refused one: all or nothing.
    response = preview(client, env.message, data + b"\n[extra]\nport = 4031\n")
    assert response.status_code == 200
    assert any(message.startswith(expected) for message in messages_of(response)), messages_of(response)
    page = response.content.decode()
    assert 'id="ports-import-refused"' in page and 'id="ports-import-confirm"' not in page
    # A confirmation forged around the refusal applies nothing either.
    with committed():
        forged = client.post(reverse("applications:ports_import", args=[env.message.pk]), {
            "_confirm": "", "cfg": base64.b64encode(data).decode(), "filename": "x.cfg",
            "opened_version": response.context["opened_version"]})
    assert forged.status_code == 302
    assert ports_of(env.message) == before and AuditEvent.objects.count() == events


def test_two_ports_may_swap_their_numbers_in_one_file(env, client_as, committed):
    client = client_as("operator")
    response = preview(client, env.message, b"[default]\nport = 4021\n[secure]\nport = 4020\n")
    assert statuses(response) == {"default": CHANGED, "secure": CHANGED}
    confirm(client, env.message, response, committed)
    assert [ports_of(env.message)[p][0] for p in ("default", "secure")] == [4021, 4020]


def test_upgrade_mode_is_accepted_on_a_configuration_server(env, client_as, committed):
    confserv = Application.objects.create(name="confserv", app_type=AppType.CONFIG_SERVER, version="8.5",
                                          host=env.linux)
    client = client_as("operator")
    response = preview(client, confserv, b"[default]\nport = 2020\nmode = upgrade\ntransport = tls=0\n")
    assert statuses(response) == {"default": NEW}
    confirm(client, confserv, response, committed)
    assert ports_of(confserv) == {"default": (2020, "upgrade", "tls=0", False, False)}


def test_a_file_that_is_not_a_cfg_is_a_form_error(env, client_as):
    response = preview(client_as("operator"), env.message, b"port = 1\n")
    assert response.status_code == 200
    assert "Line 1: the option on this line comes before any [section] header." in response.content.decode()


def test_a_port_changed_since_the_page_was_opened_refuses_the_preview(env, client_as, users):
    client = client_as("operator")
    opened = tab(client, env.message).context["ports_version"]
    form = PortForm({"port_id": "secure", "number": "4022", "mode": "default", "transport_params": "tls=1",
                     "secured": "on"}, instance=env.message_secure, application=env.message)
    assert form.is_valid()
    services.save_object(form=form, actor=users["security"], note="moved")
    response = preview(client, env.message, b"[default]\nport = 4030\n", version=opened)
    assert response.status_code == 200
    assert response.context["preview"] is None
    page = response.content.decode()
    assert 'id="stale-edit"' in page and "the ports of MessageServer" in page and "4021 → 4022" in page
    assert ports_of(env.message)["default"][0] == 4020
    # The file chosen again on the banner's page is previewed against the ports as they are now.
    again = preview(client, env.message, b"[default]\nport = 4030\n", version=response.context["opened_version"])
    assert statuses(again) == {"default": CHANGED, "secure": NOT_IN_FILE}


def test_a_port_changed_between_preview_and_confirmation_refuses_the_import(env, client_as, users, committed):
    client = client_as("operator")
    response = preview(client, env.message, b"[default]\nport = 4030\n")
    # Someone else adds a port after the preview.
    Port.objects.create(application=env.message, port_id="other", number=4040)
    events = AuditEvent.objects.count()
    stale = confirm(client, env.message, response, committed)
    assert stale.status_code == 200 and 'id="stale-edit"' in stale.content.decode()
    assert ports_of(env.message)["default"][0] == 4020 and AuditEvent.objects.count() == events


def test_only_those_who_edit_ports_import_them(env, client_as):
    viewer = client_as("viewer")
    assert 'id="ports-import"' not in tab(viewer, env.message).content.decode()
    assert 'id="ports-export"' in tab(viewer, env.message).content.decode()
    version = tab(client_as("operator"), env.message).context["ports_version"]
    viewer = client_as("viewer")
    response = preview(viewer, env.message, b"[default]\nport = 4030\n", version=version)
    assert response.status_code == 403
    response = viewer.post(reverse("applications:ports_import", args=[env.message.pk]), {"_confirm": "", "cfg": "W10="})
    assert response.status_code == 403
    assert ports_of(env.message)["default"][0] == 4020


def test_a_garbled_confirmation_is_a_message_not_an_error(env, client_as):
    client = client_as("operator")
    response = client.post(reverse("applications:ports_import", args=[env.message.pk]),
                           {"_confirm": "", "cfg": "not base64!", "opened_version": "x"}, follow=True)
    assert response.status_code == 200
    assert "the previewed file did not come back whole" in response.content.decode()


def test_plan_lists_the_file_first_then_the_ports_it_leaves_out(env):
    plans = plan_import(env.message, b"[zeta]\nport = 5000\n[secure]\nport = 4021\n")
    assert [(p.port_id, p.status) for p in plans] == [("zeta", NEW), ("secure", UNCHANGED), ("default", NOT_IN_FILE)]
    assert INVALID not in {p.status for p in plans}


def test_a_file_of_more_port_sections_than_the_limit_is_refused_before_judging(env, client_as):
    data = "".join(f"[p{i}]\nport = {1000 + i}\n" for i in range(MAX_PORTS_PER_FILE + 1)).encode()
    response = preview(client_as("operator"), env.message, data)
    assert response.status_code == 200 and response.context["preview"] is None
    assert f"at most {MAX_PORTS_PER_FILE} [port ID] sections" in response.content.decode()
    assert set(ports_of(env.message)) == {"default", "secure"}


def test_the_import_page_alone_offers_the_file_chooser_with_the_ports_version(env, client_as):
    response = client_as("operator").get(reverse("applications:ports_import", args=[env.message.pk]))
    assert response.status_code == 200
    assert 'id="ports-import-form"' in response.content.decode()
    assert response.context["opened_version"] == tab(client_as("operator"), env.message).context["ports_version"]


def test_a_file_name_posted_back_reaches_the_audit_trail_on_one_visible_line(env, client_as, committed):
    client = client_as("operator")
    response = preview(client, env.message, b"[default]\nport = 4030\n")
    with committed():
        client.post(reverse("applications:ports_import", args=[env.message.pk]), {
            "_confirm": "", "cfg": response.context["cfg"], "filename": "a\nb.cfg",
            "opened_version": response.context["opened_version"]})
    event = AuditEvent.objects.filter(object_type="port").latest("id")
    assert event.message == "Imported from a\u240ab.cfg."


def test_parameters_a_cfg_line_cannot_carry_are_named_left_out_and_kept_by_the_import(env, client_as):
    # Stored before today's rules (a trailing space): the file cannot carry it back exactly.
    Port.objects.filter(pk=env.message_secure.pk).update(transport_params="tls=1 ")
    client = client_as("operator")
    exported = client.get(reverse("applications:ports_export", args=[env.message.pk])).content.decode()
    assert ("# Not exported (a line break, a control character or spaces at an end): "
            "the transport parameters of secure") in exported
    assert ("secure", "transport") not in {(e.section, e.name) for e in parse_cfg(exported.encode())}
    response = preview(client, env.message, exported.encode())
    assert statuses(response) == {"default": UNCHANGED, "secure": UNCHANGED}
    assert Port.objects.get(pk=env.message_secure.pk).transport_params == "tls=1 "
