"""An Administrator adds a webhook channel through the pages; a certificate close to its end is noticed;
the delivery log (at 390 px too) and the certificate's page show what was sent; a user makes a calendar
address and a calendar program reads it."""

import datetime as dt

import pytest
from django.utils import timezone
from icalendar import Calendar

from notifications import service
from tests.browser.steps import snap
from tests.notifications.helpers import Receiver, issue, library

pytestmark = pytest.mark.browser

SECRET = "browser-webhook-secret-42"


@pytest.fixture
def receiver():
    r = Receiver(SECRET).start()
    yield r
    r.stop()


def test_a_webhook_channel_made_in_the_browser_receives_the_notice(login, receiver, settings):
    settings.CONSOLE_BASE_URL = "http://127.0.0.1"
    page = login("admin")
    service.run()  # what the demo environment holds already is noticed before the channel exists
    page.locator("nav").get_by_role("link", name="Notifications", exact=True).click()
    page.locator("main .nav-tabs").get_by_role("link", name="Channels", exact=True).click()
    page.locator("main").get_by_role("link", name="New channel").click()
    page.select_option("#id_kind", "webhook")
    page.fill("#id_name", "Ops hook")
    page.fill("#id_target", receiver.url)
    page.fill("#id_secret", SECRET)
    page.locator("main").get_by_label("certificate expiry").check()
    page.locator("main button[type=submit]").click()
    page.wait_for_url("**/notifications/channels/")
    row = page.locator('tr[data-channel="Ops hook"]')
    assert "webhook" in row.inner_text() and "enabled" in row.inner_text() and SECRET not in page.content()

    root = issue("Browser Root CA", timezone.now() + dt.timedelta(days=5), serial=51)
    [cert] = library(root)
    assert service.run().sent == 1
    [request] = receiver.requests
    assert request["signed"] and request["body"]["tier"] == "7"

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/notifications/deliveries/")
    assert page.locator("#deliveries tr[data-state=sent]").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    snap(page, "narrow-notifications-deliveries")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"/security/certificates/{cert.pk}/")
    panel = page.locator("#certificate-notifications")
    assert "Expires within 7 days: Browser Root CA" in panel.inner_text() and "Ops hook" in panel.inner_text()
    assert not page.console_errors


def test_a_user_makes_a_calendar_address_a_calendar_reads(login):
    page = login("viewer")
    page.goto("/notifications/mine/")
    page.locator("main").get_by_role("button", name="Make my calendar address").click()
    address = page.locator("#new-calendar-url input").input_value()
    assert address.endswith(".ics")
    path = address[address.index("/notifications/"):]
    response = page.request.get(path)
    assert response.status == 200 and response.headers["content-type"].startswith("text/calendar")
    Calendar.from_ical(response.body())
    page.locator("main").get_by_role("button", name="Revoke").click()
    page.wait_for_load_state()
    assert page.request.get(path).status == 404
