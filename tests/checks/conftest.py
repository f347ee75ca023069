import pytest
import time_machine

from tests.certs.make_certs import REFERENCE_NOW
from tests.checks.world import World


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Users of every role are created for many tests; the real hasher would dominate the runtime.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def frozen():
    """The clock stopped at the certificate fixtures' REFERENCE_NOW (2026-06-01 UTC)."""
    with time_machine.travel(REFERENCE_NOW, tick=False):
        yield REFERENCE_NOW


@pytest.fixture
def world(db, cert_files, frozen):
    return World(cert_files)
