"""J4, J5 and J6 in the browser: where the security section goes when SCS is used, the connection
review with its insecure filter and CSV export, and the setenv files for Configuration Server."""

import csv
import io

import pytest

from applications.models import Application, Connection
from tests.browser.steps import open_application, snap

pytestmark = pytest.mark.browser


def review_rows(page) -> set[tuple[str, str, str]]:
    """(client, server, port ID) of each row of the review table."""
    rows = set()
    for row in page.locator("#review-table tbody tr[data-connection]").all():
        cells = row.locator("td")
        rows.add((cells.nth(0).locator("a").first.inner_text(), cells.nth(1).locator("a").first.inner_text(),
                  cells.nth(2).locator(".mono").first.inner_text()))
    return rows


def connections(*, secured: bool) -> set[tuple[str, str, str]]:
    return {(c.client.name, c.port.application.name, c.port.port_id)
            for c in Connection.objects.select_related("client", "port__application").filter(port__secured=secured)}


def test_j4_on_the_scs_cluster_the_security_tab_sends_to_the_nodes(login):
    page = login("security")
    open_application(page, "Cobrowse_Cluster_SCS", tab="Security")
    snap(page, "j4-scs-cluster-security")
    placement = page.locator("#placement").inner_text()
    assert "The security section of Cobrowse_Cluster_SCS is not configured here." in placement
    assert "Solution Control Server" in placement and "Configure the Nodes instead" in placement
    assert page.locator("#security-section-form").count() == 0
    links = page.locator("#placement li a")
    assert links.all_inner_texts() == ["Cobrowse_Node_SCS_1 (Node 8.5.003.04)"]
    assert page.locator("#placement").get_by_role("link", name="Apply to all Nodes").is_visible()

    links.first.click()
    node = Application.objects.get(name="Cobrowse_Node_SCS_1")
    page.wait_for_url(f"**/security/applications/{node.pk}/security/")
    assert page.locator("h1").inner_text() == "Cobrowse_Node_SCS_1"
    assert "Solution Control Server is used: the security section must be on the Nodes." in (
        page.locator("#placement").inner_text())
    assert page.locator("#security-section-form #id_provider").is_visible()
    assert page.locator("main button[name=_save]").is_visible()
    assert not page.console_errors


def test_j5_the_review_filters_insecure_connections_and_exports_them_as_csv(login, tmp_path):
    from security import sweeps

    # As `make run` does after loading the demo: the filters read the findings of a validation.
    sweeps.run_sweep(sweeps.sweep_create(trigger="command").pk)
    page = login("viewer")
    page.locator("nav").get_by_role("link", name="Connection review", exact=True).click()
    page.wait_for_url("**/security/review/")
    everything = review_rows(page)
    assert everything == connections(secured=True) | connections(secured=False)

    page.locator("main").get_by_label("Not secure only").check()
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name="Filter").click()
    assert "insecure=on" in page.url
    snap(page, "j5-review-insecure")
    insecure = review_rows(page)
    assert ("Cobrowse_Cluster", "ChatServer", "default") in insecure
    assert insecure == connections(secured=False)
    assert not insecure & connections(secured=True)
    assert page.locator("#review-table .badge", has_text="TLS").count() == 0
    assert page.locator("main").get_by_label("Not secure only").is_checked()

    with page.expect_download() as download_info:
        page.locator("main").get_by_role("link", name="Export CSV").click()
    download = download_info.value
    assert download.suggested_filename == "connection-review.csv"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert {(r["client"], r["server"], r["port ID"]) for r in rows} == insecure
    assert {r["secured"] for r in rows} == {"no"}
    assert not page.console_errors


def test_j6_the_setenv_page_of_a_node_gives_the_secure_configuration_server_port_and_its_hosts_file(login, tmp_path):
    page = login("operator")
    open_application(page, "Cobrowse_Node_1", tab="Security")
    with page.expect_navigation():
        page.locator("main").get_by_role("link", name="Generate the setenv lines").click()
    snap(page, "j6-setenv")
    main = page.locator("main").inner_text()
    assert "Configuration Server ConfigServer on 10.0.0.5, secure port secure (2021)" in main
    lines = page.locator("#setenv-lines").inner_text()
    assert "CONFIG_SERVER_HOST\t10.0.0.5" in lines
    assert "CONFIG_SERVER_PORT\t2021" in lines
    assert "CONFIG_SERVER_APP\tCobrowse_Node_1" in lines
    # A Linux host: its file is setenv.sh, and the template says it is one.
    assert "CONFIG_SERVER_PORT=2021" in page.locator("#setenv-sh").inner_text()
    assert page.locator("#setenv-bat").count() == 0
    assert "were not read from a Co-browse release" in page.locator("#setenv-template-note").inner_text()

    with page.expect_download() as download_info:
        page.locator("main").get_by_role("link", name="Download the template").click()
    download = download_info.value
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    assert download.suggested_filename == "cobrowse_node_1-setenv.sh"
    assert "CONFIG_SERVER_PORT=2021" in path.read_text(encoding="utf-8")
    assert not page.console_errors
