"""``manage.py seed_demo`` builds an environment that shows every rule, and running it again changes nothing."""

from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.urls import reverse

from applications.models import Application, AppType, Connection, Host, PendingRestartChange, Port
from applications.roles import role_name


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    models = [m for m in apps.get_models() if m._meta.app_label in ("applications", "security", "auth")]
    return {m._meta.label: m.objects.count() for m in models}


@pytest.fixture
def seeded(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        output = seed()
    return output


def test_running_seed_demo_twice_gives_the_same_counts_of_every_model(seeded, django_capture_on_commit_callbacks):
    first = counts()
    assert first["applications.Application"] == 12
    with django_capture_on_commit_callbacks(execute=True):
        output = seed()
    assert counts() == first
    assert "(0 object(s) created)" in output


def test_it_prints_one_demo_user_per_role_with_a_password_that_works(seeded, client):
    for username, role in (("viewer", "Viewer"), ("operator", "Operator"), ("security", "Security officer"),
                           ("admin", "Administrator")):
        line = next(line for line in seeded.splitlines() if line.strip().startswith(username + " "))
        password = line.split()[1]
        assert line.rstrip().endswith(role)
        client.logout()
        response = client.post(reverse("login"), {"username": username, "password": password})
        assert response.status_code == 302, f"{username} cannot log in with the printed password"
        assert role_name(User.objects.get(username=username)) == role


def test_the_demo_shows_every_rule_of_the_source_document(seeded):
    assert Application.objects.get(app_type=AppType.COBROWSE_SERVER).version.startswith("8.5.000")
    clusters = Application.objects.filter(app_type=AppType.COBROWSE_CLUSTER)
    plain = clusters.get(scs_controlled=False)
    assert plain.version.startswith("8.5.003") and plain.nodes.count() == 3
    assert clusters.filter(scs_controlled=True).count() == 1
    for app_type in (AppType.CONFIG_SERVER, AppType.MESSAGE_SERVER, AppType.CHAT_SERVER):
        ports = set(Port.objects.filter(application__app_type=app_type).values_list("port_id", "secured"))
        assert ports == {("default", False), ("secure", True)}
    secure = {c.secure for c in Connection.objects.select_related("port")}
    assert secure == {True, False}
    assert set(Host.objects.values_list("os_type", flat=True)) >= {"windows", "linux"}
    assert not PendingRestartChange.objects.exists()


def test_seeding_again_keeps_what_an_operator_changed(seeded, django_capture_on_commit_callbacks):
    host = Host.objects.get(name="cb-linux-01")
    host.address = "192.0.2.10"
    host.save()
    with django_capture_on_commit_callbacks(execute=True):
        seed()
    assert Host.objects.get(name="cb-linux-01").address == "192.0.2.10"



@pytest.mark.tls_policy
def test_the_demo_has_a_backup_pair_that_shows_the_policy_rule(seeded):
    """The primary / backup rule has something to show: the backup listens as its primary does, but its
    secure port lacks the primary's sec-protocol."""
    from security.models import Finding

    primary = Application.objects.get(name="MessageServer")
    assert primary.backup_server.name == "MessageServer_Backup"
    with pytest.raises(CommandError):  # the demo has errors on purpose
        call_command("validate", "--here", stdout=StringIO())
    finding = Finding.objects.get(code="policy.backup_mismatch")
    assert finding.application_id == primary.pk
    assert 'sec-protocol "TLSv12" against empty' in finding.message
