"""The console as an operator's daily screen (issue 11, points 3 and 6), in Chromium.

Health on every list and headers that sort (keeping the filters), the current section marked in the
navigation, the filter bar on one row at 1440 px, and no main page scrolling sideways at 390 px.

The demo environment with a few certificates and two trusted stores (one set in Node 1's security
section, one holding an expired CA), validated once as the "Validate everything now" button does.
"""

import pytest
from django.urls import reverse

from applications.models import Application, AppType, Host
from security import sweeps
from security.models import Certificate, TrustedStore
from tests.browser.steps import snap
from tests.checks.world import World

pytestmark = pytest.mark.browser

NARROW = {"width": 390, "height": 844}
WIDE = {"width": 1440, "height": 900}

# Every main page, walked at 390 px: (label, URL name, the object it needs or None). Objects: "node"
# (a Co-browse Node with options), "server" (a server application with ports), "cluster", "host",
# "cert", "store". Add a page here when the console gains one.
MAIN_PAGES = [
    ("dashboard", "dashboard", None),
    ("applications list", "applications:list", None),
    ("application: General", "applications:detail", "node"),
    ("application: Server Info (ports)", "applications:ports", "server"),
    ("application: Connections", "applications:connections", "cluster"),
    ("application: Options", "applications:options", "node"),
    ("application: History", "applications:history", "node"),
    ("application: Security", "security:section", "node"),
    ("application: setenv", "security:setenv", "node"),
    ("options editor", "applications:options_edit", "node"),
    ("hosts", "applications:host_list", None),
    ("host", "applications:host_detail", "host"),
    ("certificates library", "security:certificate_list", None),
    ("certificate", "security:certificate_detail", "cert"),
    ("trusted stores", "security:store_list", None),
    ("trusted store", "security:store_detail", "store"),
    ("connection review", "security:review", None),
    ("audit", "applications:audit", None),
    ("users", "applications:user_list", None),
    ("upload certificates", "security:certificate_upload", None),
    ("fetch certificates from a server", "security:certificate_fetch", None),
    ("findings", "security:findings", None),
    ("validation sweep", "security:sweep_detail", "sweep"),
    ("connection form", "applications:connection_new", "cluster"),
    ("help", "help:index", None),
    ("help: the security section", "help:topic", "help_topic"),
    ("notifications: delivery log", "notifications:deliveries", None),
    ("notifications: channels", "notifications:channel_list", None),
    ("notifications: new channel", "notifications:channel_new", None),
    ("my notifications and calendar", "notifications:mine", None),
]


@pytest.fixture
def estate(browser_users, cert_files):
    world = World.helpers(cert_files)
    node1 = Application.objects.get(name="Cobrowse_Node_1")
    good = world.store("Genesys CA", certs=("ca.pem", "intermediate.pem"))
    world.store("Old CA", certs=("expired-ca.pem",))
    world.security(node1, store=good)
    sweep = sweeps.sweep_create(trigger="command", actor="tests")
    sweeps.run_sweep(sweep.pk)
    return {
        "node": node1.pk,
        "server": Application.objects.get(name="MessageServer").pk,
        "cluster": Application.objects.get(name="Cobrowse_Cluster").pk,
        "host": node1.host_id,
        "cert": Certificate.objects.order_by("pk").first().pk,
        "store": good.pk,
        "sweep": sweep.pk,
        "help_topic": "security-section",
    }


def url_of(url_name: str, needs: str | None, ids: dict) -> str:
    return reverse(url_name, args=[ids[needs]] if needs else [])


def test_no_main_page_scrolls_sideways_at_390_px_and_the_navigation_bar_spans_it(login, estate):
    page = login("admin")
    page.set_viewport_size(NARROW)
    too_wide = {}
    for label, url_name, needs in MAIN_PAGES:
        response = page.goto(url_of(url_name, needs, estate))
        assert response.status == 200, label
        scroll_width, inner_width, nav_width = page.evaluate(
            "[document.documentElement.scrollWidth, window.innerWidth,"
            " document.querySelector('nav.navbar').getBoundingClientRect().width]")
        if scroll_width > inner_width or nav_width < inner_width:
            too_wide[label] = (scroll_width, inner_width, nav_width)
        snap(page, f"narrow-{url_name.replace(':', '-')}")
    assert too_wide == {}
    # A wide table scrolls inside its own container instead of the page.
    page.goto(reverse("applications:list"))
    table = page.locator("#application-list")
    assert table.evaluate("t => t.closest('.table-responsive') !== null")
    assert table.evaluate("t => t.scrollWidth > window.innerWidth")


def test_the_applications_filter_bar_fits_on_one_row_at_1440_px(login, estate):
    page = login("operator")
    page.set_viewport_size(WIDE)
    page.goto(reverse("applications:list"))
    bottoms = page.eval_on_selector_all(
        "form.filter-bar > *:not([type=hidden])", "items => items.map(i => i.getBoundingClientRect().bottom)")
    assert len(bottoms) >= 6
    assert max(bottoms) - min(bottoms) <= 8, bottoms


def test_the_review_table_fits_its_container_at_1440_px_and_scrolls_inside_it_at_390(login, estate):
    """Nine columns since the Effective TLS one: at 1440 px none is clipped (the Findings were, the table
    scrolling inside its container); at 390 px the table scrolls inside it, not the page."""
    page = login("security")
    page.set_viewport_size(WIDE)
    page.goto(reverse("security:review"))
    table = page.locator("#review-table")
    widths = table.evaluate("t => [t.scrollWidth, t.closest('.table-responsive').clientWidth]")
    assert widths[0] <= widths[1], widths
    assert table.locator("tbody tr").count() > 3
    page.set_viewport_size(NARROW)
    page.goto(reverse("security:review"))
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.locator("#review-table").evaluate("t => t.scrollWidth > t.closest('.table-responsive').clientWidth")


def header(page, table: str, label: str):
    return page.locator(f"{table} thead th").filter(has_text=label)


def test_column_headers_sort_both_ways_and_keep_the_filters(login, estate):
    page = login("viewer")
    page.goto(reverse("applications:list"))
    page.select_option("#id_app_type", "cobrowse_node")
    with page.expect_navigation():
        page.locator("main form.filter-bar").get_by_role("button", name="Filter").click()
    assert header(page, "#application-list", "Name").get_attribute("aria-sort") == "ascending"

    header(page, "#application-list", "Host").get_by_role("link").click()
    page.wait_for_url("**sort=host**")
    assert "app_type=cobrowse_node" in page.url
    assert header(page, "#application-list", "Host").get_attribute("aria-sort") == "ascending"
    assert header(page, "#application-list", "Name").get_attribute("aria-sort") is None
    hosts = page.locator("#application-list tbody tr td:nth-child(4)").all_inner_texts()
    assert hosts == sorted(hosts) and len(hosts) == 4

    header(page, "#application-list", "Host").get_by_role("link").click()
    page.wait_for_url("**sort=-host**")
    assert header(page, "#application-list", "Host").get_attribute("aria-sort") == "descending"
    assert page.locator("#application-list tbody tr td:nth-child(4)").all_inner_texts() == sorted(hosts, reverse=True)
    # The filter is still applied, and filtering again keeps the order.
    assert page.locator("#id_app_type").input_value() == "cobrowse_node"
    page.fill("#id_q", "Node")
    with page.expect_navigation():
        page.locator("main form.filter-bar").get_by_role("button", name="Filter").click()
    assert "sort=-host" in page.url and "q=Node" in page.url

    # Every column of every list sorts.
    for url_name, table in (("applications:list", "#application-list"), ("applications:host_list", "#host-list"),
                            ("security:certificate_list", "#certificate-list"), ("security:store_list", "#store-list")):
        page.goto(reverse(url_name))
        headers = page.locator(f"{table} thead th")
        assert headers.count() == page.locator(f"{table} thead th a.sort-link").count() >= 4, url_name


def test_the_tls_column_shows_health_and_sorts_worst_first(login, estate):
    page = login("viewer")
    page.goto(reverse("applications:list"))
    header(page, "#application-list", "TLS").get_by_role("link").click()
    page.wait_for_url("**sort=tls**")
    first = page.locator("#application-list tbody tr").first
    assert first.locator("td[data-tls]").get_attribute("data-tls") == "not ready"
    assert "error" in first.inner_text()

    page.locator("nav").get_by_role("link", name="Hosts", exact=True).click()
    page.wait_for_url("**/hosts/")
    header(page, "#host-list", "TLS").get_by_role("link").click()
    page.wait_for_url("**sort=tls**")
    worst = page.locator("#host-list tbody tr").first
    assert worst.locator("td[data-tls]").get_attribute("data-tls") == "not ready"
    assert " of " in worst.inner_text()  # "2 of 3 applications"
    # The hosts without a Co-browse application come last (by name among themselves).
    cores = Host.objects.filter(name__startswith="genesys-core-")
    assert cores.count() == 2
    assert Application.objects.filter(host__in=cores, app_type__startswith="cobrowse").count() == 0
    rows = page.locator("#host-list tbody tr")
    assert rows.nth(rows.count() - 2).inner_text().startswith("genesys-core-01")
    assert rows.last.inner_text().startswith("genesys-core-02")

    page.locator("nav").get_by_role("link", name="Trusted stores", exact=True).click()
    page.wait_for_url("**/security/stores/")
    snap(page, "lists-stores")
    rows = {row.locator("td").first.inner_text(): row for row in page.locator("#store-list tbody tr").all()}
    assert rows["Old CA"].locator("td[data-status]").get_attribute("data-status") == "errors"
    assert rows["Genesys CA"].locator("td[data-status]").get_attribute("data-status") == "ok"
    assert "Cobrowse_Node_1" in rows["Genesys CA"].locator("td[data-used-by]").inner_text()
    assert rows["Old CA"].locator("td[data-used-by]").inner_text() == "no application"
    header(page, "#store-list", "Status").get_by_role("link").click()
    page.wait_for_url("**sort=status**")
    assert page.locator("#store-list tbody tr").first.locator("td").first.inner_text() == "Old CA"
    assert TrustedStore.objects.count() == 2


def current_items(page) -> list[str]:
    return page.locator('nav a[aria-current="page"]').all_inner_texts()


def test_the_navigation_marks_the_section_of_the_page(login, estate):
    page = login("admin")
    cluster = Application.objects.get(app_type=AppType.COBROWSE_CLUSTER, name="Cobrowse_Cluster")
    expected = [
        (reverse("dashboard"), []),
        (reverse("applications:list"), ["Applications"]),
        (reverse("security:section", args=[estate["node"]]), ["Applications"]),
        (reverse("applications:connections", args=[cluster.pk]), ["Applications"]),
        (reverse("applications:host_detail", args=[estate["host"]]), ["Hosts"]),
        (reverse("security:certificate_detail", args=[estate["cert"]]), ["Certificates"]),
        (reverse("security:store_detail", args=[estate["store"]]), ["Trusted stores"]),
        (reverse("security:review"), ["Connection review"]),
        (reverse("applications:audit"), ["Audit"]),
        (reverse("applications:user_list"), ["Users"]),
    ]
    seen = {}
    for url, _ in expected:
        page.goto(url)
        seen[url] = current_items(page)
    assert seen == dict(expected)
    assert page.locator("nav a.nav-link.active").count() == 1
