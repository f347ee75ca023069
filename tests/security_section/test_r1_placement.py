"""R1: which object holds the security section, for each version and with SCS (J4)."""

import pytest
from django.urls import reverse

from applications.models import Option
from security.section import SectionRefused, security_section_set


def set_pem(app, env):
    return security_section_set(application=app, provider="PEM", store=env.pem, actor=env.users["security"])


def assert_refused(app, env, where: str):
    with pytest.raises(SectionRefused) as refused:
        set_pem(app, env)
    assert where in refused.value.message
    assert not Option.objects.filter(application=app, section="security").exists()


def test_a_850_server_holds_the_section(env):
    assert set_pem(env.server_850, env) == 2


def test_an_851_server_does_not_and_the_message_points_at_the_nodes(env):
    assert_refused(env.server_851, env, "Co-browse Node")


def test_an_851_node_holds_the_section(env):
    assert set_pem(env.node_851, env) == 2


def test_an_851_cluster_does_not_and_the_message_says_configure_the_nodes(env):
    assert_refused(env.cluster_851, env, "configure its Nodes instead")


def test_an_853_cluster_holds_the_section_without_scs(env):
    # Its Windows Node has a section of its own: only Linux Nodes take the Cluster's Linux path.
    security_section_set(application=env.node_win, provider="MSCAPI", store=env.mscapi, actor=env.users["security"])
    assert set_pem(env.cluster, env) == 2


def test_an_853_cluster_under_scs_does_not(env):
    assert_refused(env.cluster_scs, env, "Configure the Nodes instead")


def test_the_node_of_an_scs_cluster_must_hold_it(env):
    assert env.node_scs.uses_scs
    assert set_pem(env.node_scs, env) == 2


@pytest.mark.parametrize("name", ["server_850", "node_851", "cluster", "node_scs"])
def test_the_form_is_offered_on_the_right_objects(env, client_as, name):
    app = getattr(env, name)
    page = client_as("security").get(reverse("security:section", args=[app.pk])).content.decode()
    assert 'id="security-section-form"' in page


def test_on_an_scs_cluster_the_form_is_not_offered_and_the_nodes_are_linked(env, client_as):
    page = client_as("security").get(reverse("security:section", args=[env.cluster_scs.pk])).content.decode()
    assert 'id="security-section-form"' not in page
    assert "Configure the Nodes instead" in page
    assert reverse("security:section", args=[env.node_scs.pk]) in page
    assert reverse("security:section_cluster", args=[env.cluster_scs.pk]) in page


def test_on_an_851_cluster_the_form_is_not_offered_and_its_nodes_are_linked(env, client_as):
    page = client_as("security").get(reverse("security:section", args=[env.cluster_851.pk])).content.decode()
    assert 'id="security-section-form"' not in page
    assert reverse("security:section", args=[env.node_851.pk]) in page


def test_on_an_851_server_the_page_points_at_the_node_applications(env, client_as):
    page = client_as("security").get(reverse("security:section", args=[env.server_851.pk])).content.decode()
    assert 'id="security-section-form"' not in page
    assert "app_type=cobrowse_node" in page


def test_posting_to_the_wrong_object_saves_nothing(env, client_as):
    response = client_as("security").post(reverse("security:section", args=[env.cluster_scs.pk]),
                                          {"provider": "PEM", "store": env.pem.pk, "revision": 0})
    assert response.status_code == 302
    assert not Option.objects.filter(application=env.cluster_scs, section="security").exists()


def test_the_security_tab_is_shown_for_cobrowse_applications_only(env, client_as):
    client = client_as("viewer")
    node_page = client.get(reverse("applications:detail", args=[env.node_a.pk])).content.decode()
    assert reverse("security:section", args=[env.node_a.pk]) in node_page
    cs_page = client.get(reverse("applications:detail", args=[env.config_server.pk])).content.decode()
    assert "/security/applications/" not in cs_page
    assert client.get(reverse("security:section", args=[env.config_server.pk])).status_code == 404


def test_the_connections_tab_of_a_node_says_connections_belong_to_its_cluster(env, client_as):
    page = client_as("viewer").get(reverse("applications:connections", args=[env.node_a.pk])).content.decode()
    assert "TLS connections do not belong here" in page
    assert reverse("applications:connections", args=[env.cluster.pk]) in page


def test_the_connections_tab_of_a_cluster_says_they_belong_here(env, client_as):
    page = client_as("viewer").get(reverse("applications:connections", args=[env.cluster.pk])).content.decode()
    assert "connections are on the Co-browse Cluster" in page
    assert "do not belong here" not in page
