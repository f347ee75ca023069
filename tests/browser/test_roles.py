"""Each role logs in and sees what it may do; a Viewer's forged POST is refused."""

import re

import pytest

from applications.models import Application

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("username, role", [
    ("viewer", "Viewer"), ("operator", "Operator"), ("security", "Security officer"), ("admin", "Administrator"),
])
def test_each_role_logs_in_and_sees_its_role(login, username, role):
    page = login(username)
    assert page.locator("nav").inner_text().count(role) == 1
    assert page.locator("h1").inner_text() == "Dashboard"
    assert not page.console_errors


def test_a_viewer_sees_no_edit_controls_and_a_forged_post_is_refused(login, live_server):
    page = login("viewer")
    node = Application.objects.get(name="Cobrowse_Node_1")
    for url in (f"/applications/{node.pk}/", f"/applications/{node.pk}/options/", "/applications/", "/hosts/",
                "/security/stores/", "/security/certificates/"):
        page.goto(url)
        text = page.locator("main").inner_text()
        for control in ("Edit", "Delete", "New application", "Upload certificates", "New trusted store",
                        "Mark as restarted", "Import .cfg"):
            assert not re.search(rf"\b{control}\b", text), f"{control!r} shown to a viewer on {url}"
    # A forged POST from the viewer's own logged-in browser, with a valid CSRF token.
    page.goto(f"/applications/{node.pk}/")
    token = page.context.cookies()
    csrf = next(c["value"] for c in token if c["name"] == "csrftoken")
    response = page.request.post(f"{live_server.url}/applications/{node.pk}/restarted/",
                                 headers={"X-CSRFToken": csrf, "Referer": live_server.url + "/"})
    assert response.status == 403
    response = page.request.post(f"{live_server.url}/hosts/new/",
                                 form={"name": "forged", "address": "1.2.3.4", "os_type": "linux"},
                                 headers={"X-CSRFToken": csrf, "Referer": live_server.url + "/"})
    assert response.status == 403
    assert not page.console_errors


def test_an_anonymous_visitor_only_gets_the_login_page(page):
    page.goto("/applications/")
    assert "/accounts/login/" in page.url
    assert page.locator("h1").inner_text() == "Log in"
