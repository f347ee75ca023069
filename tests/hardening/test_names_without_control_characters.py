"""Names of hosts, applications, trusted stores and users refuse control and invisible characters (17.1).

Attacked as an outsider would, through HTTP with the role each form needs (and the roles below it,
which are refused before any validation), and through the command line. A refused name saves
nothing and the message names the character in plain words.
"""

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.urls import reverse

from applications.models import Application, Host
from security.models import TrustedStore
from tests.foundation.forms_html import post_form_data

# Line breaks of every kind, other controls, and invisible formatting characters.
BAD = {
    "line feed": "\n", "carriage return": "\r", "tab": "\t", "escape": "\x1b", "delete": "\x7f", "NEL": "\x85",
    "vertical tab": "\x0b", "form feed": "\x0c", "line separator": "\u2028", "paragraph separator": "\u2029",
    "zero-width space": "\u200b", "right-to-left override": "\u202e", "byte order mark": "\ufeff",
}
MESSAGE = "cannot contain control or invisible characters"


def posted(client, url, field, **changes):
    data = post_form_data(client.get(url), containing=field)
    data.update(changes)
    return client.post(url, data)


def error_text(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize("char", BAD.values(), ids=BAD.keys())
def test_a_host_name_or_address_with_a_control_character_is_refused(env, client_as, committed, char):
    client = client_as("operator")
    url = reverse("applications:host_new")
    with committed():
        response = posted(client, url, "address", name=f"cb{char}host", address="10.9.9.9", os_type="linux")
    assert response.status_code == 200 and MESSAGE in error_text(response)
    with committed():
        response = posted(client, url, "address", name="cb-host-9", address=f"10.9.9.9{char}x", os_type="linux")
    assert response.status_code == 200
    assert not Host.objects.filter(name__in=[f"cb{char}host", "cb-host-9"]).exists()


@pytest.mark.parametrize("address", ["10.0.0.1; reboot", "$(id)", "host name", "a'b", 'a"b', "a&b", "a|b", "a`b`"])
def test_a_host_address_is_a_host_name_or_an_ip_address(env, client_as, committed, address):
    with committed():
        response = posted(client_as("operator"), reverse("applications:host_new"), "address", name="cb-host-9",
                          address=address, os_type="linux")
    assert "Give a host name or an IP address" in error_text(response)
    assert not Host.objects.filter(name="cb-host-9").exists()


@pytest.mark.parametrize("char", BAD.values(), ids=BAD.keys())
def test_an_application_name_with_a_control_character_is_refused_on_create_edit_and_clone(env, client_as, committed,
                                                                                        char):
    client = client_as("operator")
    name = f"CB_Node{char}touch /tmp/pwned"
    before = set(Application.objects.values_list("name", flat=True))
    for url in (reverse("applications:new"), reverse("applications:edit", args=[env.chat.pk])):
        with committed():
            response = posted(client, url, "version", name=name, app_type="chat_server", version="8.5.104.02")
        assert response.status_code == 200 and MESSAGE in error_text(response), url
    with committed():
        response = posted(client, reverse("applications:clone", args=[env.chat.pk]), "name", name=name)
    assert response.status_code == 200 and MESSAGE in error_text(response)
    assert set(Application.objects.values_list("name", flat=True)) == before


@pytest.mark.parametrize("char", BAD.values(), ids=BAD.keys())
def test_a_store_name_with_a_control_character_is_refused(db, client_as, committed, char):
    with committed():
        response = posted(client_as("security"), reverse("security:store_new"), "path", name=f"CA{char}store",
                          provider="PEM", path="/opt/ca.pem", windows_path="")
    assert response.status_code == 200 and MESSAGE in error_text(response)
    assert not TrustedStore.objects.exists()


@pytest.mark.parametrize("char", BAD.values(), ids=BAD.keys())
def test_a_new_user_name_with_a_control_character_is_refused(db, client_as, char):
    response = posted(client_as("admin"), reverse("applications:user_new"), "username", username=f"ad{char}min",
                      role="Viewer", password="a-long-password-123")
    # User names are stricter than other names (ASCII letters, digits and @.+-_ only: applications.usernames).
    assert response.status_code == 200 and "A user name may contain only" in error_text(response)
    assert not User.objects.filter(username=f"ad{char}min").exists()


def test_the_message_names_the_character_in_plain_words(env, client_as, committed):
    with committed():
        response = posted(client_as("operator"), reverse("applications:host_new"), "address", name="cb\u2028host",
                          address="10.9.9.9", os_type="linux")
    assert "found U+2028 LINE SEPARATOR." in error_text(response)


@pytest.mark.parametrize(("role", "url_name", "kwargs"), [
    ("viewer", "applications:host_new", {}),
    ("viewer", "applications:new", {}),
    ("viewer", "applications:clone", {"pk": "chat"}),
    ("operator", "security:store_new", {}),
    ("security", "applications:user_new", {}),
])
def test_roles_below_the_form_are_refused_before_any_validation(env, client_as, role, url_name, kwargs):
    kwargs = {k: getattr(env, v).pk for k, v in kwargs.items()}
    response = client_as(role).post(reverse(url_name, kwargs=kwargs), {"name": "x\ny", "username": "x\ny"})
    assert response.status_code == 403


def test_create_store_on_the_command_line_refuses_such_a_name_in_one_line(db):
    with pytest.raises(CommandError) as refused:
        call_command("create_store", "CA\u2028store", "--provider", "PEM", "--path", "/opt/ca.pem",
                     stdout=StringIO(), stderr=StringIO())
    assert str(refused.value).startswith("name: A name cannot contain control or invisible characters")
    assert "\n" not in str(refused.value)
    assert not TrustedStore.objects.exists()


FORMS = [
    ("applications:host_new", {}, "address", {"name": "cb\nhost", "address": "10.9.9.9", "os_type": "linux"},
     ("operator", "security", "admin")),
    ("applications:new", {}, "version", {"name": "CB\nNode", "app_type": "chat_server", "version": "8.5.104.02"},
     ("operator", "security", "admin")),
    ("applications:clone", {"pk": "chat"}, "name", {"name": "CB\nNode"}, ("operator", "security", "admin")),
    ("security:store_new", {}, "path", {"name": "CA\nstore", "provider": "PEM", "path": "/opt/ca.pem"},
     ("security", "admin")),
    ("applications:user_new", {}, "username", {"username": "ad\nmin", "role": "Viewer",
                                               "password": "a-long-password-123"}, ("admin",)),
]


@pytest.mark.parametrize(("url_name", "kwargs", "field", "changes", "roles"), FORMS,
                         ids=[f[0].split(":")[1] for f in FORMS])
def test_every_role_that_may_use_the_form_gets_the_same_refusal(env, client_as, committed, url_name, kwargs, field,
                                                                changes, roles):
    url = reverse(url_name, kwargs={k: getattr(env, v).pk for k, v in kwargs.items()})
    counts = (Host.objects.count(), Application.objects.count(), TrustedStore.objects.count(), User.objects.count())
    for role in roles:
        with committed():
            response = posted(client_as(role), url, field, **changes)
        expected = "A user name may contain only" if field == "username" else MESSAGE  # see applications.usernames
        assert response.status_code == 200 and expected in error_text(response), role
    assert (Host.objects.count(), Application.objects.count(), TrustedStore.objects.count(),
            User.objects.count()) == counts
