"""The application page's TLS panel, the validation sweep pages, roles, and restart visibility."""

import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from security.models import Sweep, SweepStatus
from tests.checks.world import World
from tests.opened import restart_revision


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def ready_deployment(w: World) -> World:
    store = w.store("Genesys CA")
    w.security(w.node1, store=store)
    w.security(w.node2, store=store)
    w.connect(w.cluster, w.message_secure)
    for obj in (store, w.cluster):
        w.validate(obj)
    return w


def test_a_ready_node_says_so(client_as, world):
    ready_deployment(world)

    response = client_as("viewer").get(world.node1.get_absolute_url())

    assert response.context["security"]["readiness"].ready
    assert 'id="tls-verdict">ready<' in response.content.decode()
    assert "Trusted store: Genesys CA" in text(response)


def test_a_node_that_is_not_ready_lists_what_is_missing(client_as, world):
    world.security(world.node1, provider="PEM")
    world.connect(world.cluster, world.message_default)
    world.validate(world.node1)

    response = client_as("viewer").get(world.node1.get_absolute_url())

    readiness = response.context["security"]["readiness"]
    assert not readiness.ready
    page = text(response)
    assert "not ready" in page
    assert "provider is PEM but trusted-ca is empty" in page
    assert "No connection of Cobrowse_Node_1 goes through a secure port" in page
    raw = response.content.decode()  # codes are no main text: they stay in the tooltip of their message
    assert 'title="application.no_secure_connection"' in raw
    assert 'title="application.trusted_ca_missing"' in raw and "Fix:" in page
    assert 'title="connection.insecure_port"' in raw  # the Cluster's connections, shown on the Node
    assert "application.no_secure_connection" not in page


def test_a_cluster_is_ready_only_when_all_its_nodes_are(client_as, world):
    ready_deployment(world)
    world.security(world.node2, provider="")
    world.validate(world.cluster)

    response = client_as("viewer").get(world.cluster.get_absolute_url())

    readiness = response.context["security"]["readiness"]
    assert not readiness.ready
    assert any(reason.startswith("Cobrowse_Node_2 — ") for reason in readiness.reasons)
    assert not any(reason.startswith("Cobrowse_Node_1 — ") for reason in readiness.reasons)


def test_the_page_says_when_validation_is_pending(client_as, world):
    Application.objects.filter(pk=world.node1.pk).update(checks_requested_at=timezone.now())

    response = client_as("viewer").get(world.node1.get_absolute_url())

    assert 'id="validation-pending"' in response.content.decode()
    assert "validation pending" in text(response)  # the header badge


def test_other_servers_show_their_connections_findings_without_a_verdict(client_as, world):
    world.connect(world.message, world.port(world.config, "default", 2020))
    world.validate(world.message)

    response = client_as("viewer").get(world.message.get_absolute_url())

    assert response.context["security"]["readiness"] is None
    assert "Connections of MessageServer" in text(response)
    assert 'title="connection.insecure_port"' in response.content.decode()


def test_restart_required_is_visible_in_the_list_the_header_and_the_dashboard(client_as, world):
    from applications.models import PendingRestartChange

    PendingRestartChange.objects.create(application=world.node1, section="security", name="provider",
                                        running_value=None, new_value="PEM")
    viewer = client_as("viewer")

    listing = viewer.get(reverse("applications:list") + "?restart=on")
    assert [a.name for a in listing.context["page"]] == ["Cobrowse_Node_1"]
    assert "restart required" in text(listing)
    assert "restart required" in text(viewer.get(world.node1.get_absolute_url()))
    assert viewer.get(reverse("dashboard")).context["restart_required_count"] == 1
    review = viewer.get(reverse("security:review"))
    assert review.status_code == 200


def test_an_operator_starts_a_sweep_and_follows_its_progress(client_as, world):
    world.store("Expired", certs=("expired-ca.pem",))
    operator = client_as("operator")

    response = operator.post(reverse("security:sweep_start"))

    sweep = Sweep.objects.get()
    assert response["Location"] == sweep.get_absolute_url()
    # No broker in the tests: the sweep ran in-process before the redirect.
    assert sweep.status == SweepStatus.DONE and sweep.trigger == "ui" and sweep.requested_by_name == "operator"
    page = operator.get(sweep.get_absolute_url())
    # The expired store, and the two Nodes that have no TLS connection to run.
    assert "3 error(s)" in text(page) and "Expired" in text(page)
    status = json.loads(operator.get(reverse("security:sweep_status", args=[sweep.pk])).content)  # 5 apps, 1 store
    assert status == {"id": sweep.pk, "status": "done", "done": 6, "total": 6, "percent": 100, "errors": 3,
                      "warnings": 0, "finished": True, "message": ""}


def test_a_running_sweep_page_polls_with_a_static_script_and_offers_a_refresh_link(client_as, world):
    sweep = Sweep.objects.create(trigger="ui", status=SweepStatus.RUNNING, total=10)

    html = client_as("viewer").get(sweep.get_absolute_url()).content.decode()

    assert f'data-status-url="/security/sweeps/{sweep.pk}/status/"' in html
    assert re.search(r'<script src="[^"]*js/sweep_progress\.js"></script>', html)
    assert re.search(r"<script>|<script [^>]*>[^<]", html) is None  # nothing inline (CSP)
    assert f'href="{sweep.get_absolute_url()}">Refresh<' in html


@pytest.mark.parametrize("role, allowed", [("viewer", False), ("operator", True), ("security", True)])
def test_only_operators_start_sweeps(client_as, world, role, allowed):
    response = client_as(role).post(reverse("security:sweep_start"))

    assert (response.status_code == 302) == allowed
    assert response.status_code in (302, 403)


@pytest.mark.parametrize("role, allowed", [("viewer", False), ("operator", False), ("security", True),
                                           ("admin", True)])
def test_only_security_officers_probe(client_as, world, role, allowed):
    connection = world.connect(world.cluster, world.message_secure)
    world.core.address = "127.0.0.1"
    world.core.save()
    world.message_secure.number = 1  # nothing listens there: a quick refusal
    world.message_secure.save()

    response = client_as(role).post(reverse("security:probe", args=[connection.pk]))

    assert response.status_code == (302 if allowed else 403)
    assert connection.probes.exists() == allowed


def test_probing_is_a_post(client_as, world):
    connection = world.connect(world.cluster, world.message_secure)

    assert client_as("security").get(reverse("security:probe", args=[connection.pk])).status_code == 405


def test_the_navigation_links_to_the_review(client_as, world):
    html = client_as("viewer").get(reverse("dashboard")).content.decode()

    assert f'href="{reverse("security:review")}">Connection review<' in html


def test_mark_as_restarted_clears_the_flag_everywhere(client_as, world, users, django_capture_on_commit_callbacks):
    from applications.options import OptionChange, options_apply

    with django_capture_on_commit_callbacks(execute=True):
        options_apply(application=world.node1, changes=[OptionChange("security", "provider", "PEM")],
                      actor=users["security"])
    operator = client_as("operator")
    assert "restart required" in text(operator.get(world.node1.get_absolute_url()))

    operator.post(reverse("applications:mark_restarted", args=[world.node1.pk]),
                  restart_revision(operator, world.node1))

    assert "restart required" not in text(operator.get(world.node1.get_absolute_url()))
    assert operator.get(reverse("dashboard")).context["restart_required_count"] == 0
