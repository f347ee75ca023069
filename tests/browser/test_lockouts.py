"""A real lockout through the login page, lifted by an Administrator on the Users page."""

import pytest
from django.conf import settings

from applications.models import AuditEvent
from tests.browser.steps import snap

pytestmark = pytest.mark.browser


def try_login(page, username, password):
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("main button[type=submit]")


def fits(page, width: int) -> bool:
    """At ``width`` px the page scrolls only down, never sideways."""
    page.set_viewport_size({"width": width, "height": 900})
    return page.evaluate("document.documentElement.scrollWidth") <= width


def test_a_locked_out_operator_is_told_what_happened_and_an_administrator_unlocks_them(page, login, browser_users):
    # The operator mistypes their password until the console locks the account from this address.
    page.goto("/accounts/login/")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        try_login(page, "operator", "not-my-password")
        assert page.locator("h1").inner_text() == "Log in"
    try_login(page, "operator", "not-my-password")
    assert page.locator("h1").inner_text() == "Login locked"
    text = page.locator("main").inner_text()
    assert f"too many failed logins ({settings.AXES_FAILURE_LIMIT})" in text and "operator" in text
    assert "15 minutes after the last failed attempt" in text
    assert "an Administrator of the console, on the Users page" in text
    assert "manage.py" not in text and "axes" not in text
    assert fits(page, 1440)
    snap(page, "lockout-1440")
    assert fits(page, 390)
    snap(page, "lockout-390")
    page.set_viewport_size({"width": 1440, "height": 900})

    # Even the right password is refused now, and the page leads back to the login.
    page.locator("main").get_by_role("link", name="Back to the login page").click()
    page.wait_for_url("**/accounts/login/")
    try_login(page, "operator", browser_users["operator"])
    assert page.locator("h1").inner_text() == "Login locked"

    # The Administrator sees the lockout on the Users page and lifts it.
    page.locator("main").get_by_role("link", name="Back to the login page").click()
    login("admin")
    page.locator("nav").get_by_role("link", name="Users", exact=True).click()
    page.wait_for_url("**/users/")
    item = page.locator("#lockouts [data-locked=operator]")
    assert "failed logins" in item.inner_text() and "locked until" in item.inner_text()
    assert "locked" in page.locator("#users tr[data-user=operator]").inner_text()
    assert page.locator("#users .badge", has_text="locked").count() == 1
    assert fits(page, 1440)
    snap(page, "users-locked-1440")
    assert fits(page, 390)
    snap(page, "users-locked-390")
    page.set_viewport_size({"width": 1440, "height": 900})
    with page.expect_navigation():
        item.get_by_role("button", name="Unlock operator").click()
    assert "Unlocked operator" in page.locator(".alert-success").inner_text()
    assert page.locator("#lockouts").count() == 0
    assert page.locator("#users .badge", has_text="locked").count() == 0
    event = AuditEvent.objects.get(action="unlock")
    assert (event.actor_name, event.object_repr) == ("admin", "operator")

    # The operator signs in, from the same browser and address.
    with page.expect_navigation():
        page.locator("nav").get_by_role("button", name="Log out").click()
    page.goto("/accounts/login/")
    try_login(page, "operator", browser_users["operator"])
    assert page.locator("h1").inner_text() == "Dashboard"
    assert "Operator" in page.locator("nav").inner_text()
    # The lockout page comes with its status, 429, which Chromium reports; nothing else may be an error.
    assert [e for e in page.console_errors if "status of 429" not in e] == []


def test_only_an_administrator_sees_the_users_page_and_its_unlock(page, login):
    login("security")
    assert page.locator("nav").get_by_role("link", name="Users", exact=True).count() == 0
    response = page.goto("/users/")
    assert response.status == 403
    assert "This needs the Administrator role." in page.locator("main").inner_text()
