"""The History tab, compare, revert preview and the audit page's links to versions."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications import history
from applications.models import ApplicationVersion, AuditEvent, Option
from applications.options import OptionChange, options_apply
from applications.restart import mark_restarted
from security.section import security_section_set


def add_versions(app, count: int, options: int = 0) -> None:
    """``count`` versions of ``app`` (a snapshot of ``options`` options each), written in bulk."""
    snapshot = history.application_snapshot(app)
    snapshot["options"]["bulk"] = {f"option-{i:03d}": "x" for i in range(options)}
    start = history.latest_number(app.pk)
    ApplicationVersion.objects.bulk_create([
        ApplicationVersion(application=app, number=start + i, actor_name="bench", source="options",
                           summary="1 change: [bulk] option", snapshot={**snapshot, "general": {
                               **snapshot["general"], "service_account": f"svc-{i}"}})
        for i in range(1, count + 1)], batch_size=500)


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_the_history_tab_and_compare_take_the_same_queries_with_1000_versions(world, client_as):
    client = client_as("viewer")
    app = world.node_a
    add_versions(app, 10, options=200)
    latest = history.latest_number(app.pk)
    urls = [reverse("applications:history", args=[app.pk]),
            reverse("applications:history", args=[app.pk]) + "?page=2",
            reverse("applications:compare", args=[app.pk]) + f"?a={latest - 1}&b={latest}",
            reverse("applications:compare", args=[app.pk]) + "?a=2&b=current&all=1",
            reverse("applications:version", args=[app.pk, latest])]
    few = [queries(client, url) for url in urls]
    add_versions(app, 990, options=200)
    latest = history.latest_number(app.pk)
    urls[2] = reverse("applications:compare", args=[app.pk]) + f"?a={latest - 1}&b={latest}"
    urls[4] = reverse("applications:version", args=[app.pk, latest])
    many = [queries(client, url) for url in urls]
    assert many == few


def test_a_viewer_sees_the_history_but_no_revert(world, client_as):
    security_section_set(application=world.node_a, provider="PEM", store=world.pem, actor=world.users["security"])
    client = client_as("viewer")
    page = client.get(reverse("applications:history", args=[world.node_a.pk])).content.decode()
    assert 'data-version="2"' in page and "revert…" not in page
    assert client.get(reverse("applications:revert", args=[world.node_a.pk, 1])).status_code == 403
    assert client.post(reverse("applications:revert", args=[world.node_a.pk, 1]), {"latest": "2"}).status_code == 403


def test_compare_shows_only_differences_and_secrets_only_as_changed(world, client_as):
    from tests.security_section.conftest import JKS_PASSWORD

    officer = world.users["security"]
    security_section_set(application=world.node_a, provider="JKS", store=world.jks, actor=officer)
    client = client_as("viewer")
    url = reverse("applications:compare", args=[world.node_a.pk]) + "?a=1&b=current"
    page = client.get(url).content.decode()
    assert "[security]" in page and "truststore-password" in page and "(secret)" in page
    assert JKS_PASSWORD not in page
    assert "verbose" not in page  # the same on both sides
    assert "verbose" in client.get(url + "&all=1").content.decode()


def test_two_nodes_of_a_cluster_side_by_side(world, client_as):
    security_section_set(application=world.node_a, provider="PEM", store=world.pem, actor=world.users["security"])
    page = client_as("viewer").get(reverse("applications:compare", args=[world.node_a.pk])
                                   + f"?a=current&other={world.node_b.pk}&b=current").content.decode()
    assert "CB_Node_A now" in page and "CB_Node_B now" in page and "provider" in page


def test_a_missing_version_is_a_message_not_an_error(world, client_as):
    client = client_as("viewer")
    response = client.get(reverse("applications:compare", args=[world.node_a.pk]) + "?a=999&b=x")
    assert response.status_code == 302
    assert client.get(reverse("applications:version", args=[world.node_a.pk, 999])).status_code == 404


def test_the_revert_preview_gives_the_tls_verdict_and_the_restart_and_the_revert_applies(world, client_as):
    officer = world.users["security"]
    node = world.node_a
    mark_restarted(application=node, actor=officer)
    security_section_set(application=node, provider="PEM", store=world.pem, actor=officer)
    client = client_as("security")
    preview = client.get(reverse("applications:revert", args=[node.pk, 1]))
    page = preview.content.decode()
    assert preview.status_code == 200
    assert 'id="revert-verdict"' in page and "after the revert" in page
    assert "[security] provider" in page
    assert Option.objects.filter(application=node, section="security").count() == 2  # the preview kept nothing
    assert history.latest_number(node.pk) == 2
    response = client.post(reverse("applications:revert", args=[node.pk, 1]), {"latest": "2", "note": "broke it"})
    assert response.status_code == 302
    assert not Option.objects.filter(application=node, section="security").exists()
    assert history.latest_version(node).note == "revert to 1: broke it"


def test_a_revert_posted_from_an_old_preview_shows_the_banner(world, client_as):
    officer = world.users["security"]
    security_section_set(application=world.node_a, provider="PEM", store=world.pem, actor=officer)
    response = client_as("security").post(reverse("applications:revert", args=[world.node_a.pk, 1]),
                                          {"latest": "1", "note": ""})
    assert response.status_code == 200 and 'id="stale-edit"' in response.content.decode()
    assert Option.objects.filter(application=world.node_a, section="security").exists()


def test_an_operator_reverting_the_security_section_is_refused_on_the_page(world, client_as):
    security_section_set(application=world.node_a, provider="PEM", store=world.pem, actor=world.users["security"])
    response = client_as("operator").post(reverse("applications:revert", args=[world.node_a.pk, 1]),
                                          {"latest": "2"})
    assert response.status_code == 200 and 'id="revert-refused"' in response.content.decode()


def test_an_audit_event_links_to_its_version(world, client_as):
    options_apply(application=world.node_a, changes=[OptionChange("log", "verbose", "debug")],
                  actor=world.users["operator"])
    event = AuditEvent.objects.filter(application=world.node_a, object_type="option").latest("id")
    client = client_as("viewer")
    audit_page = client.get(reverse("applications:audit")).content.decode()
    assert reverse("applications:event_version", args=[event.pk]) in audit_page
    response = client.get(reverse("applications:event_version", args=[event.pk]))
    assert response.status_code == 302
    assert response.url == reverse("applications:version", args=[world.node_a.pk, 2])


@pytest.mark.parametrize("required", [True, False])
def test_the_why_can_be_made_mandatory_for_the_security_section(world, client_as, settings, required):
    settings.REQUIRE_CHANGE_NOTE_FOR_SECURITY = required
    node = world.node_a
    response = client_as("security").post(reverse("security:section", args=[node.pk]), {
        "provider": "PEM", "store": world.pem.pk, "typed_path": "", "revision": node.options_revision, "note": ""})
    saved = Option.objects.filter(application=node, section="security").exists()
    assert saved is not required
    if required:
        assert "Say why" in response.content.decode()
    response = client_as("security").post(reverse("security:section", args=[node.pk]), {
        "provider": "PEM", "store": world.pem.pk, "typed_path": "", "revision": node.options_revision,
        "note": "TLS for the chat"}) if required else None
    if required:
        assert Option.objects.filter(application=node, section="security").exists()
        assert history.latest_version(node).note == "TLS for the chat"
