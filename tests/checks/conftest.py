import pytest
import time_machine

from tests.certs.make_certs import REFERENCE_NOW
from tests.checks.world import World


@pytest.fixture
def frozen():
    """The clock stopped at the certificate fixtures' REFERENCE_NOW (2026-06-01 UTC)."""
    with time_machine.travel(REFERENCE_NOW, tick=False):
        yield REFERENCE_NOW


@pytest.fixture
def world(db, cert_files, frozen):
    return World(cert_files)
