"""Issue 10, point 3, as it was seen: an Operator types Debug for [log] verbose, saves, and saves again.

The value stays Debug with its error, the second Save is refused too, nothing is stored; the page's
banner says "Nothing was saved" with every problem of the page.
"""

import pytest

from applications.models import Application, AuditEvent, Option
from tests.browser.steps import snap

pytestmark = pytest.mark.browser


def new_row(page, index: int = 0):
    return page.locator("tr", has=page.locator(f"input[placeholder='new section'] >> nth={index}")).first


def type_in_new_row(page, section: str, name: str, value: str) -> None:
    row = new_row(page)
    row.locator("input[placeholder='new section']").fill(section)
    row.locator("input[placeholder='new option']").fill(name)
    row.locator("input[name$='-value']").fill(value)


def save(page) -> None:
    with page.expect_navigation():
        page.click("main button[name=_save]")


@pytest.mark.parametrize(("application", "message"), [
    ("Cobrowse_Node_1", "Debug is not a valid value for verbose: use one of all, debug, trace, interaction, "
                        "standard or none. Did you mean debug?"),
    ("Cobrowse_Cluster", "[log] verbose already exists: change its value in its own row"),
])
def test_debug_typed_for_log_verbose_stays_debug_and_nothing_is_stored(application, message, login):
    page = login("operator")
    app = Application.objects.get(name=application)
    before = list(Option.objects.filter(application=app).values_list("section", "name", "value").order_by("id"))
    events = AuditEvent.objects.count()
    page.goto(f"/applications/{app.pk}/options/edit/")
    type_in_new_row(page, "log", "verbose", "Debug")
    save(page)
    banner = page.locator("#nothing-saved").inner_text()
    assert "Nothing was saved" in banner and message in banner
    row = page.locator("tr.table-danger").first
    assert row.locator("input[name$='-value']").input_value() == "Debug"
    assert message in row.inner_text()
    snap(page, f"options-editor-refused-{application}")

    save(page)  # the second Save sends what the page holds: Debug again, never a select's first choice
    assert "Nothing was saved" in page.locator("#nothing-saved").inner_text()
    assert page.locator("tr.table-danger input[name$='-value']").first.input_value() == "Debug"
    after = list(Option.objects.filter(application=app).values_list("section", "name", "value").order_by("id"))
    assert after == before
    assert AuditEvent.objects.count() == events
    assert not page.console_errors

    # Corrected in place, it saves (on the Node, where [log] verbose was not set yet).
    if application == "Cobrowse_Node_1":
        page.locator("tr.table-danger input[name$='-value']").first.fill("debug")
        save(page)
        assert "1 option(s) changed" in page.locator(".alert").first.inner_text()
        assert Option.objects.get(application=app, section="log", name="verbose").value == "debug"
