"""What a page opened now carries for a later save: the version of the object it shows.

Every edit form and delete confirmation carries it in a hidden field (``applications.versioning``),
and the General tab carries the options revision its "Mark as restarted" button was shown at. A test
that posts as a browser does opens the page first and sends these back.
"""

import re

VERSION = re.compile(r'<input type="hidden" name="opened_version" value="([^"]+)">')
REVISION = re.compile(r'<input type="hidden" name="revision" value="(\d+)">')


def version_on(client, url: str) -> dict[str, str]:
    """``{"opened_version": ...}`` as the page at ``url`` has it now."""
    page = client.get(url).content.decode()
    found = VERSION.search(page)
    assert found, f"no version field on {url}"
    return {"opened_version": found.group(1)}


def restart_revision(client, application) -> dict[str, str]:
    """``{"revision": ...}`` of the "Mark as restarted" button on the application's General tab."""
    page = client.get(f"/applications/{application.pk}/").content.decode()
    found = REVISION.search(page)
    assert found, "no Mark as restarted button on the General tab"
    return {"revision": found.group(1)}
