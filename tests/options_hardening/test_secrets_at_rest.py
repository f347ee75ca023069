"""No secret in clear (issue 17, point 3).

A value whose option is a secret by its name (``*password*``, ``*-pwd``, ``*secret*``, any case), in
any section of any application type, is encrypted at rest from every write path (editor, import,
clone, services, demo data), shown and exported only masked, and stays so when the application's
type changes; a previewed import is kept encrypted, server-side, for a short while; cloning copies
the security section only for a Security officer; ``[Security]`` is protected as ``[security]``.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse

from applications.catalogue import is_protected_section, is_secret
from applications.models import (
    Application,
    ApplicationVersion,
    AppType,
    AuditEvent,
    Option,
    OptionImportDraft,
    RunningOption,
)
from applications.options import new_option, option_set, option_value
from cobrowse_admin import secret_box
from tests.foundation.forms_html import post_form_data, row_index
from tests.options_hardening.conftest import ROLES, add_row, editor_url, import_url, open_editor

CLEAR = "Canary-Secret-9f3c"
SECRET_NAMES = ["truststore-password", "db-password", "PASSWORD", "PassWord2", "admin-pwd", "LDAP-PWD", "secret",
                "client_secret", "SecretKey"]
NOT_SECRET_NAMES = ["pwd", "passwd-hint", "pwdfile", "keyfile", "token-lifetime", "pass-word"]


def assert_encrypted(app, section, name, clear=CLEAR):
    option = Option.objects.get(application=app, section=section, name=name)
    assert option.is_secret, f"[{section}] {name} is not stored as a secret"
    assert clear not in option.value
    assert secret_box.decrypt(option.value) == clear


def assert_nowhere_in_clear(client, app, clear=CLEAR):
    for url in (reverse("applications:options", args=[app.pk]), editor_url(app),
                reverse("applications:options_export", args=[app.pk]), reverse("applications:history", args=[app.pk]),
                reverse("applications:history_events", args=[app.pk]),
                reverse("applications:compare", args=[app.pk]) + "?a=1&b=current&all=1",
                reverse("applications:detail", args=[app.pk]), reverse("applications:audit")):
        response = client.get(url)
        assert response.status_code == 200, url
        assert clear not in response.content.decode(), url
    for event in AuditEvent.objects.all():
        assert clear not in f"{event.changes} {event.message} {event.object_repr}"
    for version in ApplicationVersion.objects.all():  # a secret is kept only as its token
        assert clear not in f"{version.snapshot} {version.summary} {version.note}"


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_names_that_are_secrets(name):
    assert is_secret("any", name)


@pytest.mark.parametrize("name", NOT_SECRET_NAMES)
def test_names_that_are_not(name):
    assert not is_secret("any", name)


@pytest.mark.parametrize("app_type", list(AppType))
def test_a_secret_typed_in_the_editor_is_encrypted_on_every_application_type(app_type, env, client_as, committed):
    app = Application.objects.create(name=f"App_{app_type}", app_type=app_type, version="8.5.003.04")
    client = client_as("security")
    data = open_editor(client, app)
    add_row(data, "security", "truststore-password", CLEAR)
    add_row(data, "db", "Admin-PWD", CLEAR)
    add_row(data, "ldap", "bindSecret", CLEAR)
    with committed():
        assert client.post(editor_url(app), data).status_code == 302
    for section, name in (("security", "truststore-password"), ("db", "Admin-PWD"), ("ldap", "bindSecret")):
        assert_encrypted(app, section, name)
    assert_nowhere_in_clear(client, app)
    export = client.get(reverse("applications:options_export", args=[app.pk])).content.decode()
    assert "Admin-PWD = <secret not exported>" in export


def test_a_secret_imported_from_a_file_is_encrypted_and_the_preview_keeps_nothing_in_clear(env, client_as,
                                                                                       committed):
    client = client_as("security")
    text = f"[db]\nuser = cobrowse\nconnection-password = {CLEAR}\n".encode()
    response = client.post(import_url(env.message), {"file": SimpleUploadedFile("db.cfg", text)})
    assert response.status_code == 200 and CLEAR not in response.content.decode()
    # The file waits for the confirmation encrypted, in the database; nothing of it is in the session.
    draft = OptionImportDraft.objects.get(application=env.message)
    assert CLEAR not in draft.sealed_file and secret_box.unseal(draft.sealed_file) == text
    assert CLEAR not in str(dict(client.session.items()))
    from django.contrib.sessions.models import Session

    assert all(CLEAR not in s.session_data and CLEAR not in str(s.get_decoded()) for s in Session.objects.all())
    with committed():
        client.post(import_url(env.message), {"_confirm": "", "digest": response.context["digest"]})
    assert_encrypted(env.message, "db", "connection-password")
    assert not OptionImportDraft.objects.exists()  # gone once confirmed
    assert_nowhere_in_clear(client, env.message)


def test_a_preview_not_confirmed_in_time_is_dropped(env, client_as, committed, settings, time_machine):
    settings.CFG_IMPORT_PREVIEW_SECONDS = 300
    time_machine.move_to("2026-12-01 09:00:00+00:00", tick=False)
    client = client_as("security")
    response = client.post(import_url(env.message), {"file": SimpleUploadedFile(
        "db.cfg", f"[db]\nconnection-password = {CLEAR}\n".encode())})
    time_machine.move_to("2026-12-01 09:05:01+00:00", tick=False)
    with committed():
        done = client.post(import_url(env.message), {"_confirm": "", "digest": response.context["digest"]},
                           follow=True)
    assert "That preview has expired" in done.content.decode()
    assert not OptionImportDraft.objects.exists()
    assert option_value(env.message, "db", "connection-password") is None


def test_another_users_preview_cannot_be_confirmed(env, client_as, committed):
    response = client_as("security").post(import_url(env.message), {"file": SimpleUploadedFile(
        "x.cfg", b"[web]\nmaxSessions = 20\n")})
    token = response.context["digest"]
    with committed():
        done = client_as("admin").post(import_url(env.message), {"_confirm": "", "digest": token}, follow=True)
    assert "That preview has expired" in done.content.decode()
    assert option_value(env.message, "web", "maxSessions") is None


def test_changing_the_type_of_an_application_leaves_no_secret_in_clear(env, client_as, committed):
    officer = env.users["security"]
    option_set(application=env.message, section="security", name="truststore-password", value=CLEAR, actor=officer)
    option_set(application=env.message, section="db", name="db-pwd", value=CLEAR, actor=officer)
    client = client_as("operator")
    url = reverse("applications:edit", args=[env.message.pk])
    for app_type in (AppType.COBROWSE_NODE, AppType.OTHER, AppType.COBROWSE_SERVER):
        data = post_form_data(client.get(url), containing="app_type")  # the version of each step
        data["app_type"] = app_type
        with committed():
            assert client.post(url, data).status_code == 302
        assert Application.objects.get(pk=env.message.pk).app_type == app_type
        assert_encrypted(env.message, "security", "truststore-password")
        assert_encrypted(env.message, "db", "db-pwd")
    assert_nowhere_in_clear(client, env.message)


@pytest.mark.parametrize("name", ["db-password", "X-PWD", "mySecret"])
def test_the_database_refuses_a_secret_stored_in_clear(name, env):
    with pytest.raises(IntegrityError), transaction.atomic():
        Option.objects.create(application=env.chat, section="db", name=name, value=CLEAR)
    Option.objects.create(application=env.chat, section="db", name=name, value=secret_box.encrypt(CLEAR),
                          is_secret=True)


def test_the_bulk_writers_build_secrets_encrypted(env):
    option = new_option(application_id=env.chat.pk, section="db", name="Replica-Password", value=CLEAR)
    option.save()
    assert_encrypted(env.chat, "db", "Replica-Password")
    plain = new_option(application_id=env.chat.pk, section="db", name="user", value="cobrowse")
    assert not plain.is_secret and plain.value == "cobrowse"


def test_seed_demo_stores_no_secret_in_clear(db, django_capture_on_commit_callbacks):
    from django.core.management import call_command

    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", verbosity=0)
    assert Option.objects.exists()
    assert all(o.is_secret for o in Option.objects.all() if is_secret(o.section, o.name))


@pytest.mark.parametrize("role", ROLES[1:])
def test_a_clone_copies_the_security_section_and_secrets_only_for_a_security_officer(role, env, client_as,
                                                                                      committed):
    officer = env.users["security"]
    option_set(application=env.node, section="security", name="truststore-password", value=CLEAR, actor=officer)
    option_set(application=env.node, section="Security", name="note", value="kept apart", actor=officer)
    option_set(application=env.node, section="db", name="db-password", value=CLEAR, actor=officer)
    option_set(application=env.node, section="web", name="maxSessions", value="20", actor=officer)
    client = client_as(role)
    with committed():
        response = client.post(reverse("applications:clone", args=[env.node.pk]), {"name": "Node_Copy"}, follow=True)
    clone = Application.objects.get(name="Node_Copy")
    copied = {(o.section, o.name) for o in Option.objects.filter(application=clone)}
    guarded = {("security", "provider"), ("security", "trusted-ca"), ("security", "truststore-password"),
               ("Security", "note"), ("db", "db-password")}
    assert ("web", "maxSessions") in copied
    if role == "operator":
        assert not copied & guarded
        assert "Not copied: 5 option(s)" in response.content.decode()
        event = AuditEvent.objects.get(application=clone, action="create", object_type="application")
        assert "[security] truststore-password" in event.message and CLEAR not in event.message
    else:
        assert guarded <= copied
        assert_encrypted(clone, "security", "truststore-password")
        assert_encrypted(clone, "db", "db-password")
    assert_nowhere_in_clear(client, clone)


@pytest.mark.parametrize("section", ["security", "Security", "SECURITY", "ｓｅｃｕｒｉｔｙ", "ſecurity"])
def test_the_protected_section_is_matched_whatever_its_case(section, env, client_as, committed):
    assert is_protected_section(section)
    option_set(application=env.chat, section=section, name="provider", value="PEM", actor=env.users["security"])
    client = client_as("operator")
    data = open_editor(client, env.chat)
    i = row_index(data, section, "provider")
    assert f"form-{i}-value" not in data  # shown read-only
    add_row(data, section, "trusted-ca", "/tmp/evil.pem")
    with committed():
        response = client.post(editor_url(env.chat), data)
    assert f"only a Security officer may change the [{section}] section" in response.content.decode()
    preview = client.post(import_url(env.chat), {"file": SimpleUploadedFile(
        "x.cfg", f"[{section}]\nprovider = JKS\n".encode())})
    assert preview.context["preview"][0].status == "invalid"
    assert option_value(env.chat, section, "provider") == "PEM"
    assert option_value(env.chat, section, "trusted-ca") is None


def test_restart_tracking_keeps_secrets_as_digests(env, committed):
    from applications.restart import take_running_snapshot

    with committed():
        option_set(application=env.chat, section="db", name="db-password", value=CLEAR, actor=env.users["security"])
    take_running_snapshot(env.chat)
    running = RunningOption.objects.get(application=env.chat, name="db-password")
    assert running.value.startswith("hmac-sha256:") and CLEAR not in running.value
