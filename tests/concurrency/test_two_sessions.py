"""No lost update, form by form: two sessions open the same page, the first saves, then the second.

The second gets the conflict banner (who changed what, when, a Reload link), keeps its entries on
the page, and nothing of it is saved; the first's change is intact. After a reload the second can
save. The pages are read and posted as a browser does (every field of the form, hidden ones included).
"""

import pytest
from django.urls import reverse

from applications.models import Application, AuditEvent, Connection, Host, Port, RunningOption
from applications.options import option_set, option_value
from security.models import Certificate, StoreAssignment, TrustedStore
from tests.concurrency.conftest import banner, opened, page_text

pytestmark = pytest.mark.django_db


def post(client, url, data, **extra):
    return client.post(url, {**data, **extra})


def only(value: str) -> list[str]:
    return [value]


# Hosts, applications, ports, connections


def test_host_the_second_save_is_refused_and_the_first_kept(env, sessions):
    first, second = sessions("operator")
    url = reverse("applications:host_edit", args=[env.linux.pk])
    page_one, page_two = opened(first, url), opened(second, url)

    assert post(first, url, page_one, address=only("10.0.0.6")).status_code == 302
    response = post(second, url, page_two, description=only("racked in room 2"))

    text = banner(response)
    assert "the host core-01" in text and "Nothing was saved." in text
    assert "operator at" in text and "address: 10.0.0.5 → 10.0.0.6" in text
    assert "Reload the current values" in text and "your entries below are kept" in text
    assert "racked in room 2" in response.content.decode()  # the second's entry, still on the page
    host = Host.objects.get(pk=env.linux.pk)
    assert (host.address, host.description) == ("10.0.0.6", "")

    reloaded = opened(second, url)  # after Reload the second's change goes through
    assert post(second, url, reloaded, description=only("racked in room 2")).status_code == 302
    host.refresh_from_db()
    assert (host.address, host.description) == ("10.0.0.6", "racked in room 2")


def test_application_a_version_change_is_not_reverted_by_a_tab_that_changed_the_directory(env, sessions):
    first, second = sessions("operator")
    url = reverse("applications:edit", args=[env.node_a.pk])
    page_one, page_two = opened(first, url), opened(second, url)

    assert post(first, url, page_one, version=only("8.5.003.10")).status_code == 302
    response = post(second, url, page_two, working_directory=only("/opt/genesys/cobrowse"))

    text = banner(response)
    assert "the application CB_Node_A" in text and "version: 8.5.003.04 → 8.5.003.10" in text
    node = Application.objects.get(pk=env.node_a.pk)
    assert (node.version, node.working_directory) == ("8.5.003.10", "/opt/genesys/cb_node_a")


def test_port_mutual_tls_is_not_switched_off_by_a_tab_that_changed_the_number(env, sessions):
    first, second = sessions("operator")
    url = reverse("applications:port_edit", args=[env.message.pk, env.secure.pk])
    page_one, page_two = opened(first, url), opened(second, url)

    assert post(first, url, page_one, mutual_tls=only("on")).status_code == 302
    response = post(second, url, page_two, number=only("4031"))

    text = banner(response)
    assert "the port secure of MessageServer" in text and "mutual_tls: False → True" in text
    port = Port.objects.get(pk=env.secure.pk)
    assert (port.number, port.mutual_tls) == (4021, True)


def test_connection_the_second_save_is_refused(env, sessions):
    first, second = sessions("operator")
    url = reverse("applications:connection_edit", args=[env.node_a.pk, env.connection.pk])
    page_one, page_two = opened(first, url), opened(second, url)

    assert post(first, url, page_one, transport_params=only("tls=1")).status_code == 302
    response = post(second, url, page_two, protocol=only("addp"), addp_local_timeout=only("10"),
                    addp_remote_timeout=only("20"))

    assert "transport_params: — → tls=1" in banner(response)
    connection = Connection.objects.get(pk=env.connection.pk)
    assert (connection.transport_params, connection.protocol, connection.addp_local_timeout) == (
        "tls=1", "default", None)


# Trusted stores and certificates


def test_store_a_ca_removed_in_one_tab_is_not_put_back_by_a_tab_that_changed_the_description(env, sessions):
    first, second = sessions("security")
    url = reverse("security:store_edit", args=[env.pem.pk])
    page_one, page_two = opened(first, url), opened(second, url)

    assert post(first, url, page_one, certificates=[str(env.root.pk)]).status_code == 302
    response = post(second, url, page_two, description=only("Partners and the intermediate"))

    text = banner(response)
    assert "the trusted store Partners (PEM)" in text and "certificates: 2 → 1" in text
    assert "Partners and the intermediate" in response.content.decode()
    store = TrustedStore.objects.get(pk=env.pem.pk)
    assert list(store.entries.values_list("certificate_id", flat=True)) == [env.root.pk]
    assert store.description == "CAs of the partner sites"


def test_store_a_certificate_added_in_one_tab_is_not_dropped_by_a_tab_that_changed_the_path(env, sessions):
    first, second = sessions("security")
    url = reverse("security:store_edit", args=[env.pem.pk])
    page_one, page_two = opened(first, url), opened(second, url)

    added = [str(env.root.pk), str(env.intermediate.pk), str(env.other.pk)]
    assert post(first, url, page_one, certificates=added).status_code == 302
    response = post(second, url, page_two, path=only("/opt/genesys/certs/partners.pem"))

    assert "certificates: 2 → 3" in banner(response)
    store = TrustedStore.objects.get(pk=env.pem.pk)
    assert store.path == "/opt/genesys/certs/ca.pem" and store.entries.count() == 3


def test_store_a_new_password_is_not_lost_to_a_tab_that_changed_the_description(env, sessions):
    from security.stores import store_password

    first, second = sessions("security")
    url = reverse("security:store_edit", args=[env.jks.pk])
    page_one, page_two = opened(first, url), opened(second, url)

    new = "Jks-Second-Pass-2"
    assert post(first, url, page_one, password=only(new), password_again=only(new)).status_code == 302
    response = post(second, url, page_two, description=only("the Genesys root"))

    text = banner(response)
    assert "password: — → (secret changed)" in text and new not in response.content.decode()
    store = TrustedStore.objects.get(pk=env.jks.pk)
    assert store_password(store) == new and store.description == ""


def test_certificate_delete_is_refused_when_a_store_took_the_certificate_since(env, sessions):
    first, second = sessions("security")
    delete_url = reverse("security:certificate_delete", args=[env.other.pk])
    confirmation = opened(second, delete_url)
    store_url = reverse("security:store_edit", args=[env.pem.pk])
    store_page = opened(first, store_url)

    both = [str(env.root.pk), str(env.intermediate.pk), str(env.other.pk)]
    assert post(first, store_url, store_page, certificates=both).status_code == 302
    response = post(second, delete_url, confirmation)

    text = banner(response)
    assert "the certificate Unrelated Test CA" in text and "Nothing was deleted" in text
    assert "update Partners (PEM)" in text
    assert Certificate.objects.filter(pk=env.other.pk).exists()
    assert TrustedStore.objects.get(pk=env.pem.pk).entries.count() == 3


# Delete confirmations


@pytest.mark.parametrize("kind", ["host", "application", "port", "connection", "store"])
def test_a_delete_confirmed_from_a_page_opened_before_a_change_deletes_nothing(env, sessions, kind):
    username = "security" if kind == "store" else "operator"
    first, second = sessions(username)
    obj, delete_url, edit_url, change = {
        "host": (env.spare, reverse("applications:host_delete", args=[env.spare.pk]),
                 reverse("applications:host_edit", args=[env.spare.pk]), {"address": only("10.0.9.10")}),
        "application": (env.node_b, reverse("applications:delete", args=[env.node_b.pk]),
                        reverse("applications:edit", args=[env.node_b.pk]), {"version": only("8.5.003.10")}),
        "port": (env.default, reverse("applications:port_delete", args=[env.message.pk, env.default.pk]),
                 reverse("applications:port_edit", args=[env.message.pk, env.default.pk]), {"number": only("4025")}),
        "connection": (env.connection, reverse("applications:connection_delete", args=[env.node_a.pk,
                                                                                        env.connection.pk]),
                       reverse("applications:connection_edit", args=[env.node_a.pk, env.connection.pk]),
                       {"transport_params": only("tls=1")}),
        "store": (env.pem, reverse("security:store_delete", args=[env.pem.pk]),
                  reverse("security:store_edit", args=[env.pem.pk]), {"description": only("still in use")}),
    }[kind]
    confirmation = opened(second, delete_url)
    assert post(first, edit_url, opened(first, edit_url), **change).status_code == 302

    response = post(second, delete_url, confirmation)

    text = banner(response)
    assert "Nothing was deleted" in text and f"{username} at" in text
    assert type(obj).objects.filter(pk=obj.pk).exists()
    # The page now carries the version it shows: confirming again deletes.
    again = post(second, delete_url, opened(second, delete_url))
    assert again.status_code == 302 and not type(obj).objects.filter(pk=obj.pk).exists()


# Users and roles


def test_user_a_role_change_is_not_reverted_by_a_tab_that_deactivated_the_user(env, sessions):
    first, second = sessions("admin")
    operator = env.users["operator"]
    url = reverse("applications:user_edit", args=[operator.pk])
    page_one, page_two = opened(first, url), opened(second, url)

    assert post(first, url, page_one, role=only("Security officer")).status_code == 302
    page_two.pop("active", None)
    response = post(second, url, page_two)

    text = banner(response)
    assert "the user operator" in text and "role: Operator → Security officer" in text
    operator.refresh_from_db()
    assert operator.is_active and list(operator.groups.values_list("name", flat=True)) == ["Security officer"]


def test_user_a_password_reset_makes_the_other_tab_conflict_without_showing_anything_of_it(env, sessions):
    first, second = sessions("admin")
    viewer = env.users["viewer"]
    url = reverse("applications:user_edit", args=[viewer.pk])
    page_one, page_two = opened(first, url), opened(second, url)

    assert post(first, url, page_one, password=only("Reset-Pass-Word-9")).status_code == 302
    response = post(second, url, page_two, role=only("Operator"))

    assert "password: — → (secret changed)" in banner(response)
    viewer.refresh_from_db()
    assert viewer.check_password("Reset-Pass-Word-9") and viewer.groups.get().name == "Viewer"


# Options: editor, import, security section, Apply to all Nodes, Mark as restarted


def test_options_editor_the_second_save_is_refused(env, sessions):
    from tests.foundation.forms_html import row_index

    first, second = sessions("operator")
    url = reverse("applications:options_edit", args=[env.node_a.pk])
    page_one, page_two = opened(first, url, containing="revision"), opened(second, url, containing="revision")
    flat_one = {k: v[0] for k, v in page_one.items()}
    flat_two = {k: v[0] for k, v in page_two.items()}
    row = row_index(flat_one, "log", "verbose")

    assert post(first, url, flat_one, **{f"form-{row}-value": "debug"}).status_code == 302
    response = post(second, url, flat_two, **{f"form-{row}-value": "trace"})

    assert "operator at" in banner(response)
    assert option_value(env.node_a, "log", "verbose") == "debug"


def test_cfg_import_confirmed_after_someone_else_saved_imports_nothing(env, sessions):
    from django.core.files.uploadedfile import SimpleUploadedFile

    first, second = sessions("operator")
    url = reverse("applications:options_import", args=[env.node_a.pk])
    preview = first.post(url, {"file": SimpleUploadedFile("node.cfg", b"[log]\nverbose = trace\n[web]\nx = 1\n")})
    save_in_the_editor(second, env.node_a, "log", "verbose", "debug")

    response = first.post(url, _confirm_form(preview))

    text = banner(response)
    assert "the options of CB_Node_A" in text and "operator at" in text and "(value: standard → debug)" in text
    assert "Nothing was imported" in text
    assert option_value(env.node_a, "log", "verbose") == "debug"
    assert option_value(env.node_a, "web", "x") is None


def test_cfg_import_confirmed_from_a_preview_older_than_another_tab_s_imports_nothing(env, sessions):
    """A user keeps one preview per application: a tab showing an earlier preview (made before
    someone else's save) cannot confirm the later tab's preview, and imports nothing."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    first, second = sessions("operator")
    url = reverse("applications:options_import", args=[env.node_a.pk])
    content = b"[log]\nverbose = trace\n"
    older_tab = first.post(url, {"file": SimpleUploadedFile("node.cfg", content)})
    save_in_the_editor(second, env.node_a, "log", "verbose", "debug")
    first.post(url, {"file": SimpleUploadedFile("node.cfg", content)})  # a newer tab previews it again

    response = first.post(url, _confirm_form(older_tab), follow=True)

    assert "That preview has expired" in response.content.decode()
    assert option_value(env.node_a, "log", "verbose") == "debug"


def save_in_the_editor(client, app, section: str, name: str, value: str) -> None:
    from tests.foundation.forms_html import row_index

    url = reverse("applications:options_edit", args=[app.pk])
    page = {k: v[0] for k, v in opened(client, url, containing="revision").items()}
    page[f"form-{row_index(page, section, name)}-value"] = value
    assert client.post(url, page).status_code == 302


def _confirm_form(response) -> dict[str, list[str]]:
    from tests.foundation.forms_html import page_forms

    for form in page_forms(response.content.decode()):
        names = [name for name, _ in form["fields"]]
        if "digest" in names:
            data: dict[str, list[str]] = {}
            for name, value in form["fields"]:
                data.setdefault(name, []).append(value)
            data["_confirm"] = [""]
            return data
    raise AssertionError("no confirmation form on the preview")


def test_security_section_the_second_save_is_refused(env, sessions):
    first, second = sessions("security")
    url = reverse("security:section", args=[env.node_a.pk])
    page_one, page_two = opened(first, url, containing="revision"), opened(second, url, containing="revision")

    assert post(first, url, page_one, provider=only("PEM"), store=only(str(env.pem.pk)), typed_path=only(""),
                _save=only("")).status_code == 302
    response = post(second, url, page_two, provider=only("JKS"), store=only(str(env.jks.pk)), typed_path=only(""),
                    _save=only(""))

    assert 'id="stale-edit"' in response.content.decode()
    assert option_value(env.node_a, "security", "provider") == "PEM"
    assert StoreAssignment.objects.get(application=env.node_a).store_id == env.pem.pk


def test_apply_to_all_nodes_after_a_node_was_changed_applies_nothing(env, sessions):
    first, second = sessions("security")
    cluster_url = reverse("security:section_cluster", args=[env.cluster.pk])
    apply_page = opened(second, cluster_url, containing="revisions")
    node_url = reverse("security:section", args=[env.node_b.pk])

    assert post(first, node_url, opened(first, node_url, containing="revision"), provider=only("PEM"),
                store=only(str(env.pem.pk)), typed_path=only(""), _save=only("")).status_code == 302
    response = post(second, cluster_url, apply_page, provider=only("JKS"), store=only(str(env.jks.pk)),
                    typed_path=only(""), _save=only(""))

    assert 'id="stale-edit"' in response.content.decode()
    assert option_value(env.node_b, "security", "provider") == "PEM"
    assert option_value(env.node_a, "security", "provider") is None


def test_mark_as_restarted_from_a_page_older_than_the_options_marks_nothing(env, sessions, committed):
    first, second = sessions("operator")
    with committed():
        save_in_the_editor(second, env.node_a, "web", "maxSessions", "20")
    general = reverse("applications:detail", args=[env.node_a.pk])
    page = opened(first, general, containing="revision")
    assert "[web] maxSessions" in page_text(first.get(general))
    with committed():  # the other person's change lands after the page was shown, before the restart
        save_in_the_editor(second, env.node_a, "web", "maxSessions", "30")

    with committed():
        response = post(first, reverse("applications:mark_restarted", args=[env.node_a.pk]), page)

    text = banner(response)
    assert "the options of CB_Node_A" in text and "It was not marked as restarted" in text
    assert "operator at" in text and "(value: 20 → 30)" in text
    assert not AuditEvent.objects.filter(application=env.node_a, action="restart").exists()
    running = RunningOption.objects.get(application=env.node_a, section="web", name="maxSessions")
    assert running.value == "10"
    assert "[web] maxSessions" in page_text(first.get(general))  # still pending

    again = post(first, reverse("applications:mark_restarted", args=[env.node_a.pk]),
                 opened(first, general, containing="revision"))
    assert again.status_code == 302
    assert RunningOption.objects.get(application=env.node_a, section="web", name="maxSessions").value == "30"


def test_the_general_tab_shows_the_pending_list_of_the_revision_its_button_carries(env, sessions, committed):
    """A change whose checks have not run yet (broker down) is not in the saved pending list: the
    page computes the list then, so "Mark as restarted" never confirms a change it did not show."""
    first, second = sessions("operator")
    with committed():
        save_in_the_editor(second, env.node_a, "web", "maxSessions", "20")
    # No on-commit work here: the checks of this change do not run, as when the broker is down.
    option_set(application=env.node_a, section="web", name="keepAlive", value="30", actor=env.users["admin"])
    general = reverse("applications:detail", args=[env.node_a.pk])

    shown = page_text(first.get(general))
    page = opened(first, general, containing="revision")
    assert "[web] maxSessions" in shown and "[web] keepAlive" in shown
    with committed():
        assert post(first, reverse("applications:mark_restarted", args=[env.node_a.pk]), page).status_code == 302
    restart = AuditEvent.objects.get(application=env.node_a, action="restart")
    assert set(restart.changes) == {"[web] maxSessions", "[web] keepAlive"}
