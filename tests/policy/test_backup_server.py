"""The backup server of an application (Genesys Administrator's "Backup Server"): edited on the
application form and through the API, validated (not itself, same type), protected against stale edits,
audited and versioned."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from applications.history import latest_version
from applications.models import Application, AppType, AuditEvent
from tests.concurrency.conftest import banner, opened

pytestmark = pytest.mark.django_db


def only(value) -> list[str]:
    return [str(value)]


@pytest.fixture
def pair(env):
    backup = Application.objects.create(name="MessageServer_B", app_type=AppType.MESSAGE_SERVER, version="8.5.100.03",
                                        host=env.spare)
    return env.message, backup


def edit_url(app) -> str:
    return reverse("applications:edit", args=[app.pk])


def test_the_form_sets_the_backup_server_audited_and_versioned(env, pair, sessions):
    primary, backup = pair
    client, _ = sessions("operator")
    page = opened(client, edit_url(primary))
    form = client.get(edit_url(primary)).content.decode()
    offered = form[form.index('name="backup_server"'):form.index("</select>", form.index('name="backup_server"'))]
    assert f'value="{backup.pk}"' in offered and f'value="{env.node_b.pk}"' not in offered  # its type only
    assert f'value="{primary.pk}"' not in offered

    response = client.post(edit_url(primary), {**page, "backup_server": only(backup.pk)})

    assert response.status_code == 302
    primary.refresh_from_db()
    assert primary.backup_server_id == backup.pk
    event = AuditEvent.objects.filter(object_type="application", object_id=str(primary.pk)).latest("id")
    assert event.changes["backup_server"] == [None, "MessageServer_B"], event.changes
    version = latest_version(primary)
    assert (version.snapshot["general"]["backup_server"], version.snapshot["names"]["backup_server"]) == (
        backup.pk, "MessageServer_B")
    general = client.get(reverse("applications:detail", args=[primary.pk])).content.decode()
    assert f'href="/applications/{backup.pk}/">MessageServer_B</a>' in general
    backed = client.get(reverse("applications:detail", args=[backup.pk])).content.decode()
    assert "Backup of" in backed and "MessageServer</a>" in backed


def test_an_application_is_not_its_own_backup(env, sessions):
    client, _ = sessions("operator")
    page = opened(client, edit_url(env.message))

    response = client.post(edit_url(env.message), {**page, "backup_server": only(env.message.pk)})

    assert response.status_code == 200
    assert "cannot be its own backup server" in response.content.decode()
    env.message.refresh_from_db()
    assert env.message.backup_server_id is None


def test_the_database_refuses_an_application_as_its_own_backup(env):
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.filter(pk=env.message.pk).update(backup_server=env.message)


def test_the_backup_server_has_the_type_of_its_primary(env, sessions):
    client, _ = sessions("operator")
    page = opened(client, edit_url(env.message))

    response = client.post(edit_url(env.message), {**page, "backup_server": only(env.node_b.pk)})

    assert response.status_code == 200
    text = response.content.decode()
    assert "CB_Node_B is a Co-browse Node: the backup server of a Message Server is another Message Server." in text
    # The rest of what was typed comes back as typed.
    assert 'value="MessageServer"' in text
    env.message.refresh_from_db()
    assert env.message.backup_server_id is None


def test_a_backup_server_cannot_change_type_while_it_backs_up_a_primary(env, pair, sessions):
    primary, backup = pair
    Application.objects.filter(pk=primary.pk).update(backup_server=backup)
    client, _ = sessions("operator")
    page = opened(client, edit_url(backup))

    response = client.post(edit_url(backup), {**page, "app_type": only(AppType.CHAT_SERVER)})

    assert response.status_code == 200
    assert "This application is the backup server of MessageServer" in response.content.decode()
    backup.refresh_from_db()
    assert backup.app_type == AppType.MESSAGE_SERVER


def test_a_backup_chosen_in_a_stale_tab_is_refused(env, pair, sessions):
    primary, backup = pair
    other = Application.objects.create(name="MessageServer_C", app_type=AppType.MESSAGE_SERVER, version="8.5.100.03")
    first, second = sessions("operator")
    page_one, page_two = opened(first, edit_url(primary)), opened(second, edit_url(primary))

    assert first.post(edit_url(primary), {**page_one, "backup_server": only(backup.pk)}).status_code == 302
    response = second.post(edit_url(primary), {**page_two, "backup_server": only(other.pk)})

    assert "Nothing was saved." in banner(response)
    primary.refresh_from_db()
    assert primary.backup_server_id == backup.pk
    # A tab that changed something else does not clear the backup chosen since either.
    response = second.post(edit_url(primary), {**page_two, "working_directory": only("/opt/ms")})
    assert "Nothing was saved." in banner(response)
    primary.refresh_from_db()
    assert (primary.backup_server_id, primary.working_directory) == (backup.pk, "")


def test_the_api_shows_and_writes_the_backup_server(env, pair, client_as):
    primary, backup = pair
    client = client_as("operator")
    url = reverse("api:application-detail", args=[primary.pk])
    shown = client.get(url)
    etag = shown["ETag"]
    assert shown.json()["backup_server"] is None

    refused = client.patch(url, {"backup_server": primary.pk}, content_type="application/json", HTTP_IF_MATCH=etag)
    assert refused.status_code == 400
    assert "cannot be its own backup server" in str(refused.json())

    saved = client.patch(url, {"backup_server": backup.pk}, content_type="application/json", HTTP_IF_MATCH=etag)
    assert saved.status_code == 200, saved.json()
    assert (saved.json()["backup_server"], saved.json()["backup_server_name"]) == (backup.pk, "MessageServer_B")

    stale = client.patch(url, {"backup_server": None}, content_type="application/json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    primary.refresh_from_db()
    assert primary.backup_server_id == backup.pk


def test_a_revert_to_a_version_before_the_backup_server_clears_it(env, pair, sessions):
    from applications import history, revert

    primary, backup = pair
    history.baseline(actor="tests")  # version 1: no backup server (left out of the snapshot)
    client, _ = sessions("operator")
    page = opened(client, edit_url(primary))
    assert client.post(edit_url(primary), {**page, "backup_server": only(backup.pk)}).status_code == 302
    assert history.latest_number(primary.pk) == 2

    revert.revert_application(application=primary, to=1, actor=env.users["operator"], note="back")

    primary.refresh_from_db()
    assert primary.backup_server_id is None
    assert "backup server" in history.latest_version(primary).summary
