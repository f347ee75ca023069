"""Notifications depend on applications and security; neither imports notifications (the certificate
page's panel is registered by notifications.apps). Only settings, the URLs and the console's dashboard
name it."""

from pathlib import Path

import applications
import security
from tests.foundation.test_one_way_architecture import imports_of


def test_applications_and_security_never_import_notifications():
    offenders = []
    for package in (applications, security):
        root = Path(package.__file__).parent
        modules = sorted(root.rglob("*.py"))
        assert len(modules) > 30
        offenders += [f"{path}:{line} imports {module}" for path in modules for line, module in
                      imports_of(path.read_text()) if module == "notifications" or module.startswith("notifications.")]
    assert offenders == []
