"""The connection map in the browser (issue 14.5): from the navigation to the map of the validated demo
environment, then a box to its application and an arrow to its connection, as a person clicks them."""

import pytest

from applications.models import Application, Connection
from security import sweeps
from security.review import review_rows, with_row_data
from tests.browser.steps import snap

pytestmark = pytest.mark.browser


def test_the_map_opens_from_the_navigation_and_its_box_and_arrow_lead_to_their_pages(login):
    sweeps.run_sweep(sweeps.sweep_create(trigger="command").pk)
    rows = review_rows(list(with_row_data(Connection.objects.all())))
    verdicts = {row.connection.pk: row.verdict.state for row in rows}
    page = login("viewer")
    page.locator("nav").get_by_role("link", name="Connection map", exact=True).click()
    page.wait_for_url("**/security/map/")
    assert page.locator("h1").inner_text() == "Connection map"
    snap(page, "connection-map")

    # Every connection is an arrow with its review verdict, every application a box.
    arrows = page.locator("#connection-map g.map-connection")
    drawn = {int(g.get_attribute("id").removeprefix("connection-")): g.get_attribute("class").split("verdict-")[1]
             for g in arrows.all()}
    assert drawn == verdicts
    assert page.locator("#connection-map g.map-app").count() == Application.objects.count()

    # A box: its application's page.
    message = Application.objects.get(name="MessageServer")
    page.locator(f"#app-{message.pk} a").click()
    page.wait_for_url(f"**/applications/{message.pk}/")
    assert page.locator("h1").inner_text().startswith("MessageServer")

    # An arrow (its port label, the part of it one can aim at): the connection on its client's tab.
    page.go_back()
    page.wait_for_url("**/security/map/")
    connection = Connection.objects.select_related("client", "port").filter(
        client__name="Cobrowse_Server_850", port__port_id="default").get()
    page.locator(f"#connection-{connection.pk} a text").click()
    page.wait_for_url(f"**/applications/{connection.client_id}/connections/#connection-{connection.pk}")
    row = page.locator(f"tr#connection-{connection.pk}")
    assert row.is_visible() and connection.port.application.name in row.inner_text()
    assert not page.console_errors


def test_the_map_on_a_phone_scrolls_inside_its_frame(login, page):
    page.set_viewport_size({"width": 390, "height": 844})
    login("viewer")
    page.goto("/security/map/?group=host")
    snap(page, "connection-map-390")
    frame = page.locator("#connection-map")
    assert frame.is_visible()
    # The page itself is no wider than the screen; the picture scrolls in its frame.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert not page.console_errors
