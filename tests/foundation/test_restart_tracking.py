"""Restart tracking: saved changes that take effect after restart are pending until "Mark as restarted"."""

from django.urls import reverse

from applications.models import Application, AuditEvent, PendingRestartChange, RunningOption
from applications.options import option_delete, option_set
from applications.queries import applications_with_flags
from cobrowse_admin import secret_box
from tests.opened import restart_revision


def pending(app) -> dict[str, tuple]:
    return {
        f"[{p.section}] {p.name}": (p.kind, p.running_value, p.new_value)
        for p in PendingRestartChange.objects.filter(application=app)
    }


def restart_required(app) -> bool:
    return applications_with_flags().get(pk=app.pk).restart_required


def test_changing_an_after_restart_option_makes_it_pending(env, committed):
    with committed():
        option_set(application=env.node, section="security", name="provider", value="JKS", actor=env.users["security"])
    assert pending(env.node) == {"[security] provider": ("changed", "PEM", "JKS")}
    change = PendingRestartChange.objects.get(application=env.node)
    assert change.changed_by_name == "security" and change.changed_at is not None
    assert restart_required(env.node)
    assert Application.objects.get(pk=env.node.pk).checks_requested_at is None  # the checks ran


def test_setting_the_value_back_removes_it_from_the_pending_list(env, committed):
    with committed():
        option_set(application=env.node, section="security", name="provider", value="JKS", actor=env.users["security"])
    with committed():
        option_set(application=env.node, section="security", name="provider", value="PEM", actor=env.users["security"])
    assert pending(env.node) == {}
    assert not restart_required(env.node)
    assert AuditEvent.objects.filter(application=env.node, object_type="option", action="update").count() == 2


def test_adding_and_removing_options_are_pending_as_added_and_removed(env, committed):
    with committed():
        option_set(application=env.node, section="web", name="maxSessions", value="20", actor=env.users["operator"])
        option_delete(application=env.node, section="security", name="trusted-ca", actor=env.users["security"])
    assert pending(env.node) == {
        "[web] maxSessions": ("added", None, "20"),
        "[security] trusted-ca": ("removed", "C:\\cb\\ca.pem", None),
    }
    with committed():
        option_delete(application=env.node, section="web", name="maxSessions", actor=env.users["operator"])
        option_set(application=env.node, section="security", name="trusted-ca", value="C:\\cb\\ca.pem",
                   actor=env.users["security"])
    assert pending(env.node) == {}


def test_an_option_not_in_the_catalogue_counts_as_after_restart(env, committed):
    with committed():
        option_set(application=env.chat, section="settings", name="anything", value="1", actor=env.users["operator"])
    assert pending(env.chat) == {"[settings] anything": ("added", None, "1")}


def test_options_that_take_effect_immediately_or_for_new_sessions_are_never_pending(env, committed):
    with committed():
        option_set(application=env.cluster, section="cluster", name="url", value="https://new.example.com/cb",
                   actor=env.users["operator"])
        option_set(application=env.cluster, section="log", name="verbose", value="all", actor=env.users["operator"])
        option_set(application=env.cluster, section="cluster", name="serverUrl", value="http://10.0.0.9:8700/cb",
                   actor=env.users["operator"])
    assert pending(env.cluster) == {}
    assert not restart_required(env.cluster)
    assert AuditEvent.objects.filter(application=env.cluster, object_type="option").count() == 3


def test_secrets_are_masked_in_the_pending_list_the_page_and_the_audit(env, client_as, committed):
    with committed():
        option_set(application=env.node, section="security", name="truststore-password", value="Pass-One-1",
                   actor=env.users["security"])
    assert pending(env.node) == {"[security] truststore-password": ("added", None, secret_box.MASK)}
    client = client_as("viewer")
    for name in ("detail", "options", "history"):
        page = client.get(reverse(f"applications:{name}", args=[env.node.pk])).content.decode()
        assert "Pass-One-1" not in page
    assert "Pass-One-1" not in client.get(reverse("applications:audit")).content.decode()
    changes = list(AuditEvent.objects.values_list("changes", flat=True))
    assert "Pass-One-1" not in str(changes)
    assert {"value": [None, "(secret changed)"]} in changes
    assert "Pass-One-1" not in str(list(RunningOption.objects.values_list("value", flat=True)))


def test_a_secret_set_back_to_what_the_server_runs_with_is_not_pending(env, client_as, committed):
    with committed():
        option_set(application=env.node, section="security", name="truststore-password", value="Pass-One-1",
                   actor=env.users["security"])
    client = client_as("operator")
    with committed():
        client.post(reverse("applications:mark_restarted", args=[env.node.pk]), restart_revision(client, env.node))
    with committed():
        option_set(application=env.node, section="security", name="truststore-password", value="Pass-Two-2",
                   actor=env.users["security"])
    assert pending(env.node) == {"[security] truststore-password": ("changed", secret_box.MASK, secret_box.MASK)}
    restart = AuditEvent.objects.get(application=env.node, action="restart")
    assert restart.changes == {"[security] truststore-password": [None, "(secret changed)"]}
    with committed():
        option_set(application=env.node, section="security", name="truststore-password", value="Pass-One-1",
                   actor=env.users["security"])
    assert pending(env.node) == {}


def test_mark_as_restarted_clears_the_list_takes_a_snapshot_and_is_audited(env, client_as, committed):
    with committed():
        option_set(application=env.node, section="security", name="provider", value="JKS", actor=env.users["security"])
        option_set(application=env.node, section="web", name="maxSessions", value="20", actor=env.users["operator"])
    client = client_as("operator")
    page = client.get(reverse("applications:detail", args=[env.node.pk])).content.decode()
    assert "Mark as restarted" in page and "[security] provider" in page and "security, " in page
    with committed():
        response = client.post(reverse("applications:mark_restarted", args=[env.node.pk]),
                               restart_revision(client, env.node))
    assert response.status_code == 302
    assert pending(env.node) == {}
    node = Application.objects.get(pk=env.node.pk)
    assert node.last_restarted_at is not None
    running = {(r.section, r.name): r.value for r in RunningOption.objects.filter(application=env.node)}
    assert running[("security", "provider")] == "JKS" and running[("web", "maxSessions")] == "20"
    event = AuditEvent.objects.get(application=env.node, action="restart")
    assert event.actor_name == "operator"
    assert event.changes == {"[security] provider": ["PEM", "JKS"], "[web] maxSessions": [None, "20"]}
    assert "2 pending change(s)" in event.message
    # The next change is pending again, against the new snapshot.
    with committed():
        option_set(application=env.node, section="security", name="provider", value="PEM", actor=env.users["security"])
    assert pending(env.node) == {"[security] provider": ("changed", "JKS", "PEM")}


def test_a_viewer_sees_the_pending_list_but_not_the_button(env, client_as, committed):
    with committed():
        option_set(application=env.node, section="web", name="maxSessions", value="20", actor=env.users["operator"])
    page = client_as("viewer").get(reverse("applications:detail", args=[env.node.pk])).content.decode()
    assert "[web] maxSessions" in page
    assert "Mark as restarted" not in page


def test_a_change_through_the_editor_shows_the_restart_badge_in_the_list_and_the_dashboard(env, client_as, committed):
    from tests.foundation.forms_html import blank_row_index
    from tests.foundation.test_options_editor import editor_url, open_editor

    client = client_as("operator")
    data = open_editor(client, env.chat)
    i = blank_row_index(data)
    data.update({f"form-{i}-section": "settings", f"form-{i}-name": "timeout", f"form-{i}-value": "30"})
    with committed():
        assert client.post(editor_url(env.chat), data).status_code == 302
    listing = client.get(reverse("applications:list") + "?restart=on")
    assert [a.name for a in listing.context["page"]] == ["ChatServer"]
    assert "restart required" in listing.content.decode()
    dashboard = client.get(reverse("dashboard"))
    assert restart_card(dashboard) == 1
    options_page = client.get(reverse("applications:options", args=[env.chat.pk])).content.decode()
    assert "pending restart" in options_page


def test_reconciling_twice_gives_the_same_list(env, committed):
    from applications.restart import reconcile

    with committed():
        option_set(application=env.node, section="security", name="provider", value="JKS", actor=env.users["security"])
    first = pending(env.node)
    reconcile(application_id=env.node.pk)
    reconcile(application_id=env.node.pk)
    assert pending(env.node) == first


def test_mark_as_restarted_names_the_pending_changes_even_when_the_checks_have_not_run(env, client_as, committed):
    # No on-commit callbacks here: as if the broker were down, the pending list was never computed.
    option_set(application=env.node, section="security", name="provider", value="JKS", actor=env.users["security"])
    assert pending(env.node) == {}
    client = client_as("operator")
    with committed():
        client.post(reverse("applications:mark_restarted", args=[env.node.pk]), restart_revision(client, env.node))
    event = AuditEvent.objects.get(application=env.node, action="restart")
    assert event.changes == {"[security] provider": ["PEM", "JKS"]}
    assert pending(env.node) == {}


def test_the_restart_event_reads_old_to_new_in_the_history(env, client_as, committed):
    client = client_as("operator")
    with committed():
        option_set(application=env.node, section="security", name="provider", value="JKS", actor=env.users["security"])
        client.post(reverse("applications:mark_restarted", args=[env.node.pk]), restart_revision(client, env.node))
    page = client_as("viewer").get(reverse("applications:history_events", args=[env.node.pk])).content.decode()
    assert "[security] provider:</span> PEM → JKS" in page


def restart_card(dashboard) -> int:
    """The count on the dashboard's "Restart required" card."""
    return next(card.count for card in dashboard.context["cards"] if card.key == "restart")
