"""Cluster-wide apply: the same section on every Node, all or nothing."""

import pytest
from django.urls import reverse

from applications.models import AuditEvent, Option, PendingRestartChange
from applications.options import StaleEdit, option_set
from cobrowse_admin import secret_box
from security.section import SectionRefused, cluster_apply, security_section_set

from .conftest import JKS_PASSWORD, WINDOWS_JKS


def section(app) -> dict[str, str]:
    return {o.name: (secret_box.decrypt(o.value) if o.is_secret else o.value)
            for o in Option.objects.filter(application=app, section="security")}


def nodes_of(cluster):
    return list(cluster.nodes.order_by("name"))


def test_every_node_gets_the_same_section_with_the_store_path_for_its_host(env, committed):
    with committed():
        results = cluster_apply(cluster=env.cluster, provider="JKS", store=env.jks, actor=env.users["security"])
    assert [node.name for node, _ in results] == ["CB_Node_A", "CB_Node_B", "CB_Node_Win"]
    linux = {"provider": "JKS", "trusted-ca": "/opt/genesys/certs/truststore.jks",
             "truststore-password": JKS_PASSWORD}
    assert section(env.node_a) == section(env.node_b) == linux
    assert section(env.node_win) == {**linux, "trusted-ca": WINDOWS_JKS}
    for node in nodes_of(env.cluster):
        assert PendingRestartChange.objects.filter(application=node).count() == 3
    assert section(env.cluster) == {}


def test_a_store_without_a_path_for_a_nodes_os_is_refused_naming_the_node(env):
    with pytest.raises(SectionRefused) as refused:
        cluster_apply(cluster=env.cluster, provider="PEM", store=env.pem_linux_only, actor=env.users["security"])
    message = refused.value.message
    assert message.startswith("Nothing was applied. CB_Node_Win: The store Linux only (PEM) has no path for "
                              "Windows hosts")
    assert "CB_Node_A" not in message and "CB_Node_B" not in message
    assert refused.value.field == "store"
    assert all(section(node) == {} for node in nodes_of(env.cluster))


def test_it_works_on_an_scs_cluster_whose_own_section_is_not_allowed(env):
    cluster_apply(cluster=env.cluster_scs, provider="PEM", store=env.pem, actor=env.users["security"])
    assert section(env.node_scs) == {"provider": "PEM", "trusted-ca": "/opt/genesys/certs/certificateCA.pem"}
    assert section(env.cluster_scs) == {}


def test_mscapi_is_refused_naming_the_nodes_not_on_windows(env):
    with pytest.raises(SectionRefused) as refused:
        cluster_apply(cluster=env.cluster, provider="MSCAPI", store=None, actor=env.users["security"])
    message = refused.value.message
    assert "CB_Node_A (cb-linux-01, Linux)" in message and "CB_Node_B" in message
    assert "CB_Node_Win" not in message
    assert all(section(node) == {} for node in nodes_of(env.cluster))


def test_mscapi_on_a_cluster_of_windows_nodes_is_applied(env):
    cluster_apply(cluster=env.cluster_win, provider="MSCAPI", store=env.mscapi, actor=env.users["security"])
    assert all(section(node) == {"provider": "MSCAPI"} for node in nodes_of(env.cluster_win))


def test_a_concurrent_edit_of_one_node_rolls_back_the_others(env):
    for node in nodes_of(env.cluster):
        security_section_set(application=node, provider="PEM", store=env.pem, actor=env.users["security"])
    shown = {node.pk: node.options_revision for node in nodes_of(env.cluster)}
    option_set(application=env.node_win, section="log", name="verbose", value="debug", actor=env.users["admin"])
    with pytest.raises(StaleEdit):
        cluster_apply(cluster=env.cluster, provider="PEM", store=env.pem_other, actor=env.users["security"],
                      expected_revisions=shown)
    # CB_Node_A and CB_Node_B come before CB_Node_Win and were written, then rolled back.
    for node in nodes_of(env.cluster):
        assert section(node)["trusted-ca"] == env.pem.path_for(node.host.os_type)
    assert not AuditEvent.objects.filter(message__contains="Other CA").exists()


def test_a_node_that_cannot_take_the_section_stops_the_whole_apply(env):
    env.node_b.version = "8.5.000.10"  # a Node of 8.5.000 cannot hold the section (R1)
    env.node_b.save()
    with pytest.raises(SectionRefused, match="Nothing was applied. CB_Node_B"):
        cluster_apply(cluster=env.cluster, provider="PEM", store=env.pem, actor=env.users["security"])
    assert all(section(node) == {} for node in nodes_of(env.cluster))


def test_a_cluster_without_nodes_or_not_a_cluster_is_refused(env):
    with pytest.raises(SectionRefused, match="has no Nodes"):
        cluster_apply(cluster=env.cluster_scs.__class__.objects.create(
            name="Empty", app_type="cobrowse_cluster", version="8.5.003.04"), provider="", store=None,
            actor=env.users["security"])
    with pytest.raises(SectionRefused, match="not a Co-browse Cluster"):
        cluster_apply(cluster=env.node_a, provider="", store=None, actor=env.users["security"])


# The page


def revisions(cluster) -> str:
    return ",".join(f"{n.pk}:{n.options_revision}" for n in nodes_of(cluster))


def test_the_page_applies_to_all_nodes(env, client_as):
    response = client_as("security").post(reverse("security:section_cluster", args=[env.cluster.pk]),
                                          {"provider": "PEM", "store": env.pem.pk, "revisions": revisions(env.cluster)})
    assert response.status_code == 302
    assert all(section(node)["provider"] == "PEM" for node in nodes_of(env.cluster))
    page = client_as("viewer").get(reverse("security:section", args=[env.cluster.pk])).content.decode()
    assert "All Nodes have the same security section" in page


def test_the_page_shows_the_mscapi_refusal_on_the_provider_field(env, client_as):
    response = client_as("security").post(reverse("security:section_cluster", args=[env.cluster.pk]),
                                          {"provider": "MSCAPI", "revisions": revisions(env.cluster)})
    assert response.status_code == 200
    assert "CB_Node_A" in response.context["form"].errors["provider"][0]


def test_a_node_added_since_the_page_was_opened_stops_the_apply(env, client_as):
    shown = revisions(env.cluster)
    env.node_851.cluster = env.cluster
    env.node_851.save()
    response = client_as("security").post(reverse("security:section_cluster", args=[env.cluster.pk]),
                                          {"provider": "PEM", "store": env.pem.pk, "revisions": shown})
    assert response.status_code == 200
    assert "Nodes of this Cluster changed" in response.content.decode()
    assert all(section(node) == {} for node in nodes_of(env.cluster))


@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_only_security_officers_may_apply(env, client_as, role):
    client = client_as(role)
    assert client.get(reverse("security:section_cluster", args=[env.cluster.pk])).status_code == 403
    response = client.post(reverse("security:section_cluster", args=[env.cluster.pk]),
                           {"provider": "PEM", "store": env.pem.pk, "revisions": revisions(env.cluster)})
    assert response.status_code == 403


def test_there_is_no_cluster_apply_for_a_node(env, client_as):
    assert client_as("security").get(reverse("security:section_cluster", args=[env.node_a.pk])).status_code == 404
