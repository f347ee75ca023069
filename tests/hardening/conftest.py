"""The foundation's environment, for the attacks on its forms."""

from tests.foundation.conftest import committed, env  # noqa: F401  (fixtures reused as they are)
