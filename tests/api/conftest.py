"""API fixtures: a token per role, and a client that sends one."""

import pytest
from django.test import Client

from api.tokens import create_token
from tests.conftest import ROLE_USERS

ROLES = [None, *ROLE_USERS]  # None: anonymous


class ApiClient:
    """Django's test client speaking JSON with a Bearer token (or none)."""

    def __init__(self, token: str | None = None):
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def call(self, method: str, path: str, body=None, **headers):
        kwargs = {"headers": {**self.headers, **headers}}
        if body is not None:
            kwargs.update(data=body, content_type="application/json")
        return getattr(self.client, method.lower())(path, **kwargs)

    def get(self, path, **headers):
        return self.call("GET", path, **headers)

    def post(self, path, body=None, **headers):
        return self.call("POST", path, {} if body is None else body, **headers)

    def put(self, path, body=None, **headers):
        return self.call("PUT", path, {} if body is None else body, **headers)

    def patch(self, path, body=None, **headers):
        return self.call("PATCH", path, {} if body is None else body, **headers)

    def delete(self, path, **headers):
        return self.call("DELETE", path, **headers)


@pytest.fixture
def tokens(users):
    """{username: token} for one user of each role."""
    return {name: create_token(user=user, name="tests").secret for name, user in users.items()}


@pytest.fixture
def api(tokens):
    """``api("operator")`` → an ApiClient with that role's token; ``api(None)``: anonymous."""

    def make(username):
        return ApiClient(tokens[username] if username else None)

    return make


# The foundation tests' small estate (hosts, a Cluster and its Node, servers, ports, options).
from tests.foundation.conftest import committed, env  # noqa: E402, F401
