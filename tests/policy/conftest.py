"""The policy tests use the checks' world (tests/checks/world.py) and the concurrency tests' sessions."""

from tests.checks.conftest import frozen, world  # noqa: F401
from tests.concurrency.conftest import env, sessions  # noqa: F401
