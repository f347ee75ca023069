"""The audit page shows the chain's state: an Administrator verifies it, sees it intact, then broken
after an event is edited in the database; anyone who reads the page downloads what it filters."""

import csv
import io

import pytest

from applications.models import AuditEvent
from tests.browser.steps import snap

pytestmark = pytest.mark.browser


def open_audit(page) -> None:
    page.locator("nav").get_by_role("link", name="Audit", exact=True).click()
    page.wait_for_url("**/audit/")


def test_an_administrator_verifies_the_chain_and_sees_it_broken_after_an_edit_in_the_database(login):
    page = login("admin")
    open_audit(page)
    state = page.get_by_test_id("audit-chain")
    assert "Audit trail not verified yet" in state.inner_text()
    state.get_by_role("button", name="Verify now").click()
    page.wait_for_url("**/audit/")
    events = AuditEvent.objects.count()
    assert f"Audit trail intact, {events} event" in state.inner_text()
    assert "by admin" in state.inner_text()
    assert "alert-success" in state.get_attribute("class")
    snap(page, "audit-chain-intact")

    edited = AuditEvent.objects.order_by("id").first()
    AuditEvent.objects.filter(pk=edited.pk).update(actor_name="nobody")
    state.get_by_role("button", name="Verify now").click()
    page.wait_for_url("**/audit/")
    text = state.inner_text()
    assert f"Audit trail broken at event #{edited.pk}" in text and ": changed." in text
    assert "alert-danger" in state.get_attribute("class")
    snap(page, "audit-chain-broken")
    assert not page.console_errors


def test_a_viewer_sees_the_state_without_verify_now_and_downloads_the_filtered_trail(login):
    page = login("viewer")
    open_audit(page)
    assert "Audit trail not verified yet" in page.get_by_test_id("audit-chain").inner_text()
    assert page.get_by_role("button", name="Verify now").count() == 0
    page.fill("#id_actor", "seed_demo")
    page.locator("main").get_by_role("button", name="Filter").click()
    page.wait_for_url("**/audit/?*")
    with page.expect_download() as download:
        page.locator("main").get_by_role("link", name="CSV", exact=True).click()
    assert download.value.suggested_filename.startswith("audit-trail-")
    rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    assert rows and {row["actor"] for row in rows} == {"seed_demo"}
    assert len(rows) == AuditEvent.objects.filter(actor_name__icontains="seed_demo").count()
