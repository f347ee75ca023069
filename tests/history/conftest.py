"""The security-section environment (every R1 case, stores of each provider) with version 1 of every
application and store, as the data migration leaves an existing database."""

import pytest

from applications import history
from applications.models import Option
from security import store_history
from tests.security_section.conftest import committed, env  # noqa: F401  (fixtures)


@pytest.fixture
def world(env):  # noqa: F811
    Option.objects.create(application=env.node_a, section="log", name="verbose", value="standard")
    history.baseline(actor="test")
    store_history.baseline(actor="test")
    return env
