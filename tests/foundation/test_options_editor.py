"""The options editor: create, edit and delete options through the page, as a browser posts it."""

from django.urls import reverse

from applications.models import AuditEvent, Option
from applications.options import option_value
from cobrowse_admin import secret_box
from tests.foundation.forms_html import blank_row_index, post_form_data, row_index


def editor_url(app):
    return reverse("applications:options_edit", args=[app.pk])


def open_editor(client, app) -> dict[str, str]:
    response = client.get(editor_url(app))
    assert response.status_code == 200
    return post_form_data(response, containing="TOTAL_FORMS")


def options_of(app) -> dict[tuple[str, str], str]:
    return {(o.section, o.name): o.value for o in Option.objects.filter(application=app)}


def test_an_operator_changes_a_value_with_the_select_of_valid_values(env, client_as, committed):
    client = client_as("operator")
    data = open_editor(client, env.cluster)
    i = row_index(data, "log", "verbose")
    assert data[f"form-{i}-value"] == "standard"
    data[f"form-{i}-value"] = "debug"
    with committed():
        response = client.post(editor_url(env.cluster), data)
    assert response.status_code == 302
    assert response["Location"] == reverse("applications:options", args=[env.cluster.pk])
    assert option_value(env.cluster, "log", "verbose") == "debug"
    event = AuditEvent.objects.get(application=env.cluster, object_type="option", action="update")
    assert event.actor_name == "operator"
    assert event.changes == {"value": ["standard", "debug"]}


def test_an_operator_adds_an_option_in_a_blank_row(env, client_as, committed):
    client = client_as("operator")
    data = open_editor(client, env.cluster)
    i = blank_row_index(data)
    data.update({f"form-{i}-section": "web", f"form-{i}-name": "maxSessions", f"form-{i}-value": "200"})
    with committed():
        response = client.post(editor_url(env.cluster), data)
    assert response.status_code == 302
    assert option_value(env.cluster, "web", "maxSessions") == "200"
    assert AuditEvent.objects.filter(application=env.cluster, action="create", object_repr="[web] maxSessions").exists()


def test_an_operator_sets_a_known_option_that_was_not_set(env, client_as, committed):
    client = client_as("operator")
    data = open_editor(client, env.cluster)
    i = row_index(data, "cluster", "serverUrl")
    data[f"form-{i}-value"] = "http://10.0.1.11:8700/cobrowse"
    with committed():
        assert client.post(editor_url(env.cluster), data).status_code == 302
    assert option_value(env.cluster, "cluster", "serverUrl") == "http://10.0.1.11:8700/cobrowse"


def test_a_known_option_left_empty_is_not_created(env, client_as, committed):
    client = client_as("operator")
    before = options_of(env.node)
    data = open_editor(client, env.node)
    with committed():
        assert client.post(editor_url(env.node), data).status_code == 302
    assert options_of(env.node) == before
    assert not AuditEvent.objects.filter(application=env.node).exists()


def test_an_operator_deletes_an_option(env, client_as, committed):
    client = client_as("operator")
    data = open_editor(client, env.cluster)
    data[f"form-{row_index(data, 'log', 'verbose')}-delete"] = "on"
    with committed():
        assert client.post(editor_url(env.cluster), data).status_code == 302
    assert option_value(env.cluster, "log", "verbose") is None
    event = AuditEvent.objects.get(application=env.cluster, action="delete", object_type="option")
    assert event.changes == {"value": ["standard", None]}


def test_apply_keeps_the_editor_open(env, client_as, committed):
    client = client_as("operator")
    data = open_editor(client, env.cluster)
    data[f"form-{row_index(data, 'log', 'verbose')}-value"] = "trace"
    data["_apply"] = ""
    with committed():
        response = client.post(editor_url(env.cluster), data)
    assert response["Location"] == editor_url(env.cluster)


def test_option_names_are_case_sensitive_verbose_and_Verbose_are_two_options(env, client_as, committed):  # noqa: N802
    client = client_as("operator")
    data = open_editor(client, env.cluster)
    i = blank_row_index(data)
    data.update({f"form-{i}-section": "log", f"form-{i}-name": "Verbose", f"form-{i}-value": "anything goes"})
    with committed():
        assert client.post(editor_url(env.cluster), data).status_code == 302
    assert option_value(env.cluster, "log", "verbose") == "standard"
    assert option_value(env.cluster, "log", "Verbose") == "anything goes"  # not in the catalogue: free text
    data = open_editor(client, env.cluster)
    assert data[f"form-{row_index(data, 'log', 'Verbose')}-value"] == "anything goes"
    assert data[f"form-{row_index(data, 'log', 'verbose')}-value"] == "standard"


def test_a_value_outside_the_select_is_refused_and_nothing_is_saved(env, client_as, committed):
    client = client_as("operator")
    before = options_of(env.cluster)
    data = open_editor(client, env.cluster)
    data[f"form-{row_index(data, 'log', 'verbose')}-value"] = "loud"
    i = blank_row_index(data)
    data.update({f"form-{i}-section": "web", f"form-{i}-name": "maxSessions", f"form-{i}-value": "200"})
    with committed():
        response = client.post(editor_url(env.cluster), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "loud is not a valid value for verbose: use one of all, debug, trace, interaction, standard or none" in page
    assert "Nothing was saved" in page
    assert options_of(env.cluster) == before


def test_an_invalid_cluster_url_is_shown_next_to_its_row_and_nothing_is_saved(env, client_as, committed):
    client = client_as("operator")
    before = options_of(env.cluster)
    data = open_editor(client, env.cluster)
    data[f"form-{row_index(data, 'cluster', 'url')}-value"] = "ftp://cb.example.com/"
    data[f"form-{row_index(data, 'log', 'verbose')}-value"] = "debug"
    with committed():
        response = client.post(editor_url(env.cluster), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was saved" in page
    assert "is not an absolute http:// or https:// URL" in page
    assert options_of(env.cluster) == before
    assert not AuditEvent.objects.filter(application=env.cluster).exists()


def test_emptying_the_mandatory_cluster_url_is_refused(env, client_as, committed):
    client = client_as("operator")
    data = open_editor(client, env.cluster)
    data[f"form-{row_index(data, 'cluster', 'url')}-value"] = ""
    with committed():
        response = client.post(editor_url(env.cluster), data)
    assert response.status_code == 200
    assert "url is mandatory on a Co-browse Cluster" in response.content.decode()
    assert option_value(env.cluster, "cluster", "url") == "https://cb.example.com/cobrowse"


def test_a_new_row_with_a_bad_name_is_refused(env, client_as, committed):
    client = client_as("operator")
    data = open_editor(client, env.cluster)
    i = blank_row_index(data)
    data.update({f"form-{i}-section": "web", f"form-{i}-name": "max=Sessions", f"form-{i}-value": "1"})
    with committed():
        response = client.post(editor_url(env.cluster), data)
    assert response.status_code == 200
    assert "the option name cannot contain [, ] or =" in response.content.decode()
    assert option_value(env.cluster, "web", "max=Sessions") is None


def test_a_new_row_with_a_value_but_no_name_is_refused(env, client_as, committed):
    client = client_as("operator")
    data = open_editor(client, env.cluster)
    i = blank_row_index(data)
    data.update({f"form-{i}-section": "web", f"form-{i}-value": "1"})
    with committed():
        response = client.post(editor_url(env.cluster), data)
    assert response.status_code == 200
    assert "the option name cannot be empty" in response.content.decode()
    assert not Option.objects.filter(application=env.cluster, section="web").exists()


def test_an_operator_sees_the_security_section_but_cannot_change_it(env, client_as, committed):
    client = client_as("operator")
    data = open_editor(client, env.node)
    i = row_index(data, "security", "provider")
    assert f"form-{i}-value" not in data  # disabled on the page
    data[f"form-{i}-value"] = "JKS"  # forged: a disabled field ignores what is posted
    data[f"form-{i}-delete"] = "on"
    j = blank_row_index(data)
    with committed():
        client.post(editor_url(env.node), data)
    assert option_value(env.node, "security", "provider") == "PEM"
    data = open_editor(client, env.node)
    data.update({f"form-{j}-section": "security", f"form-{j}-name": "trusted-ca", f"form-{j}-value": "/tmp/evil.pem"})
    with committed():
        response = client.post(editor_url(env.node), data)
    assert response.status_code == 200
    assert "only a Security officer may change the [security] section" in response.content.decode()
    assert option_value(env.node, "security", "trusted-ca") == "C:\\cb\\ca.pem"


def test_a_security_officer_sets_the_provider_and_a_write_only_password(env, client_as, committed):
    client = client_as("security")
    data = open_editor(client, env.node)
    data[f"form-{row_index(data, 'security', 'provider')}-value"] = "JKS"
    data[f"form-{row_index(data, 'security', 'trusted-ca')}-value"] = "C:\\cb\\trust.jks"
    data[f"form-{row_index(data, 'security', 'truststore-password')}-value"] = "s3cret-Pass"
    with committed():
        assert client.post(editor_url(env.node), data).status_code == 302
    stored = Option.objects.get(application=env.node, section="security", name="truststore-password")
    assert stored.is_secret and "s3cret-Pass" not in stored.value
    assert secret_box.decrypt(stored.value) == "s3cret-Pass"
    assert "s3cret-Pass" not in str(list(AuditEvent.objects.values_list("changes", flat=True)))

    response = client.get(editor_url(env.node))
    assert b"s3cret-Pass" not in response.content
    assert b"s3cret-Pass" not in client.get(reverse("applications:options", args=[env.node.pk])).content
    # Saving again with the password field left empty keeps the stored secret.
    data = post_form_data(response, containing="TOTAL_FORMS")
    with committed():
        assert client.post(editor_url(env.node), data).status_code == 302
    assert option_value(env.node, "security", "truststore-password") == "s3cret-Pass"


def test_the_options_tab_shows_description_default_and_when_changes_take_effect(env, client_as):
    page = client_as("viewer").get(reverse("applications:options", args=[env.cluster.pk])).content.decode()
    assert "Level of detail written to the log." in page
    assert "Default: standard" in page
    assert "immediately" in page


def test_a_known_option_not_set_offers_not_set_first_in_its_select(env, client_as):
    page = client_as("operator").get(editor_url(env.node)).content.decode()
    assert '<option value="" selected>(not set)</option>' in page
    assert "(invalid)" not in page


def test_a_stored_value_outside_the_catalogue_is_shown_as_invalid(env, client_as):
    Option.objects.filter(application=env.cluster, section="log", name="verbose").update(value="LOUD")
    page = client_as("operator").get(editor_url(env.cluster)).content.decode()
    assert '<option value="LOUD" selected>LOUD (invalid)</option>' in page


def test_a_mandatory_option_is_marked_and_cannot_be_ticked_for_removal(env, client_as):
    client = client_as("operator")
    data = open_editor(client, env.cluster)
    page = client.get(editor_url(env.cluster)).content.decode()
    assert "mandatory" in page
    assert f'name="form-{row_index(data, "cluster", "url")}-delete"' not in page
    assert f'name="form-{row_index(data, "log", "verbose")}-delete"' in page


def test_the_options_tab_warns_when_a_mandatory_option_is_missing(env, client_as):
    Option.objects.filter(application=env.cluster, section="cluster", name="url").delete()
    page = client_as("viewer").get(reverse("applications:options", args=[env.cluster.pk])).content.decode()
    assert "Mandatory on a Co-browse Cluster and not set" in page
    assert "[cluster] url" in page


def test_the_options_tab_marks_options_pending_a_restart(env, client_as):
    from applications.models import PendingRestartChange

    PendingRestartChange.objects.create(application=env.node, section="security", name="provider",
                                        running_value="JKS", new_value="PEM")
    page = client_as("viewer").get(reverse("applications:options", args=[env.node.pk])).content.decode()
    assert page.count("pending restart") == 1


def test_the_same_new_option_in_two_rows_is_refused(env, client_as, committed):
    client = client_as("operator")
    data = open_editor(client, env.cluster)
    for value in ("1", "2"):
        i = blank_row_index(data)
        data.update({f"form-{i}-section": "web", f"form-{i}-name": "maxSessions", f"form-{i}-value": value})
    with committed():
        response = client.post(editor_url(env.cluster), data)
    assert response.status_code == 200
    assert "given twice" in response.content.decode()
    assert option_value(env.cluster, "web", "maxSessions") is None
