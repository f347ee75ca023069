"""The options editor never changes what the operator typed (issue 10, point 3).

A refused value comes back as typed with its error, a second Save never stores a value nobody typed,
every error of the page is shown at once under "Nothing was saved", in the importer's words, and a
new row for an option that exists is refused rather than merged into it. Each test posts what the
page offered, as a browser does (``post_form_data``), including the page sent back after an error.
"""

import pytest

from applications.models import AuditEvent, Option
from applications.options import option_value
from tests.foundation.forms_html import post_form_data, row_index
from tests.options_hardening.conftest import ROLES, add_row, editor_url, open_editor


def stored(app) -> dict:
    return {(o.section, o.name): o.value for o in Option.objects.filter(application=app)}


def save(client, app, data, committed, query=""):
    with committed():
        return client.post(editor_url(app, query), data)


def test_debug_typed_for_log_verbose_stays_debug_and_a_second_save_stores_nothing(env, client_as, committed):
    client = client_as("operator")
    before, events = stored(env.node), AuditEvent.objects.count()
    data = open_editor(client, env.node)  # the Node has no [log] verbose yet: a select offers it
    i = add_row(data, "log", "verbose", "Debug")
    response = save(client, env.node, data, committed)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was saved" in page
    assert ("[log] verbose: Debug is not a valid value for verbose: use one of all, debug, trace, interaction, "
            "standard or none. Did you mean debug?") in page
    again = post_form_data(response, containing="TOTAL_FORMS")
    assert again[f"form-{i}-value"] == "Debug"  # as typed, not a select's first choice
    assert (again[f"form-{i}-section"], again[f"form-{i}-name"]) == ("log", "verbose")

    second = save(client, env.node, again, committed)
    assert second.status_code == 200 and "Did you mean debug?" in second.content.decode()
    assert post_form_data(second, containing="TOTAL_FORMS")[f"form-{i}-value"] == "Debug"
    assert stored(env.node) == before
    assert AuditEvent.objects.count() == events


def test_a_new_row_for_an_option_that_exists_is_refused_not_merged(env, client_as, committed):
    client = client_as("operator")
    data = open_editor(client, env.cluster)  # [log] verbose = standard exists here
    i = add_row(data, "log", "verbose", "Debug")
    response = save(client, env.cluster, data, committed)
    page = response.content.decode()
    assert "[log] verbose already exists: change its value in its own row" in page
    again = post_form_data(response, containing="TOTAL_FORMS")
    assert again[f"form-{i}-value"] == "Debug"
    assert again[f"form-{row_index(again, 'log', 'verbose')}-value"] == "standard"  # its own row, untouched
    save(client, env.cluster, again, committed)
    assert option_value(env.cluster, "log", "verbose") == "standard"

    # A valid value in a second row is refused just the same: never silently merged.
    data = open_editor(client, env.cluster)
    add_row(data, "log", "verbose", "debug")
    assert "already exists" in save(client, env.cluster, data, committed).content.decode()
    assert option_value(env.cluster, "log", "verbose") == "standard"


def test_a_value_posted_into_a_select_comes_back_selected_and_marked_invalid(env, client_as, committed):
    client = client_as("operator")
    data = open_editor(client, env.cluster)
    i = row_index(data, "log", "verbose")
    data[f"form-{i}-value"] = "Debug"  # what a script (or an old page) may post
    response = save(client, env.cluster, data, committed)
    page = response.content.decode()
    assert '<option value="Debug" selected>Debug (invalid)</option>' in page
    again = post_form_data(response, containing="TOTAL_FORMS")
    assert again[f"form-{i}-value"] == "Debug"  # not "all", the select's first choice
    save(client, env.cluster, again, committed)
    assert option_value(env.cluster, "log", "verbose") == "standard"


def test_every_error_of_the_page_is_shown_at_once_and_nothing_is_saved(env, client_as, committed):
    client = client_as("operator")
    before, events = stored(env.cluster), AuditEvent.objects.count()
    data = open_editor(client, env.cluster)
    data[f"form-{row_index(data, 'cluster', 'url')}-value"] = "ftp://cb.example.com/"  # refused by its validator
    data[f"form-{row_index(data, 'log', 'verbose')}-value"] = "loud"  # not in the select
    add_row(data, "web", "max=Sessions", "1")  # a bad name
    add_row(data, "web", "greeting", "hello ")  # spaces at the end
    add_row(data, "log", "verbose", "all")  # exists already
    response = save(client, env.cluster, data, committed)
    page = response.content.decode()
    assert "Nothing was saved" in page and "Correct the 5 problems marked below" in page
    for message in ("[cluster] url: &quot;ftp://cb.example.com/&quot; is not an absolute http:// or https:// URL",
                    "[log] verbose: loud is not a valid value for verbose",
                    "[web] max=Sessions: the option name cannot contain [, ] or =",
                    "[web] greeting: the value cannot start or end with spaces",
                    "[log] verbose already exists"):
        assert message in page, message
    assert page.count('class="table-danger"') == 5
    assert stored(env.cluster) == before and AuditEvent.objects.count() == events

    again = post_form_data(response, containing="TOTAL_FORMS")  # everything typed is still there
    assert "hello " in again.values() and "max=Sessions" in again.values() and "ftp://cb.example.com/" in again.values()


def test_a_value_typed_with_spaces_is_refused_not_trimmed(env, client_as, committed):
    client = client_as("operator")
    data = open_editor(client, env.chat)
    i = add_row(data, "web", "greeting", "  hello")
    response = save(client, env.chat, data, committed)
    assert "cannot start or end with spaces" in response.content.decode()
    assert post_form_data(response, containing="TOTAL_FORMS")[f"form-{i}-value"] == "  hello"
    assert option_value(env.chat, "web", "greeting") is None
    data[f"form-{i}-value"] = "hello"
    assert save(client, env.chat, data, committed).status_code == 302
    assert option_value(env.chat, "web", "greeting") == "hello"


@pytest.mark.parametrize("role", ROLES)
def test_the_editor_is_for_operators_and_above(role, env, client_as, committed):
    client = client_as(role)
    response = client.get(editor_url(env.chat))
    if role == "viewer":
        assert response.status_code == 403
        with committed():
            posted = client.post(editor_url(env.chat), {"revision": "0", "form-TOTAL_FORMS": "1",
                                                        "form-INITIAL_FORMS": "0", "form-0-section": "web",
                                                        "form-0-name": "x", "form-0-value": "1"})
        assert posted.status_code == 403
        assert option_value(env.chat, "web", "x") is None
        return
    data = open_editor(client, env.chat)
    i = add_row(data, "log", "verbose", "Debug")
    response = save(client, env.chat, data, committed)
    assert post_form_data(response, containing="TOTAL_FORMS")[f"form-{i}-value"] == "Debug"
    data[f"form-{i}-value"] = "debug"
    assert save(client, env.chat, data, committed).status_code == 302
    assert option_value(env.chat, "log", "verbose") == "debug"


def test_the_importer_and_the_editor_give_the_same_message(env, client_as, committed):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.options_hardening.conftest import import_url

    client = client_as("operator")
    preview = client.post(import_url(env.node), {"file": SimpleUploadedFile("o.cfg", b"[log]\nverbose = Debug\n")})
    message = preview.context["preview"][0].message
    assert message.startswith("line 2: ")
    data = open_editor(client, env.node)
    add_row(data, "log", "verbose", "Debug")
    assert message.removeprefix("line 2: ") in save(client, env.node, data, committed).content.decode()
