"""No lost update: saving options someone else changed since the editor was opened says who and what."""

import pytest
from django.urls import reverse

from applications.models import Application
from applications.options import StaleEdit, option_delete, option_set, option_value
from tests.foundation.forms_html import blank_row_index, row_index
from tests.foundation.test_options_editor import editor_url, open_editor, options_of


def test_saving_after_someone_else_saved_shows_who_changed_what_and_overwrites_nothing(env, client_as, committed):
    client = client_as("operator")
    data = open_editor(client, env.cluster)
    revision = int(data["revision"])
    option_set(application=env.cluster, section="log", name="verbose", value="trace", actor=env.users["admin"])

    data[f"form-{row_index(data, 'log', 'verbose')}-value"] = "debug"
    with committed():
        response = client.post(editor_url(env.cluster), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "changed by someone else since you opened this page" in page
    assert "admin" in page and "[log] verbose" in page and "standard → trace" in page
    assert "Reload the current options" in page
    assert option_value(env.cluster, "log", "verbose") == "trace"
    assert Application.objects.get(pk=env.cluster.pk).options_revision == revision + 1


def test_the_conflict_is_reported_when_someone_else_added_an_option(env, client_as, committed):
    client = client_as("operator")
    data = open_editor(client, env.cluster)
    # Sorted before [log]: the rows of the editor are no longer where they were when it was opened.
    option_set(application=env.cluster, section="http", name="port", value="8700", actor=env.users["admin"])
    before = options_of(env.cluster)

    data[f"form-{row_index(data, 'log', 'verbose')}-value"] = "debug"
    i = blank_row_index(data)
    data.update({f"form-{i}-section": "web", f"form-{i}-name": "maxSessions", f"form-{i}-value": "5"})
    with committed():
        response = client.post(editor_url(env.cluster), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "changed by someone else since you opened this page" in page
    assert "[http] port" in page
    assert options_of(env.cluster) == before


def test_the_conflict_is_reported_when_someone_else_removed_an_option(env, client_as, committed):
    client = client_as("operator")
    data = open_editor(client, env.cluster)
    option_delete(application=env.cluster, section="log", name="verbose", actor=env.users["admin"])

    data[f"form-{row_index(data, 'log', 'verbose')}-value"] = "debug"
    with committed():
        response = client.post(editor_url(env.cluster), data)
    assert response.status_code == 200
    assert "changed by someone else" in response.content.decode()
    assert option_value(env.cluster, "log", "verbose") is None


def test_after_reloading_the_editor_the_save_goes_through(env, client_as, committed):
    client = client_as("operator")
    open_editor(client, env.cluster)
    option_set(application=env.cluster, section="log", name="verbose", value="trace", actor=env.users["admin"])
    data = open_editor(client, env.cluster)
    data[f"form-{row_index(data, 'log', 'verbose')}-value"] = "debug"
    with committed():
        assert client.post(editor_url(env.cluster), data).status_code == 302
    assert option_value(env.cluster, "log", "verbose") == "debug"


def test_the_service_refuses_an_edit_made_from_an_old_revision(env):
    revision = env.cluster.options_revision
    option_set(application=env.cluster, section="log", name="verbose", value="trace", actor=env.users["admin"])
    with pytest.raises(StaleEdit) as stale:
        option_set(application=env.cluster, section="log", name="verbose", value="debug",
                   actor=env.users["operator"], expected_revision=revision)
    assert [e.actor_name for e in stale.value.events] == ["admin"]
    assert option_value(env.cluster, "log", "verbose") == "trace"


def test_an_import_previewed_before_someone_else_saved_is_not_applied(env, client_as, committed):
    client = client_as("operator")
    url = reverse("applications:options_import", args=[env.cluster.pk])
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("c.cfg", b"[log]\nverbose = debug\n")
    preview = client.post(url, {"file": upload})
    digest = preview.context["digest"]
    option_set(application=env.cluster, section="log", name="verbose", value="trace", actor=env.users["admin"])
    with committed():
        response = client.post(url, {"_confirm": "", "digest": digest}, follow=True)
    page = " ".join(response.content.decode().split())
    assert 'id="stale-edit"' in page and "the options of Cobrowse_Cluster" in page
    assert "admin at " in page and "[log] verbose (value: standard → trace)" in page
    assert "Nothing was imported: upload the file again" in page
    assert option_value(env.cluster, "log", "verbose") == "trace"


def test_the_conflict_wins_over_row_errors_when_the_rows_moved_under_a_select(env, client_as, committed):
    client = client_as("security")
    data = open_editor(client, env.cluster)
    # The [log] verbose row disappears: the security rows move up into its place.
    option_delete(application=env.cluster, section="log", name="verbose", actor=env.users["admin"])

    data[f"form-{row_index(data, 'log', 'verbose')}-value"] = "debug"
    with committed():
        response = client.post(editor_url(env.cluster), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "changed by someone else since you opened this page" in page
    assert "is not a valid value" not in page and 'id="nothing-saved"' not in page
    assert option_value(env.cluster, "log", "verbose") is None
