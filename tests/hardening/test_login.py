"""Login: throttling, safe redirects after login, session expiry."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

pytestmark = pytest.mark.django_db


def post_login(client, username, password, next_url=""):
    return client.post("/accounts/login/", {"username": username, "password": password, "next": next_url})


def test_it_logs_in_with_the_right_password(users):
    response = post_login(Client(), "viewer", "viewer-pass-123")
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_it_locks_out_after_repeated_failures_even_with_the_right_password(users):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = post_login(client, "operator", "wrong-password")
        assert response.status_code in (200, 429)
    response = post_login(client, "operator", "operator-pass-123")
    assert response.status_code == 429
    assert b"Login locked" in response.content
    assert "_auth_user_id" not in client.session


def test_lockout_of_one_user_does_not_lock_out_another(users):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        post_login(client, "operator", "wrong-password")
    assert post_login(client, "viewer", "viewer-pass-123").status_code == 302


@pytest.mark.parametrize("target", [
    "https://evil.example/phish",
    "//evil.example/phish",
    "http://127.0.0.1.evil.example/",
    "javascript:alert(1)",
])
def test_the_next_parameter_cannot_send_the_user_off_site(users, target):
    response = post_login(Client(), "viewer", "viewer-pass-123", next_url=target)
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_the_next_parameter_may_send_the_user_to_a_page_of_the_console(users):
    response = post_login(Client(), "viewer", "viewer-pass-123", next_url="/applications/")
    assert response["Location"] == "/applications/"


def test_a_session_expires_after_the_configured_age(users):
    client = Client()
    start = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        client.force_login(User.objects.get(username="viewer"))
        assert client.get("/").status_code == 200
    with time_machine.travel(start + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE - 60), tick=False):
        assert client.get("/").status_code == 200
    with time_machine.travel(start + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE + 60), tick=False):
        response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_session_cookie_ends_with_the_browser_and_is_http_only(users):
    client = Client()
    response = post_login(client, "viewer", "viewer-pass-123")
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    assert not cookie["max-age"] and not cookie["expires"]
    assert cookie["samesite"] == "Lax"


def test_logout_needs_a_post(users, client_as):
    client = client_as("viewer")
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302
