"""Revert: the same roles, checks and no-lost-update rule as a form; the pending restart list follows."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from applications import history
from applications.models import Option, PendingRestartChange
from applications.options import OptionsInvalid
from applications.restart import mark_restarted, reconcile
from applications.revert import revert_application, revert_plan
from applications.versioning import EditConflict
from security.section import section_state, security_section_set


def pending_labels(app) -> set[str]:
    reconcile(application_id=app.pk)
    return {f"[{p.section}] {p.name}" for p in PendingRestartChange.objects.filter(application=app)}


def test_a_revert_to_what_the_server_runs_with_empties_the_pending_restart_list(world):
    node, officer = world.node_a, world.users["security"]
    mark_restarted(application=node, actor=officer)  # runs with version 1: no security section
    running = history.latest_number(node.pk)
    security_section_set(application=node, provider="PEM", store=world.pem, actor=officer, note="TLS on")
    assert pending_labels(node) == {"[security] provider", "[security] trusted-ca"}
    revert_application(application=node, to=running, actor=officer, note="TLS broke the chat")
    assert pending_labels(node) == set()
    assert not section_state(node).is_set


def test_an_operator_cannot_revert_the_security_section(world):
    node, officer = world.node_a, world.users["security"]
    security_section_set(application=node, provider="PEM", store=world.pem, actor=officer)
    with pytest.raises(OptionsInvalid, match="Security officer"):
        revert_application(application=node, to=1, actor=world.users["operator"], note="")
    assert section_state(node).provider == "PEM"
    assert history.latest_number(node.pk) == 2


def test_a_revert_from_a_page_older_than_the_newest_version_changes_nothing(world):
    node, officer = world.node_a, world.users["security"]
    security_section_set(application=node, provider="PEM", store=world.pem, actor=officer)
    security_section_set(application=node, provider="JKS", store=world.jks, actor=officer)
    with pytest.raises(EditConflict):
        revert_application(application=node, to=1, actor=officer, expected_number=2)
    assert section_state(node).provider == "JKS"


def test_a_secret_comes_back_as_it_was_and_is_never_in_a_snapshot_in_clear(world):
    from tests.security_section.conftest import JKS_PASSWORD

    node, officer = world.node_a, world.users["security"]
    security_section_set(application=node, provider="JKS", store=world.jks, actor=officer)
    jks_version = history.latest_number(node.pk)
    assert JKS_PASSWORD not in str(history.latest_version(node).snapshot)
    security_section_set(application=node, provider="PEM", store=world.pem, actor=officer)
    revert_application(application=node, to=jks_version, actor=officer)
    state = section_state(node)
    assert state.provider == "JKS" and state.has_password
    from cobrowse_admin import secret_box
    stored = Option.objects.get(application=node, section="security", name="truststore-password")
    assert secret_box.decrypt(stored.value) == JKS_PASSWORD


def test_the_plan_names_the_changes_that_wait_for_a_restart(world):
    node, officer = world.node_a, world.users["security"]
    security_section_set(application=node, provider="PEM", store=world.pem, actor=officer)
    plan = revert_plan(node, history.latest_version(node).__class__.objects.get(application=node, number=1))
    assert "[security] provider" in plan.restart
    assert any(group.title == "[security]" for group in plan.groups)


def test_the_command_line_lists_and_reverts_with_the_users_rights(world, capsys):
    node, officer = world.node_a, world.users["security"]
    security_section_set(application=node, provider="PEM", store=world.pem, actor=officer)
    call_command("history", node.name, "--json")
    out = capsys.readouterr().out
    assert '"number": 2' in out and '"number": 1' in out
    with pytest.raises(CommandError, match="refused: .*Security officer"):
        call_command("revert", node.name, "--to", "1", "--as", "operator", "--note", "x")
    with pytest.raises(CommandError, match="stale"):
        call_command("revert", node.name, "--to", "1", "--as", "security", "--expect", "1")
    with pytest.raises(CommandError, match="no application"):
        call_command("revert", "nope", "--to", "1", "--as", "security")
    with pytest.raises(CommandError, match="may not change"):
        call_command("revert", node.name, "--to", "1", "--as", "viewer")
    call_command("revert", node.name, "--to", "1", "--as", "security", "--note", "back")
    assert not section_state(node).is_set
    assert history.latest_version(node).note == "revert to 1: back"


def test_the_command_line_exits_1_with_one_line(tmp_path):
    """As an operator's script sees it: a migrated database of its own, exit status 1, one line."""
    import os
    import subprocess
    import sys

    environment = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}"}

    def run(*args):
        return subprocess.run([sys.executable, "manage.py", *args], capture_output=True, text=True, timeout=300,
                              env=environment)

    assert run("migrate", "-v", "0").returncode == 0
    result = run("revert", "no-such-app", "--to", "1", "--as", "x")
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "no application" in result.stderr
    result = run("history", "no-such-app")
    assert result.returncode == 1 and "no application" in result.stderr
