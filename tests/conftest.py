"""Shared fixtures: one user per role, clients logged in as each, and the test certificates."""

import os

import pytest
from django.contrib.auth.models import Group, User

from applications.roles import ADMINISTRATOR, OPERATOR, SECURITY_OFFICER, VIEWER, ensure_role_groups
from tests.certs.fixtures import cert_files  # noqa: F401  (session fixture: real generated certificates)

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

ROLE_USERS = {
    "viewer": VIEWER,
    "operator": OPERATOR,
    "security": SECURITY_OFFICER,
    "admin": ADMINISTRATOR,
}


def require(available: bool, what: str) -> None:
    """Skip when a real component is missing here; in CI a missing component is a failure."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI but is not available.")
    pytest.skip(f"{what} is not available here.")


@pytest.fixture
def users(db):
    ensure_role_groups()
    created = {}
    for username, role in ROLE_USERS.items():
        user = User.objects.create_user(username=username, password=f"{username}-pass-123")
        user.groups.add(Group.objects.get(name=role))
        created[username] = user
    return created


@pytest.fixture
def client_as(client, users):
    """``client_as("operator")`` → the test client logged in as that role (None: anonymous)."""

    def login(username):
        client.logout()
        if username:
            client.force_login(users[username])
        return client

    return login


# The TLS policy (issue 14: security.checks.policy) is off in the tests unless a test asks for it with
# ``@pytest.mark.tls_policy``: the worlds the other tests build (secure ports whose servers have no
# certificate, clients that do not check host names) would each gain policy findings their counts do not
# expect. The environment is for the processes tests start (Celery workers); the fixture for this one.
os.environ["TLS_POLICY_DISABLED"] = "all"
POLICY_OFF = {"disabled": ["all"], "min_protocol": "TLSv12"}
POLICY_ON = {"min_protocol": "TLSv12"}  # every rule on, the default thresholds


@pytest.fixture(autouse=True)
def tls_policy(request, settings):
    settings.TLS_POLICY = POLICY_ON if request.node.get_closest_marker("tls_policy") else POLICY_OFF


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Users of every role are created for many tests; the production hasher would dominate the run."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
