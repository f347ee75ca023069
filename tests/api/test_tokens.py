"""Personal API tokens: shown once, stored as a digest, expiry, revocation, last use, audit."""

import hashlib
import io
import logging
from datetime import timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from api.models import ApiToken
from api.tokens import create_token, revoke_token
from applications.models import AuditEvent
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db


def test_only_the_digest_is_stored(users):
    created = create_token(user=users["viewer"], name="ci")
    token = ApiToken.objects.get()
    assert token.digest == hashlib.sha256(created.secret.encode()).hexdigest()
    assert created.secret.startswith("cba_") and len(created.secret) > 40
    assert token.prefix == created.secret[:12]
    stored = [str(value) for value in ApiToken.objects.values_list().get()]
    assert not any(created.secret in value for value in stored)


def test_a_token_authenticates_as_its_user_and_records_its_last_use(users):
    created = create_token(user=users["viewer"], name="ci")
    assert ApiToken.objects.get().last_used_at is None
    assert ApiClient(created.secret).get("/api/v1/hosts/").status_code == 200
    assert ApiToken.objects.get().last_used_at is not None


def test_an_expired_token_is_refused(users):
    created = create_token(user=users["viewer"], name="ci", expires_days=1)
    assert ApiClient(created.secret).get("/api/v1/hosts/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=1, seconds=1)):
        response = ApiClient(created.secret).get("/api/v1/hosts/")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_a_revoked_token_is_refused_and_both_are_audited_without_the_secret(users):
    created = create_token(user=users["viewer"], name="ci")
    assert revoke_token(token=created.token, actor=users["viewer"])
    assert ApiClient(created.secret).get("/api/v1/hosts/").status_code == 401
    events = AuditEvent.objects.filter(object_type="api_token")
    assert sorted(events.values_list("action", flat=True)) == ["create", "revoke"]
    for event in events:
        assert created.secret not in f"{event.object_repr} {event.changes} {event.message}"
        assert created.secret[12:20] not in f"{event.object_repr} {event.changes} {event.message}"


@pytest.mark.parametrize("header", ["Bearer cba_nope", "Bearer ", "Bearer " + "x" * 5000, "Bearer cba_\u00e9"])
def test_an_unknown_or_garbled_token_is_a_401(users, header):
    response = ApiClient().get("/api/v1/hosts/", Authorization=header)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_inactive_users_token_is_refused(users):
    created = create_token(user=users["operator"], name="ci")
    users["operator"].is_active = False
    users["operator"].save()
    assert ApiClient(created.secret).get("/api/v1/hosts/").status_code == 401


def test_the_token_never_appears_in_responses_or_logs(users, caplog):
    created = create_token(user=users["admin"], name="ci")
    client = ApiClient(created.secret)
    with caplog.at_level(logging.DEBUG):
        bodies = [client.get(path).content.decode() for path in
                  ("/api/v1/hosts/", "/api/v1/schema/", "/api/v1/hosts/999999/")]
        bodies.append(client.post("/api/v1/hosts/", {"name": 1}).content.decode())
    assert not any(created.secret in body for body in bodies)
    assert created.secret not in caplog.text


def test_the_token_is_rate_limited_per_token(users, settings):
    from django.core.cache import caches

    caches["api_throttle"].clear()
    settings.API_TOKEN_RATE = "3/min"
    first = ApiClient(create_token(user=users["viewer"], name="a").secret)
    second = ApiClient(create_token(user=users["viewer"], name="b").secret)
    assert [first.get("/api/v1/hosts/").status_code for _ in range(3)] == [200] * 3
    response = first.get("/api/v1/hosts/")
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert int(response["Retry-After"]) > 0
    assert second.get("/api/v1/hosts/").status_code == 200  # another token has its own count
    caches["api_throttle"].clear()


def test_the_command_prints_a_token_on_one_line(users):
    out = io.StringIO()
    call_command("api_token", "operator", "--name", "deploy", "--expires-days", "7", stdout=out)
    secret = out.getvalue().strip()
    assert "\n" not in secret and secret.startswith("cba_")
    token = ApiToken.objects.get(name="deploy")
    assert token.user.username == "operator"
    assert timedelta(days=6, hours=23) < token.expires_at - timezone.now() <= timedelta(days=7)
    assert ApiClient(secret).get("/api/v1/hosts/").status_code == 200


@pytest.mark.parametrize(("args", "message"), [(["nobody"], "No active user named 'nobody'."),
                                               (["viewer", "--expires-days", "0"], "whole number of days")])
def test_the_command_says_what_is_wrong_in_one_line(users, args, message):
    with pytest.raises(CommandError) as raised:
        call_command("api_token", *args, stdout=io.StringIO())
    assert message in str(raised.value) and "\n" not in str(raised.value)


def test_the_profile_page_creates_shows_once_lists_and_revokes(client_as, users):
    client = client_as("viewer")
    response = client.post("/profile/tokens/", {"action": "create", "name": "laptop", "expires_days": "30"})
    assert response.status_code == 200
    secret = response.context["new_secret"]
    assert secret.startswith("cba_") and secret in response.content.decode()
    page = client.get("/profile/tokens/").content.decode()
    assert secret not in page and "laptop" in page and secret[:12] in page
    token = ApiToken.objects.get(name="laptop")
    client.post("/profile/tokens/", {"action": "revoke", "token": token.pk})
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_a_user_cannot_revoke_someone_elses_token(client_as, users):
    other = create_token(user=users["admin"], name="admins").token
    response = client_as("viewer").post("/profile/tokens/", {"action": "revoke", "token": other.pk})
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.revoked_at is None


def test_the_profile_page_refuses_a_bad_expiry(client_as):
    response = client_as("viewer").post("/profile/tokens/", {"action": "create", "name": "x", "expires_days": "-3"})
    assert response.status_code == 200 and response.context["new_secret"] is None
    assert not ApiToken.objects.exists()


def test_no_token_appears_in_the_schema_even_as_an_example(users):
    import re

    created = create_token(user=users["viewer"], name="ci")
    schema = ApiClient(created.secret).get("/api/v1/schema/?format=json").content.decode()
    assert not re.search(r"cba_[A-Za-z0-9_-]{8,}", schema)
    assert created.secret not in schema
