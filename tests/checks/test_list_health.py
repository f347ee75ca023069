"""Health on every list (issue 11, point 3): hosts show their applications' worst state, trusted stores
their own findings and the applications using them, the TLS column sorts worst first; each list
loads a page in a number of queries that does not grow with the estate."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.models import Application, AppType
from security.models import Finding
from security.stores import applications_using
from tests.checks.review_shown import shown_rows
from tests.checks.world import World

HOSTS = reverse("applications:host_list")
STORES = reverse("security:store_list")
APPS = reverse("applications:list")


def rows(response, name: str = "page") -> dict:
    return {obj.name: obj for obj in response.context[name].object_list}


def ready_node1_failing_node2(world: World):
    store = world.store("Genesys CA")
    world.security(world.node1, store=store)
    world.connect(world.cluster, world.message_secure)
    world.validate(world.cluster)
    world.validate(world.message)
    world.validate(store)
    return store


def test_a_host_shows_the_worst_state_of_its_applications(client_as, world: World):
    ready_node1_failing_node2(world)
    world.node1.host = world.windows
    world.node1.save()

    listed = rows(client_as("viewer").get(HOSTS))

    # cb-linux-01 runs the Cluster and Node_2, both not ready; the Windows host only the ready Node_1.
    assert (listed["cb-linux-01"].health.verdict, listed["cb-linux-01"].health.not_ready) == ("not ready", 2)
    assert (listed["cb-win-01"].health.verdict, listed["cb-win-01"].health.judged) == ("ready", 1)
    # Genesys servers have no TLS verdict: a host of them has none either, rather than "ready".
    assert listed["genesys-core-01"].health is None
    assert listed["cb-linux-01"].application_count == 2
    # The host's page shows the verdict of each of its applications, as the applications list does.
    on_host = client_as("viewer").get(world.linux.get_absolute_url())
    assert {a.name: a.health.verdict for a in on_host.context["applications"]} == {
        "Cobrowse_Cluster": "not ready", "Cobrowse_Node_2": "not ready"}


def test_hosts_sort_worst_first_by_their_tls_column(client_as, world: World):
    ready_node1_failing_node2(world)
    world.node1.host = world.windows
    world.node1.save()
    viewer = client_as("viewer")

    worst = [h.name for h in viewer.get(HOSTS + "?sort=tls").context["page"]]
    best = [h.name for h in viewer.get(HOSTS + "?sort=-tls").context["page"]]

    assert worst[0] == "cb-linux-01"
    assert best[-1] == "cb-linux-01"


def test_a_store_shows_its_own_findings_as_its_page_does_and_who_uses_it(client_as, world: World):
    good = ready_node1_failing_node2(world)
    expired = world.store("Old CA", certs=("expired-ca.pem",))
    world.validate(expired)
    # Named by path in a security section, never set from the store: it uses the store all the same.
    world.security(world.node2, provider="PEM", trusted_ca=expired.path)
    viewer = client_as("viewer")

    listed = rows(viewer.get(STORES))

    for store in (good, expired):
        page_findings = list(viewer.get(store.get_absolute_url()).context["store"].findings.all())
        shown = listed[store.name].health
        assert shown.errors == sum(f.severity == "error" for f in page_findings)
        assert shown.warnings == sum(f.severity == "warning" for f in page_findings)
        assert listed[store.name].used_by == len(applications_using(store))
    assert listed["Old CA"].health.errors >= 1
    assert Finding.objects.filter(store=good, severity__in=["error", "warning"]).count() == 0
    assert [name for name, _ in listed["Genesys CA"].used_by_names] == ["Cobrowse_Node_1"]
    assert [name for name, _ in listed["Old CA"].used_by_names] == ["Cobrowse_Node_2"]


def test_who_uses_a_store_counts_each_application_once_whichever_way_it_names_the_store(client_as, world):
    long_path = "/opt/genesys/" + "deep/" * 60 + "ca.pem"  # longer than the index on trusted-ca values holds
    store = world.store("Long CA", path=long_path, windows_path="C:\\Genesys\\ca.pem")
    other = world.store("Other CA", path=long_path[:-1] + "x")  # the same first 200 characters
    world.security(world.node1, store=store)  # assigned, and its trusted-ca names the path as well
    world.security(world.node2, provider="PEM", trusted_ca="C:\\Genesys\\ca.pem")
    world.security(world.cluster, provider="PEM", trusted_ca=long_path)
    world.security(world.message, provider="PEM", trusted_ca="")  # empty: no store, not a store without a path
    viewer = client_as("viewer")

    listed = rows(viewer.get(STORES))

    assert listed["Long CA"].used_by == 3
    assert [name for name, _ in listed["Long CA"].used_by_names] == [
        "Cobrowse_Cluster", "Cobrowse_Node_1", "Cobrowse_Node_2"]
    assert sorted(applications_using(store)) == sorted([world.node1.pk, world.node2.pk, world.cluster.pk])
    assert (listed["Other CA"].used_by, applications_using(other)) == (0, [])
    assert [s.name for s in viewer.get(f"{STORES}?sort=-used_by").context["page"]] == ["Long CA", "Other CA"]


def test_stores_sort_by_status_and_by_the_applications_using_them(client_as, world: World):
    ready_node1_failing_node2(world)
    expired = world.store("Old CA", certs=("expired-ca.pem",))
    world.validate(expired)
    unused = world.store("Unused CA")
    world.validate(unused)
    world.security(world.node2, store=expired)
    world.security(world.cluster, provider="PEM", trusted_ca=expired.path)
    viewer = client_as("viewer")

    def names(sort: str) -> list[str]:
        return [s.name for s in viewer.get(f"{STORES}?sort={sort}").context["page"]]

    assert names("status")[0] == "Old CA"
    assert names("used_by") == ["Unused CA", "Genesys CA", "Old CA"]  # 0, 1, 2 applications
    assert names("-used_by") == ["Old CA", "Genesys CA", "Unused CA"]


def test_the_application_list_sorts_by_tls_worst_first_and_by_enabled_state(client_as, world: World):
    ready_node1_failing_node2(world)
    world.node2.enabled = False
    world.node2.save()
    viewer = client_as("viewer")

    by_tls = [a.name for a in viewer.get(APPS + "?sort=tls").context["page"]]
    by_enabled = [a.name for a in viewer.get(APPS + "?sort=-enabled").context["page"]]

    assert by_tls[:2] == ["Cobrowse_Cluster", "Cobrowse_Node_2"]  # not ready, most errors first
    assert by_tls.index("Cobrowse_Node_1") < by_tls.index("MessageServer")  # ready before no verdict
    assert by_tls[-1] == "ConfigServer"  # never validated: last
    assert by_enabled[0] == "Cobrowse_Node_2"
    assert 'data-enabled="no"' in viewer.get(APPS).content.decode()


def test_the_review_sorts_by_client_server_and_port_both_ways(client_as, world: World):
    ready_node1_failing_node2(world)
    world.connect(world.node1, world.config_secure)
    world.connect(world.node2, world.message_default)
    for app in (world.node1, world.node2):
        world.validate(app)
    viewer = client_as("viewer")
    review = reverse("security:review")

    def listed(sort: str) -> list[tuple[str, str, str]]:
        rows = shown_rows(viewer.get(f"{review}?sort={sort}&insecure="))
        return [(r.client.name, r.server.name, r.connection.port.port_id) for r in rows]

    by_client = listed("client")
    assert by_client == sorted(by_client) and len(by_client) == 3
    assert listed("-client") == by_client[::-1]
    assert [server for _, server, _ in listed("server")] == ["ConfigServer", "MessageServer", "MessageServer"]
    assert [port for _, _, port in listed("-port")] == ["secure", "secure", "default"]
    page = viewer.get(f"{review}?sort=server&failing=on").content.decode()
    assert 'aria-sort="ascending"' in page and 'href="?sort=-server&amp;failing=on"' in page


# Query counts at two sizes


def queries(client, url: str) -> int:
    client.get(url)  # warm-up: session, user and groups
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


LISTS = [
    APPS, APPS + "?sort=tls", APPS + "?sort=-status&q=node", HOSTS, HOSTS + "?sort=tls",
    STORES, STORES + "?sort=used_by", STORES + "?sort=-status",
    reverse("security:certificate_list") + "?sort=-stores", reverse("applications:user_list") + "?sort=role",
    reverse("security:review") + "?sort=-server",
    # The other pages of benchmarks/pages.py that list the estate or read its health.
    reverse("security:review"), reverse("security:review") + "?insecure=on",
    reverse("security:certificate_list"), reverse("security:certificate_list") + "?expiring=on",
    reverse("applications:audit"), reverse("applications:audit") + "?action=create&object_type=application",
]


def application_pages(app) -> list[str]:
    """An application's General tab, Options tab and options editor (benchmarks/pages.py)."""
    return [app.get_absolute_url(), reverse("applications:options", args=[app.pk]),
            reverse("applications:options_edit", args=[app.pk])]


def grow(world: World, stores: list, hosts: int, per_host: int, prefix: str) -> None:
    for h in range(hosts):
        host = world.host(f"{prefix}-host-{h:03d}", "linux", f"10.9.{h}.1")
        cluster = world.app(f"{prefix}_Cluster_{h:03d}", AppType.COBROWSE_CLUSTER, "8.5.003.04", host=host)
        world.connect(cluster, world.message_secure)
        for n in range(per_host):
            node = world.app(f"{prefix}_Node_{h:03d}_{n:02d}", AppType.COBROWSE_NODE, "8.5.003.04", host=host,
                             cluster=cluster)
            world.security(node, store=stores[(h + n) % len(stores)])
        world.validate(cluster)


def test_every_list_with_its_health_costs_the_same_queries_for_a_small_and_a_larger_estate(client_as, world):
    stores = [world.store(f"Store {i}", certs=("ca.pem",) if i % 2 else ("expired-ca.pem",)) for i in range(3)]
    grow(world, stores, hosts=2, per_host=2, prefix="small")
    for store in stores:
        world.validate(store)
    client = client_as("admin")
    # The first Cluster of the small estate, one of its Nodes and a server: their pages are the same at both
    # sizes, the estate around them is not.
    cluster = Application.objects.get(name="small_Cluster_000")
    node = cluster.nodes.order_by("name").first()
    pages = LISTS + application_pages(cluster) + application_pages(node) + application_pages(world.message)
    small = {url: queries(client, url) for url in pages}

    more = [world.store(f"More {i}", certs=("ca.pem",)) for i in range(6)]
    grow(world, stores + more, hosts=12, per_host=5, prefix="more")
    for store in more:
        world.validate(store)

    assert {url: queries(client, url) for url in pages} == small
