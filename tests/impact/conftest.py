from tests.api.conftest import api, tokens  # noqa: F401 - a Bearer token per role
from tests.probe.conftest import probe_world, serve  # noqa: F401 - the probe tests' servers and world
