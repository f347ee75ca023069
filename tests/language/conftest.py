"""The library's upload helpers (tests/library/conftest.py), reused as they are."""

from tests.library.conftest import confirm, frozen, import_files, officer, upload  # noqa: F401
