"""Bad input gives form errors (status 200, a message) and saves nothing, not even partially.

The database constraints hold too when the forms are bypassed.
"""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from applications.models import Application, AuditEvent, Connection, Host, Option, Port
from applications.options import OptionChange, OptionsInvalid, option_value, options_apply
from tests.foundation.forms_html import post_form_data


def snapshot() -> dict:
    return {
        "hosts": list(Host.objects.values_list("name", "address", "os_type").order_by("pk")),
        "apps": list(Application.objects.values_list("name", "version", "app_type", "host_id").order_by("pk")),
        "ports": list(Port.objects.values_list("application_id", "port_id", "number", "secured").order_by("pk")),
        "connections": list(Connection.objects.values_list("client_id", "port_id", "transport_params").order_by("pk")),
        "options": list(Option.objects.values_list("application_id", "section", "name", "value").order_by("pk")),
        "audit": AuditEvent.objects.count(),
    }


def submit(client, url, committed, *, field: str, **changes):
    """Open the form page, change some fields as a user would, post it back."""
    data = post_form_data(client.get(url), containing=field)
    data.update({k: v for k, v in changes.items() if v is not None})
    for k in [k for k, v in changes.items() if v is None]:
        data.pop(k, None)
    with committed():
        return client.post(url, data)


def assert_refused(response, message: str, before: dict):
    assert response.status_code == 200
    assert message in response.content.decode()
    assert snapshot() == before


# Hosts and applications


@pytest.mark.parametrize("name", ["core-01", " core-01 "])
def test_a_host_name_already_taken_is_refused(name, env, client_as, committed):
    before = snapshot()
    response = submit(client_as("operator"), reverse("applications:host_new"), committed, field="address",
                      name=name, address="10.9.9.9", os_type="linux")
    assert_refused(response, "Host with this Name already exists.", before)


def test_renaming_a_host_to_a_name_already_taken_is_refused(env, client_as, committed):
    before = snapshot()
    response = submit(client_as("operator"), reverse("applications:host_edit", args=[env.windows.pk]), committed,
                      field="address", name="core-01")
    assert_refused(response, "Host with this Name already exists.", before)


def test_an_application_name_already_taken_is_refused(env, client_as, committed):
    before = snapshot()
    response = submit(client_as("operator"), reverse("applications:new"), committed, field="version",
                      name="MessageServer", app_type="message_server", version="8.5.100")
    assert_refused(response, "Application with this Name already exists.", before)


def test_renaming_an_application_to_a_name_already_taken_is_refused(env, client_as, committed):
    before = snapshot()
    response = submit(client_as("operator"), reverse("applications:edit", args=[env.chat.pk]), committed,
                      field="version", name="MessageServer")
    assert_refused(response, "Application with this Name already exists.", before)


def test_cloning_under_a_name_already_taken_is_refused(env, client_as, committed):
    before = snapshot()
    response = submit(client_as("operator"), reverse("applications:clone", args=[env.chat.pk]), committed,
                      field="name", name="MessageServer")
    assert_refused(response, "An application named &quot;MessageServer&quot; already exists.", before)


@pytest.mark.parametrize("version", ["8.5.x", "", "8..5", "v8.5", "8.5.003.04.01.02"])
def test_an_application_version_that_is_not_genesys_style_is_refused(version, env, client_as, committed):
    before = snapshot()
    response = submit(client_as("operator"), reverse("applications:edit", args=[env.chat.pk]), committed,
                      field="version", version=version)
    assert response.status_code == 200
    assert response.context["form"].errors["version"]
    assert snapshot() == before


def test_only_a_node_belongs_to_a_cluster(env, client_as, committed):
    before = snapshot()
    response = submit(client_as("operator"), reverse("applications:edit", args=[env.chat.pk]), committed,
                      field="version", cluster=str(env.cluster.pk))
    assert_refused(response, "Only a Co-browse Node belongs to a Cluster.", before)


# Ports


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("0", "Ensure this value is greater than or equal to 1."),
        ("65536", "Ensure this value is less than or equal to 65535."),
        ("-1", "Ensure this value is greater than or equal to 1."),
        ("abc", "Enter a whole number."),
        ("80.5", "Enter a whole number."),
        ("", "This field is required."),
    ],
)
def test_a_port_number_out_of_range_is_refused(number, message, env, client_as, committed):
    before = snapshot()
    response = submit(client_as("operator"), reverse("applications:port_new", args=[env.chat.pk]), committed,
                      field="number", port_id="secure", number=number)
    assert_refused(response, message, before)


def test_changing_a_port_to_an_out_of_range_number_keeps_the_old_one(env, client_as, committed):
    before = snapshot()
    url = reverse("applications:port_edit", args=[env.message.pk, env.message_default.pk])
    response = submit(client_as("operator"), url, committed, field="number", number="65536")
    assert_refused(response, "less than or equal to 65535", before)


def test_a_port_id_already_used_by_the_application_is_refused(env, client_as, committed):
    before = snapshot()
    response = submit(client_as("operator"), reverse("applications:port_new", args=[env.message.pk]), committed,
                      field="number", port_id="secure", number="4999")
    assert_refused(response, "This application already has a port with ID &quot;secure&quot;.", before)


def test_a_port_number_another_port_of_the_application_listens_on_is_refused(env, client_as, committed):
    before = snapshot()
    response = submit(client_as("operator"), reverse("applications:port_new", args=[env.message.pk]), committed,
                      field="number", port_id="backup", number=str(env.message_default.number))
    assert_refused(response, f"Port {env.message_default.number} is already the number of this application&#x27;s "
                             "port &quot;default&quot;", before)
    url = reverse("applications:port_edit", args=[env.message.pk, env.message_secure.pk])
    response = submit(client_as("operator"), url, committed, field="number", number=str(env.message_default.number))
    assert_refused(response, "two ports cannot listen on one number", before)


def test_a_clash_stored_before_the_rule_does_not_block_other_edits_of_the_port(env, client_as, committed):
    Port.objects.filter(pk=env.message_secure.pk).update(number=env.message_default.number)
    url = reverse("applications:port_edit", args=[env.message.pk, env.message_secure.pk])
    response = submit(client_as("operator"), url, committed, field="number",
                      transport_params="tls=1;sec-protocol=TLSv12")
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert Port.objects.get(pk=env.message_secure.pk).transport_params == "tls=1;sec-protocol=TLSv12"


def test_mutual_tls_on_a_port_that_is_not_secured_is_refused(env, client_as, committed):
    before = snapshot()
    response = submit(client_as("operator"), reverse("applications:port_new", args=[env.chat.pk]), committed,
                      field="number", port_id="mtls", number="4999", mutual_tls="on", secured=None)
    assert_refused(response, "Mutual TLS needs a secure port: tick TLS too.", before)


def test_a_valid_port_is_saved_and_audited(env, client_as, committed):
    response = submit(client_as("operator"), reverse("applications:port_new", args=[env.chat.pk]), committed,
                      field="number", port_id="secure", number="4121", secured="on")
    assert response.status_code == 302
    assert Port.objects.get(application=env.chat, port_id="secure").number == 4121
    assert AuditEvent.objects.filter(object_type="port", action="create", application=env.chat).exists()


# Connections


def connection_url(app):
    return reverse("applications:connection_new", args=[app.pk])


def test_a_connection_through_a_port_id_the_server_does_not_have_is_refused(env, client_as, committed):
    before = snapshot()
    response = submit(client_as("operator"), connection_url(env.cluster), committed, field="port_id",
                      server=str(env.chat.pk), port_id="secure")
    assert_refused(response, "ChatServer has no port with ID &quot;secure&quot; (its ports: default).", before)


def test_a_connection_without_a_port_id_is_refused(env, client_as, committed):
    before = snapshot()
    response = submit(client_as("operator"), connection_url(env.cluster), committed, field="port_id",
                      server=str(env.chat.pk), port_id="")
    assert_refused(response, "This field is required.", before)


def test_a_connection_to_the_application_itself_is_refused(env, client_as, committed):
    before = snapshot()
    response = submit(client_as("operator"), connection_url(env.message), committed, field="port_id",
                      server=str(env.message.pk), port_id="secure")
    assert_refused(response, "Select a valid choice.", before)


def test_a_second_connection_through_the_same_port_is_refused(env, client_as, committed):
    before = snapshot()
    response = submit(client_as("operator"), connection_url(env.cluster), committed, field="port_id",
                      server=str(env.message.pk), port_id="secure")
    assert_refused(response, "There is already a connection to MessageServer through &quot;secure&quot;.", before)


def test_editing_a_connection_cannot_move_it_to_a_port_another_application_lacks(env, client_as, committed):
    before = snapshot()
    url = reverse("applications:connection_edit", args=[env.cluster.pk, env.connection.pk])
    response = submit(client_as("operator"), url, committed, field="port_id", server=str(env.chat.pk),
                      port_id="secure")
    assert_refused(response, "ChatServer has no port with ID", before)
    assert Connection.objects.get(pk=env.connection.pk).port == env.message_secure


def test_a_connection_of_another_application_cannot_be_edited_through_this_one(env, client_as):
    url = reverse("applications:connection_edit", args=[env.node.pk, env.connection.pk])
    assert client_as("operator").get(url).status_code == 404


def test_a_port_of_another_application_cannot_be_edited_through_this_one(env, client_as):
    url = reverse("applications:port_edit", args=[env.chat.pk, env.message_default.pk])
    assert client_as("operator").get(url).status_code == 404


def test_addp_needs_both_timeouts(env, client_as, committed):
    before = snapshot()
    response = submit(client_as("operator"), connection_url(env.cluster), committed, field="port_id",
                      server=str(env.chat.pk), port_id="default", protocol="addp", addp_local_timeout="30")
    assert_refused(response, "ADDP needs both timeouts.", before)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ("a=1;;b=2", "&quot;&quot; is not name=value."),
        ("=x", "&quot;&quot; is not a parameter name"),
        ("a=1;a=2", "a is given twice."),
        ("noequals", "&quot;noequals&quot; is not name=value."),
        ("a=1;b", "&quot;b&quot; is not name=value."),
        ("1a=2", "&quot;1a&quot; is not a parameter name"),
        ("a=b=c", "must be printable text without &#x27;=&#x27;"),
    ],
)
def test_malformed_transport_parameters_are_refused(params, message, env, client_as, committed):
    before = snapshot()
    response = submit(client_as("operator"), connection_url(env.cluster), committed, field="port_id",
                      server=str(env.chat.pk), port_id="default", transport_params=params)
    assert_refused(response, message, before)


@pytest.mark.parametrize("params", ["", "tls=1", "tls=1;certificate=/opt/x.pem;", " a = 1 ; b = 2 "])
def test_well_formed_transport_parameters_are_accepted(params, env, client_as, committed):
    response = submit(client_as("operator"), connection_url(env.cluster), committed, field="port_id",
                      server=str(env.chat.pk), port_id="default", transport_params=params)
    assert response.status_code == 302
    assert Connection.objects.filter(client=env.cluster, port=env.chat_default).exists()


# Options: all or nothing


def test_one_invalid_option_in_a_batch_saves_none_of_them(env):
    before = snapshot()
    with pytest.raises(OptionsInvalid) as invalid:
        options_apply(
            application=env.cluster,
            changes=[
                OptionChange("web", "maxSessions", "20"),
                OptionChange("log", "verbose", "debug"),
                OptionChange("log", "verbose2", "multi\nline"),
                OptionChange("cluster", "url", "cobrowse.example.com"),
            ],
            actor=env.users["operator"],
        )
    assert set(invalid.value.errors) == {"[log] verbose2", "[cluster] url"}
    assert snapshot() == before
    assert option_value(env.cluster, "log", "verbose") == "standard"


# Database constraints, bypassing the forms


@pytest.mark.parametrize("number", [0, 65536, 100000])
def test_the_database_refuses_a_port_number_out_of_range(number, env):
    with pytest.raises(IntegrityError), transaction.atomic():
        Port.objects.create(application=env.chat, port_id="other", number=number)
    assert not Port.objects.filter(port_id="other").exists()


def test_the_database_refuses_a_second_value_for_the_same_option(env):
    with pytest.raises(IntegrityError), transaction.atomic():
        Option.objects.create(application=env.cluster, section="log", name="verbose", value="all")
    # Names are case-sensitive: Verbose is another option.
    Option.objects.create(application=env.cluster, section="log", name="Verbose", value="all")


def test_the_database_refuses_duplicate_names_and_port_ids(env):
    with pytest.raises(IntegrityError), transaction.atomic():
        Host.objects.create(name="core-01", address="x", os_type="linux")
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.create(name="ChatServer", app_type="chat_server", version="8.5")
    with pytest.raises(IntegrityError), transaction.atomic():
        Port.objects.create(application=env.message, port_id="secure", number=5000)
    with pytest.raises(IntegrityError), transaction.atomic():
        Connection.objects.create(client=env.cluster, port=env.message_secure)


def test_the_database_refuses_options_without_a_name_and_inconsistent_ports_and_connections(env):
    with pytest.raises(IntegrityError), transaction.atomic():
        Option.objects.create(application=env.cluster, section="log", name="", value="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        # The flags are derived from the transport parameters on save: a write around it is still refused.
        Port.objects.filter(pk=env.chat_default.pk).update(secured=False, mutual_tls=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Connection.objects.create(client=env.node, port=env.chat_default, protocol="default", addp_trace="full")
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.filter(pk=env.node.pk).update(cluster=env.node)
