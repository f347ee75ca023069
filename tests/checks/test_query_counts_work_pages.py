"""The findings page, its CSV, the dashboard and the lists its cards link to read what they show in a
number of queries that does not grow with the estate (the figures are in benchmarks/pages.py)."""

import pytest
from django.urls import reverse

from applications.models import AppType, PendingRestartChange
from tests.checks.test_query_counts import queries
from tests.checks.world import World


def grow(w: World, start: int, stop: int, store) -> None:
    """Clusters ``start`` to ``stop`` with a Node each, on a host of their own, with findings of every kind."""
    for i in range(start, stop):
        host = w.host(f"extra-host-{i}", "linux", f"10.9.0.{i + 1}")
        cluster = w.app(f"Extra_Cluster_{i}", AppType.COBROWSE_CLUSTER, "8.5.003.04", host=host)
        node = w.app(f"Extra_Node_{i}", AppType.COBROWSE_NODE, "8.5.003.04", host=host, cluster=cluster)
        w.security(node, provider="PEM")
        w.connect(cluster, w.message_default)
        w.connect(node, w.message_secure)
        PendingRestartChange.objects.create(application=node, section="security", name="provider",
                                            running_value="", new_value="PEM")
        w.validate(cluster)
    w.validate(w.store(f"Old CA {stop}", certs=("expired-ca.pem",)))
    w.validate(store)


URLS = [
    reverse("dashboard"),
    reverse("security:findings"),
    reverse("security:findings") + "?page=2",
    reverse("security:findings") + "?severity=warning&app_type=cobrowse_cluster",
    reverse("security:findings") + "?q=Extra",
    reverse("security:findings_export"),
    reverse("applications:list") + "?not_ready=on",
    reverse("security:certificate_list") + "?expiring=on",
    # The pages of benchmarks/pages.py whose cost issue 11 bounds, with their filters and orders.
    reverse("security:findings") + "?kind=connection&host=__host__&cluster=__cluster__",
    reverse("security:findings") + "?q=Extra&severity=warning",
    # Nothing matches at the small size, some findings at the larger one: the same queries.
    reverse("security:findings") + "?q=extra_cluster_29",
    # Under the count limit at the small size, over it at the larger one (TEXT_COUNT_LIMIT 20 below).
    reverse("security:findings") + "?q=Extra&page=2",
    reverse("security:findings") + "?q=Extra&host=__host__",
    reverse("applications:list"),
    reverse("applications:list") + "?app_type=cobrowse_node&version=%3E%3D8.5.003&sort=-version&page=2",
    reverse("applications:list") + "?q=Extra&sort=host",
    reverse("applications:list") + "?restart=on",
    reverse("applications:list") + "?sort=tls",
    reverse("applications:host_list"),
    reverse("applications:host_list") + "?sort=tls",
]


@pytest.mark.parametrize("url", URLS)
def test_the_page_costs_the_same_queries_with_two_or_thirty_clusters(client_as, world, url, monkeypatch):
    # Small pages so "page 2" exists at both sizes.
    monkeypatch.setattr("security.views_findings.PAGE_SIZE", 5)
    monkeypatch.setattr("applications.views.PAGE_SIZE", 3)
    monkeypatch.setattr("security.findings.TEXT_COUNT_LIMIT", 20)
    monkeypatch.setattr("security.views_findings.TEXT_COUNT_LIMIT", 20)
    store = world.store("Old CA", certs=("expired-ca.pem",))
    grow(world, 0, 2, store)
    client = client_as("viewer")
    url = url.replace("__host__", str(world.linux.pk)).replace("__cluster__", str(world.cluster.pk))

    def fetch():
        response = client.get(url)
        assert response.status_code == 200
        if url.endswith(".csv"):
            b"".join(response.streaming_content)

    fetch()
    small = queries(fetch)
    grow(world, 2, 30, store)

    if "page=2" in url and url.startswith(reverse("security:findings")):
        # A page that straddles two severities reads each through its index: one query more at the
        # small size (errors and warnings on page 2), never more than one per severity.
        assert queries(fetch) <= small
    else:
        assert queries(fetch) == small
