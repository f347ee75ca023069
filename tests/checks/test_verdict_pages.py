"""The pages that were seen saying the wrong thing about a Cluster, and the lists that read the verdict."""

from django.urls import reverse

from applications.models import AppType, PendingRestartChange
from security.models import ConnectionCheck
from tests.checks.review_shown import shown_ids, shown_rows
from tests.checks.world import World


def text(response) -> str:
    import re

    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def badge(client, cluster) -> str:
    import re

    page = client.get(reverse("security:section", args=[cluster.pk])).content.decode()
    return re.search(r'id="nodes-badge">([^<]+)<', page).group(1)


def test_the_nodes_badge_is_not_green_when_every_node_has_tls_off(client_as, world: World):
    viewer = client_as("viewer")
    assert badge(viewer, world.cluster) == "identical: TLS disabled on every Node"
    page = viewer.get(reverse("security:section", args=[world.cluster.pk])).content.decode()
    assert 'class="badge text-bg-danger" id="nodes-badge"' in page

    store = world.store("Genesys CA")
    world.security(world.node1, store=store)
    assert badge(viewer, world.cluster) == "differ"
    world.security(world.node2, store=store)
    assert badge(viewer, world.cluster) == "identical"


def test_nodes_without_a_section_of_their_own_run_with_the_clusters(client_as, world: World):
    world.security(world.cluster, store=world.store("Genesys CA"))  # 8.5.003 without SCS: the Nodes inherit it

    assert badge(client_as("viewer"), world.cluster) == "identical"


def test_the_clusters_general_tab_names_the_nodes_that_need_a_restart(client_as, world: World):
    for node in (world.node1, world.node2):
        PendingRestartChange.objects.create(application=node, section="security", name="provider",
                                            running_value=None, new_value="PEM")
    PendingRestartChange.objects.create(application=world.node2, section="security", name="trusted-ca",
                                        running_value=None, new_value="/x.pem")

    page = text(client_as("viewer").get(world.cluster.get_absolute_url()))

    assert "No pending changes on Cobrowse_Cluster itself" in page
    assert "2 of the 2 Node(s) of Cobrowse_Cluster need a restart" in page
    assert "Cobrowse_Node_1 (1 pending change)" in page and "Cobrowse_Node_2 (2 pending changes)" in page


def test_a_cluster_whose_nodes_run_what_is_saved_says_so(client_as, world: World):
    page = text(client_as("viewer").get(world.cluster.get_absolute_url()))

    assert "No Node of Cobrowse_Cluster needs a restart." in page


def test_the_application_list_shows_the_verdict_of_each_applications_panel(client_as, world: World):
    store = world.store("Genesys CA")
    world.security(world.node1, store=store)
    world.connect(world.cluster, world.message_secure)
    world.validate(world.cluster)
    world.validate(world.message)
    viewer = client_as("viewer")

    response = viewer.get(reverse("applications:list"))

    health = {app.name: app.health for app in response.context["page"].object_list}
    for app in (world.cluster, world.node1, world.node2):
        panel = viewer.get(app.get_absolute_url()).context["security"]["readiness"]
        assert health[app.name].verdict == panel.verdict
        assert (health[app.name].errors, health[app.name].warnings) == (len(panel.reasons), panel.warnings)
    assert (health["Cobrowse_Node_1"].verdict, health["Cobrowse_Node_2"].verdict) == ("ready", "not ready")
    assert health["MessageServer"].verdict == ""  # no TLS readiness for a Genesys server
    assert health["ConfigServer"] is None  # never validated: no verdict rather than a guess
    assert 'data-tls="not ready"' in response.content.decode()


def test_the_list_follows_the_findings_when_they_change(client_as, world: World):
    store = world.store("Genesys CA")
    world.connect(world.cluster, world.message_secure)
    world.validate(world.cluster)
    viewer = client_as("viewer")

    def verdicts() -> list[str]:
        listed = {a.name: a.health for a in viewer.get(reverse("applications:list")).context["page"].object_list}
        return [listed[name].verdict for name in ("Cobrowse_Cluster", "Cobrowse_Node_1", "Cobrowse_Node_2")]

    assert verdicts() == ["not ready"] * 3

    world.security(world.node1, store=store)
    world.security(world.node2, store=store)
    world.validate(world.node1)  # a Node's checks run for its Cluster and the other Nodes too

    assert verdicts() == ["ready"] * 3


def test_the_review_shows_the_worst_first(client_as, world: World):
    store = world.store("Genesys CA")
    world.security(world.node1, store=store)
    world.security(world.node2, store=store)
    plain = world.app("Plain_Server", AppType.OTHER, "8.5.100.01", host=world.core)
    fine = world.connect(world.cluster, world.message_secure)
    warned = world.connect(world.cluster, world.message_default)
    failing = world.connect(world.node1, world.message_secure)  # R2: on the wrong object
    unchecked = world.connect(world.cluster, world.port(plain, "default", 7000))
    world.validate(world.cluster)
    ConnectionCheck.objects.filter(connection=unchecked).delete()  # as if never validated

    response = client_as("viewer").get(reverse("security:review"))

    order = shown_ids(response)
    assert order[:3] == [failing.pk, warned.pk, fine.pk]
    assert order[3:] == [unchecked.pk]
    assert shown_rows(response)[3].verdict.state == "unchecked"
    assert f'data-connection="{unchecked.pk}" data-verdict="unchecked"' in response.content.decode()


def test_a_connection_not_checked_yet_gives_no_ready_verdict(client_as, world: World):
    store = world.store("Genesys CA")
    world.security(world.node1, store=store)
    world.connect(world.cluster, world.message_secure)  # saved, its checks not run yet

    response = client_as("viewer").get(world.node1.get_absolute_url())

    readiness = response.context["security"]["readiness"]
    assert (readiness.ready, readiness.verdict, readiness.unchecked) == (False, "not checked yet", 1)
    page = response.content.decode()
    assert 'id="tls-verdict">not checked yet<' in page and 'data-verdict="unchecked"' in page
