"""No lost update in the services themselves (what the command line and the future API call).

Each service that writes takes the version its caller read (``expected_version``, None for an
unconditional write) and raises ``EditConflict`` before writing anything when the object changed
since. Only what the form edits makes a version: other writers' columns do not conflict, and the
save does not write them back either.
"""

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from applications import services
from applications.forms import ApplicationForm, HostForm, PortForm
from applications.models import Application, AuditEvent, Host, Option, Port, RunningOption
from applications.options import OptionChange, StaleEdit, option_set, options_apply
from applications.options_io import apply_import
from applications.restart import mark_restarted
from applications.users import user_save, user_version
from applications.versioning import EditConflict, Version
from security import certificates as cert_service
from security.models import Certificate, StoreEntry, TrustedStore
from security.section import security_section_set
from security.stores import store_delete, store_save, store_version
from tests.certs.make_certs import INTERMEDIATE_CN

pytestmark = pytest.mark.django_db


def host_form(host: Host, **changes) -> HostForm:
    data = {"name": host.name, "address": host.address, "os_type": host.os_type, "description": host.description}
    form = HostForm({**data, **changes}, instance=Host.objects.get(pk=host.pk))
    assert form.is_valid(), form.errors
    return form


def application_form(app: Application, **changes) -> ApplicationForm:
    app = Application.objects.get(pk=app.pk)
    data = {"name": app.name, "app_type": app.app_type, "version": app.version, "host": app.host_id or "",
            "enabled": app.enabled, "cluster": app.cluster_id or "", "scs_controlled": app.scs_controlled,
            "service_account": app.service_account, "working_directory": app.working_directory}
    form = ApplicationForm({**data, **changes}, instance=app)
    assert form.is_valid(), form.errors
    return form


def test_save_object_refuses_a_version_older_than_the_host_and_writes_nothing(env):
    opened = services.object_version(env.linux)
    services.save_object(form=host_form(env.linux, address="10.0.0.6"), actor=env.users["operator"],
                         expected_version=opened)
    events = AuditEvent.objects.count()

    with pytest.raises(EditConflict) as conflict:
        services.save_object(form=host_form(env.linux, description="second"), actor=env.users["admin"],
                             expected_version=opened)

    assert conflict.value.what == "the host core-01"
    assert [(e.actor_name, e.changes) for e in conflict.value.events] == [
        ("operator", {"address": ["10.0.0.5", "10.0.0.6"]})]
    assert conflict.value.current_version == services.object_version(Host.objects.get(pk=env.linux.pk))
    host = Host.objects.get(pk=env.linux.pk)
    assert (host.address, host.description) == ("10.0.0.6", "")
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("sent", ["", "garbage", "0123456789abcdef", "0123456789abcdef.x", "²³.1"])
def test_a_missing_or_garbled_version_is_never_current(env, sent):
    with pytest.raises(EditConflict):
        services.save_object(form=host_form(env.linux, address="10.0.0.7"), actor=env.users["operator"],
                             expected_version=sent)
    assert Host.objects.get(pk=env.linux.pk).address == "10.0.0.5"


def test_no_version_saves_unconditionally_as_the_command_line_does(env):
    option_set(application=env.node_a, section="log", name="verbose", value="debug", actor="cli")
    services.save_object(form=application_form(env.node_a, version="8.5.003.10"), actor="cli")
    assert Application.objects.get(pk=env.node_a.pk).version == "8.5.003.10"


def test_an_options_save_is_no_conflict_for_the_general_tab_and_is_not_written_back_by_it(env):
    """The General form edits the application's fields, not its options: an options save meanwhile
    neither conflicts with it nor is undone by it (the form's instance holds the old revision)."""
    opened = services.object_version(env.node_a)
    form = application_form(env.node_a, working_directory="/opt/genesys/cobrowse")
    before = form.instance.options_revision
    options_apply(application=env.node_a, changes=[OptionChange("log", "verbose", "debug")],
                  actor=env.users["operator"])
    revision = Application.objects.get(pk=env.node_a.pk).options_revision

    services.save_object(form=form, actor=env.users["admin"], expected_version=opened)

    node = Application.objects.get(pk=env.node_a.pk)
    assert node.working_directory == "/opt/genesys/cobrowse"
    assert node.options_revision == revision and revision > before


def test_renaming_the_host_is_no_conflict_for_its_applications(env):
    opened = services.object_version(env.node_a)
    services.save_object(form=host_form(env.linux, name="core-01-renamed"), actor=env.users["operator"])
    services.save_object(form=application_form(env.node_a, version="8.5.003.10"), actor=env.users["admin"],
                         expected_version=opened)
    assert Application.objects.get(pk=env.node_a.pk).version == "8.5.003.10"


def test_a_port_saved_from_an_old_version_keeps_the_other_change(env):
    opened = services.object_version(env.secure)

    def form(**changes) -> PortForm:
        port = Port.objects.get(pk=env.secure.pk)
        data = {"port_id": port.port_id, "number": port.number, "secured": port.secured, "mutual_tls": port.mutual_tls}
        bound = PortForm({**data, **changes}, instance=port, application=env.message)
        assert bound.is_valid(), bound.errors
        return bound

    services.save_object(form=form(mutual_tls=True), actor=env.users["operator"], expected_version=opened)
    with pytest.raises(EditConflict):
        services.save_object(form=form(number=4031), actor=env.users["admin"], expected_version=opened)
    port = Port.objects.get(pk=env.secure.pk)
    assert (port.number, port.mutual_tls) == (4021, True)


def test_delete_object_refuses_a_version_older_than_the_object(env):
    opened = services.object_version(env.default)
    services.save_object(form=_valid_port_form(env), actor=env.users["operator"])

    with pytest.raises(EditConflict):
        services.delete_object(obj=env.default, actor=env.users["admin"], expected_version=opened)
    assert Port.objects.filter(pk=env.default.pk).exists()
    services.delete_object(obj=env.default, actor=env.users["admin"],
                           expected_version=services.object_version(Port.objects.get(pk=env.default.pk)))
    assert not Port.objects.filter(pk=env.default.pk).exists()


def _valid_port_form(env) -> PortForm:
    form = PortForm({"port_id": "default", "number": 4025}, instance=Port.objects.get(pk=env.default.pk),
                    application=env.message)
    assert form.is_valid(), form.errors
    return form


# Trusted stores and certificates


def test_store_save_refuses_a_version_older_than_the_members(env):
    officer = env.users["security"]
    opened = store_version(env.pem)
    store_save(store=TrustedStore.objects.get(pk=env.pem.pk), certificates=[env.root], password=None,
               actor=officer, expected_version=opened)

    stale = TrustedStore.objects.get(pk=env.pem.pk)
    stale.description = "second tab"
    with pytest.raises(EditConflict) as conflict:
        store_save(store=stale, certificates=[env.root, env.intermediate], password=None, actor=officer,
                   expected_version=opened)

    assert conflict.value.events[-1].changes == {"certificates": [2, 1], "removed": [INTERMEDIATE_CN, None]}
    store = TrustedStore.objects.get(pk=env.pem.pk)
    assert list(store.entries.values_list("certificate_id", flat=True)) == [env.root.pk]
    assert store.description == "CAs of the partner sites"


def test_a_new_password_changes_the_version_and_the_version_tells_nothing_of_it(env):
    opened = store_version(env.jks)
    store = TrustedStore.objects.get(pk=env.jks.pk)
    store_save(store=store, certificates=[env.root], password="Another-Pass-7", actor=env.users["security"])
    now = store_version(TrustedStore.objects.get(pk=env.jks.pk))
    assert Version.parse(now).digest != Version.parse(opened).digest
    assert "Another-Pass-7" not in now and store.password_encrypted not in now


def test_the_checks_of_a_store_are_no_conflict_and_are_not_written_back(env):
    opened = store_version(env.pem)
    stale = TrustedStore.objects.get(pk=env.pem.pk)
    validated = timezone.now()
    TrustedStore.objects.filter(pk=env.pem.pk).update(last_validated_at=validated, checks_requested_at=None)

    stale.description = "validated meanwhile"
    store_save(store=stale, certificates=[env.root, env.intermediate], password=None, actor=env.users["security"],
               expected_version=opened)

    store = TrustedStore.objects.get(pk=env.pem.pk)
    assert store.description == "validated meanwhile" and store.last_validated_at == validated


def test_store_delete_refuses_a_version_older_than_the_store(env):
    opened = store_version(env.pem)
    store_save(store=TrustedStore.objects.get(pk=env.pem.pk), certificates=[env.root], password=None,
               actor=env.users["security"])
    with pytest.raises(EditConflict):
        store_delete(store=env.pem, actor=env.users["security"], expected_version=opened)
    assert TrustedStore.objects.filter(pk=env.pem.pk).exists()


def test_certificate_delete_refuses_when_a_store_took_it_since(env):
    opened = cert_service.certificate_version(env.other)
    store_save(store=TrustedStore.objects.get(pk=env.pem.pk), certificates=[env.root, env.intermediate, env.other],
               password=None, actor=env.users["security"])
    with pytest.raises(EditConflict) as conflict:
        cert_service.certificate_delete(certificate=env.other, actor=env.users["security"], expected_version=opened)
    assert conflict.value.events[-1].object_type == "store"
    assert Certificate.objects.filter(pk=env.other.pk).exists()


def test_a_store_saved_with_a_certificate_deleted_meanwhile_is_a_conflict_not_an_integrity_error(env):
    cert_service.certificate_delete(certificate=env.other, actor=env.users["security"],
                                    expected_version=cert_service.certificate_version(env.other))
    with pytest.raises(EditConflict) as conflict:
        store_save(store=TrustedStore.objects.get(pk=env.pem.pk), certificates=[env.root, env.other],
                   password=None, actor=env.users["security"], expected_version=store_version(env.pem))
    assert [e.action for e in conflict.value.events] == ["delete"]
    assert StoreEntry.objects.filter(store=env.pem).count() == 2


# Users


def test_user_save_refuses_a_version_older_than_the_user(env):
    operator = env.users["operator"]
    opened = user_version(operator)
    user_save(user=operator, username="operator", role="Security officer", active=True, password="",
              actor=env.users["admin"], expected_version=opened)
    with pytest.raises(EditConflict) as conflict:
        user_save(user=operator, username="operator", role="Operator", active=False, password="",
                  actor=env.users["admin"], expected_version=opened)
    assert conflict.value.events[-1].changes == {"role": ["Operator", "Security officer"]}
    operator.refresh_from_db()
    assert operator.is_active and operator.groups.get().name == "Security officer"


def test_logging_in_is_no_conflict_for_the_users_form(env):
    from django.contrib.auth.models import update_last_login

    viewer = env.users["viewer"]
    opened = user_version(viewer)
    update_last_login(None, viewer)
    user_save(user=viewer, username="viewer", role="Operator", active=True, password="", actor=env.users["admin"],
              expected_version=opened)
    assert viewer.groups.get() == Group.objects.get(name="Operator")


# Options, restart, import, security section


def test_mark_restarted_refuses_an_options_revision_older_than_the_options(env):
    revision = Application.objects.get(pk=env.node_a.pk).options_revision
    option_set(application=env.node_a, section="web", name="maxSessions", value="20", actor=env.users["operator"])
    with pytest.raises(EditConflict) as conflict:
        mark_restarted(application=env.node_a, actor=env.users["operator"], expected_revision=revision)
    assert [e.object_repr for e in conflict.value.events] == ["[web] maxSessions"]
    assert RunningOption.objects.get(application=env.node_a, section="web", name="maxSessions").value == "10"
    assert not AuditEvent.objects.filter(action="restart").exists()


def test_apply_import_refuses_a_revision_older_than_the_options(env):
    revision = Application.objects.get(pk=env.node_a.pk).options_revision
    option_set(application=env.node_a, section="log", name="verbose", value="debug", actor=env.users["operator"])
    with pytest.raises(EditConflict):
        apply_import(application=env.node_a, data=b"[log]\nverbose = trace\n", actor=env.users["operator"],
                     expected_revision=revision)
    assert Option.objects.get(application=env.node_a, section="log", name="verbose").value == "debug"


def test_security_section_set_refuses_a_revision_older_than_the_options(env):
    revision = Application.objects.get(pk=env.node_a.pk).options_revision
    option_set(application=env.node_a, section="log", name="verbose", value="debug", actor=env.users["operator"])
    with pytest.raises(StaleEdit) as conflict:
        security_section_set(application=env.node_a, provider="PEM", store=env.pem, actor=env.users["security"],
                             expected_revision=revision)
    assert isinstance(conflict.value, EditConflict)  # the one exception type the views turn into the banner
    assert not Option.objects.filter(application=env.node_a, section="security").exists()
