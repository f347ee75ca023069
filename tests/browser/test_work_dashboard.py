"""The dashboard points at work: from each card of the demo environment's dashboard, at most two clicks
lead to an object to fix (the card → its filtered list → the object). The findings page: filters,
counts and the CSV, at a desktop width and on a phone."""

import re

import pytest
from django.db import transaction

from applications import restart
from applications.models import Application, Option
from security import sweeps
from tests.browser.steps import snap
from tests.checks.world import World

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_with_work(browser_users, cert_files):
    """``seed_demo`` plus what its dashboard lacks to have something on every card: an expired CA in
    the library and a Node whose saved options wait for a restart; then one validation of everything."""
    World.helpers(cert_files).cert("expired-ca.pem")
    node = Application.objects.get(name="Cobrowse_Node_1")
    Option.objects.create(application=node, section="security", name="provider", value="PEM")
    with transaction.atomic():
        restart.reconcile(application_id=node.pk)
    sweep = sweeps.sweep_create(trigger="command", actor="tests")
    sweeps.run_sweep(sweep.pk)
    return browser_users


# card → (a link of its list that leads to an object to fix, what that object's page must say)
CARDS = {
    "findings": ("#findings-table tbody a", re.compile(r"/applications/\d+/(connections/)?$"), "TLS"),
    "not-ready": ("main table tbody a", re.compile(r"/applications/\d+/$"), "not ready"),
    "restart": ("main table tbody a", re.compile(r"/applications/\d+/$"), "restart required"),
    "certificates": ("main table tbody a", re.compile(r"/security/certificates/\d+/$"), "expired"),
    "not-secure": ("#review-table tbody a", re.compile(r"/applications/\d+/connections/$"), "not secure"),
    "sweep": ("#sweep-summary tbody a", re.compile(r"/(applications|security/stores)/\d+/"), ""),
}


@pytest.mark.parametrize("card", list(CARDS))
def test_each_card_leads_to_an_object_to_fix_in_two_clicks(page, login, demo_with_work, card):
    login("operator")
    page.goto("/")
    box = page.locator(f'[data-card="{card}"]')
    assert int(box.locator("[data-count]").inner_text()) > 0 if card != "sweep" else "done" in box.inner_text()
    snap(page, "dashboard-with-work")

    with page.expect_navigation():
        box.locator("a").first.click()  # click 1: the filtered list
    link_selector, object_url, says = CARDS[card]
    links = page.locator(link_selector)
    assert links.count() > 0, page.locator("main").inner_text()
    name = links.first.inner_text().split(" → ")[0].strip()
    with page.expect_navigation():
        links.first.click()  # click 2: the object

    assert object_url.search(page.url), page.url
    assert page.title().startswith(name), (name, page.title())  # the object the list named
    if says:
        assert says in page.locator("main").inner_text()
    assert not page.console_errors


def test_the_findings_page_filters_counts_and_exports(page, login, demo_with_work):
    login("viewer")
    page.locator("nav").get_by_role("link", name="Findings", exact=True).click()
    page.wait_for_url("**/security/findings/")
    total = int(page.locator("#findings-count strong").inner_text())
    warnings = page.locator('#severity-chips a[data-severity="warning"] .badge').inner_text()

    with page.expect_navigation():
        page.locator('#severity-chips a[data-severity="warning"]').click()
    assert page.locator("#findings-table tbody tr").count() == int(warnings) < total
    assert set(page.locator("#findings-table tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.severity)")) == {"warning"}

    page.select_option("#id_kind", "connection")
    page.fill("#id_q", "ChatServer")
    with page.expect_navigation():
        page.locator("#findings-filter").get_by_role("button", name="Filter").click()
    rows = page.locator("#findings-table tbody tr")
    assert rows.count() > 0 and all("ChatServer" in t for t in rows.all_inner_texts())
    # The kind's option says how many it gives with the other filters.
    assert re.fullmatch(r"Connections \(\d+\)", page.locator("#id_kind option:checked").inner_text())

    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    lines = open(download.value.path(), encoding="utf-8").read().splitlines()
    assert lines[0].startswith("severity,object kind,object")
    assert len(lines) - 1 == rows.count()
    assert not page.console_errors


@pytest.mark.parametrize("path", ["/", "/security/findings/"])
def test_on_a_phone_the_page_does_not_scroll_sideways(browser, live_server, demo_with_work, path):
    context = browser.new_context(viewport={"width": 390, "height": 844}, base_url=live_server.url)
    phone = context.new_page()
    phone.goto("/accounts/login/")
    phone.fill("#id_username", "security")
    phone.fill("#id_password", demo_with_work["security"])
    phone.click("main button[type=submit]")
    phone.wait_for_url("**/")
    phone.goto(path)
    snap(phone, f"phone{path.replace('/', '-')}")

    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()
