"""No secret oracle (issue 17, point 2): a role that may not set a secret learns nothing by trying.

Attacked through HTTP as an outsider with an Operator's account would: the right and a wrong guess
of the stored truststore password, in a new editor row, in a ``.cfg`` preview and a forged
confirmation, get the same answer; each attempt is audited without the value and, after a few,
refused without a look. Security officers and administrators may set the secret.
"""

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile

from applications.models import AuditEvent, Option, OptionImportDraft
from applications.options import REFUSED, option_value
from applications.roles import OPERATOR
from tests.options_hardening.conftest import (
    add_row,
    editor_url,
    import_url,
    open_editor,
    without_tokens,
)

WRONG = "Wrong-Guess-2"
# Where an Operator could type the password: the protected section in any case, and any secret name.
GUESS_ROWS = [("security", "truststore-password"), ("Security", "truststore-password"),
              ("SECURITY", "truststore-password")]


def stored_token(app) -> str:
    return Option.objects.get(application=app, section="security", name="truststore-password").value


def try_in_editor(client, app, section, name, guess, committed):
    data = open_editor(client, app)
    add_row(data, section, name, guess)
    with committed():
        return client.post(editor_url(app), data)


def try_in_preview(client, app, text: str):
    return client.post(import_url(app), {"file": SimpleUploadedFile("guess.cfg", text.encode())})


@pytest.mark.parametrize(("section", "name"), GUESS_ROWS)
def test_an_operator_gets_the_same_page_for_the_right_and_a_wrong_guess(section, name, env, stored_password,
                                                                        client_as, committed):
    client = client_as("operator")
    token = stored_token(env.node)
    right = try_in_editor(client, env.node, section, name, stored_password, committed)
    wrong = try_in_editor(client, env.node, section, name, WRONG, committed)
    assert right.status_code == wrong.status_code == 200
    assert without_tokens(right.content.decode()) == without_tokens(wrong.content.decode())
    page = right.content.decode()
    assert "Nothing was saved" in page and f"only a Security officer may change the [{section}] section" in page
    assert "No changes to save" not in page
    assert stored_password not in page and WRONG not in wrong.content.decode()  # never echoed back
    assert stored_token(env.node) == token
    assert not Option.objects.filter(application=env.node, section=section).exclude(section="security").exists()


def test_a_secret_in_any_section_is_the_security_officers(env, client_as, committed):
    from applications.options import option_set

    option_set(application=env.chat, section="db", name="db-password", value="Db-Pass-7", actor=env.users["security"])
    client = client_as("operator")
    right = try_in_editor(client, env.chat, "db", "db-password", "Db-Pass-7", committed)
    wrong = try_in_editor(client, env.chat, "db", "db-password", WRONG, committed)
    assert without_tokens(right.content.decode()) == without_tokens(wrong.content.decode())
    assert "only a Security officer may set secrets" in right.content.decode()
    assert option_value(env.chat, "db", "db-password") == "Db-Pass-7"
    # The existing row is shown read-only to the Operator, write-only to the officer.
    page = client.get(editor_url(env.chat)).content.decode()
    assert "Security officers set secrets." in page and "Db-Pass-7" not in page


def test_the_import_preview_says_the_same_whatever_the_guess(env, stored_password, client_as):
    client = client_as("operator")
    rows = {}
    for guess in (stored_password, WRONG):
        response = try_in_preview(client, env.node, f"[security]\ntruststore-password = {guess}\n")
        assert response.status_code == 200
        (row,) = response.context["preview"]
        rows[guess] = (row.status, row.message, row.old, row.new)
        page = response.content.decode()
        assert guess not in page and stored_password not in page
    assert rows[stored_password] == rows[WRONG] == (
        "invalid", "line 2: only a Security officer may change the [security] section", None, "")


def test_a_forged_confirmation_changes_nothing_and_says_the_same(env, stored_password, client_as, committed):
    client = client_as("operator")
    answers = []
    for guess in (stored_password, WRONG):
        try_in_preview(client, env.node, f"[security]\ntruststore-password = {guess}\n")
        token = OptionImportDraft.objects.get(application=env.node).token  # the page offers no confirm button
        with committed():
            done = client.post(import_url(env.node), {"_confirm": "", "digest": token}, follow=True)
        answers.append([str(m) for m in done.context["messages"]])
    assert answers[0] == answers[1]
    assert "only a Security officer may change the [security] section" in answers[0][0]
    assert option_value(env.node, "security", "truststore-password") == stored_password


def test_every_refused_attempt_is_audited_without_the_value(env, stored_password, client_as, committed):
    client = client_as("operator")
    try_in_editor(client, env.node, "security", "truststore-password", stored_password, committed)
    try_in_preview(client, env.node, f"[Security]\ntruststore-password = {WRONG}\n")
    events = list(AuditEvent.objects.filter(action=REFUSED).order_by("id"))
    assert [(e.actor_name, e.application_id, e.object_repr) for e in events] == [
        ("operator", env.node.pk, "[security] truststore-password"),
        ("operator", env.node.pk, "[Security] truststore-password"),
    ]
    assert "import preview" in events[1].message
    for event in events:
        assert stored_password not in str(event.changes) + event.message + event.object_repr
        assert WRONG not in str(event.changes) + event.message + event.object_repr
    # Shown on the audit page like any event, and still without the value.
    page = client_as("viewer").get("/audit/?action=refused").content.decode()
    assert "[security] truststore-password" in page and stored_password not in page


def test_after_a_few_refused_attempts_the_next_are_refused_without_a_look(env, stored_password, client_as,
                                                                          committed, settings, time_machine):
    settings.SECRET_REFUSALS_LIMIT = 3
    settings.SECRET_REFUSALS_WINDOW_SECONDS = 600
    time_machine.move_to("2026-12-01 09:00:00+00:00", tick=False)
    client = client_as("operator")
    for guess in ("a-1", "a-2", "a-3"):
        page = try_in_editor(client, env.node, "security", "truststore-password", guess, committed)
        assert "only a Security officer may change the [security] section" in page.content.decode()
    right = try_in_editor(client, env.node, "security", "truststore-password", stored_password, committed)
    wrong = try_in_editor(client, env.node, "security", "truststore-password", WRONG, committed)
    assert without_tokens(right.content.decode()) == without_tokens(wrong.content.decode())
    assert "too many refused attempts to set secrets" in right.content.decode()
    preview = try_in_preview(client, env.node, f"[security]\ntruststore-password = {stored_password}\n")
    assert "too many refused attempts" in preview.context["preview"][0].message
    assert AuditEvent.objects.filter(action=REFUSED, actor=env.users["operator"]).count() == 6
    # Another Operator is not held back by these attempts; this one is, until the window has passed.
    other = User.objects.create_user("operator-2")
    other.groups.add(Group.objects.get(name=OPERATOR))
    client.force_login(other)
    page = try_in_editor(client, env.node, "security", "truststore-password", "b-1", committed).content.decode()
    assert "only a Security officer may change" in page and "too many" not in page
    time_machine.move_to("2026-12-01 09:11:00+00:00", tick=False)
    page = try_in_editor(client_as("operator"), env.node, "security", "truststore-password", "a-7", committed)
    assert "only a Security officer may change" in page.content.decode()
    assert option_value(env.node, "security", "truststore-password") == stored_password


@pytest.mark.parametrize("role", ["security", "admin"])
def test_a_security_officer_and_an_administrator_set_the_secret(role, env, stored_password, client_as, committed):
    client = client_as(role)
    data = open_editor(client, env.node)
    page = client.get(editor_url(env.node)).content.decode()
    assert stored_password not in page and "leave empty to keep" in page
    from tests.foundation.forms_html import row_index

    data[f"form-{row_index(data, 'security', 'truststore-password')}-value"] = "New-Pass-3"
    with committed():
        assert client.post(editor_url(env.node), data).status_code == 302
    assert option_value(env.node, "security", "truststore-password") == "New-Pass-3"
    assert not AuditEvent.objects.filter(action=REFUSED).exists()


def test_a_viewer_cannot_even_reach_the_editor_or_the_import(env, stored_password, client_as):
    client = client_as("viewer")
    assert client.get(editor_url(env.node)).status_code == 403
    assert try_in_preview(client, env.node, f"[security]\ntruststore-password = {stored_password}\n").status_code \
        == 403
    assert not AuditEvent.objects.filter(action=REFUSED).exists()
