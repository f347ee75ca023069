"""An application's ports as a .cfg file, through the pages: export from the Server Info tab, edit the file,
import it, read the preview, apply; a refused line is named and changes nothing."""

import pytest

from applications.models import AuditEvent, Port
from tests.browser.steps import open_application, snap

pytestmark = pytest.mark.browser


def choose_file_and_preview(page, path):
    page.set_input_files("#id_ports_file", str(path))
    with page.expect_navigation():
        page.locator("#ports-import").get_by_role("button", name="Import ports (.cfg)", exact=True).click()


def test_export_edit_import_preview_apply(page, login, tmp_path):
    login("operator")
    open_application(page, "MessageServer", tab="Server Info")
    with page.expect_download() as download:
        page.locator("main").get_by_role("link", name="Export ports (.cfg)").click()
    exported = tmp_path / download.value.suggested_filename
    download.value.save_as(exported)
    text = exported.read_text()
    assert "[secure]\nport = 4021\nmode = secure\ntransport = tls=1;sec-protocol=TLSv12\n" in text

    # Mutual TLS on the secure port, a new port; the default port as exported.
    edited = tmp_path / "messageserver-ports.cfg"
    edited.write_text(text.replace("transport = tls=1;sec-protocol=TLSv12",
                                   "transport = tls=1;sec-protocol=TLSv12;tls-mutual=1")
                      + "\n[backup]\nport = 4025\nmode = secure\ntransport = tls=1\n")
    choose_file_and_preview(page, edited)
    preview = page.locator("#ports-preview")
    assert preview.locator("tr", has_text="backup").locator("td").nth(1).inner_text().startswith("new")
    assert preview.locator("tr", has_text="secure").first.locator("td").nth(1).inner_text().startswith("changed")
    assert preview.locator("tr", has_text="default").locator("td").nth(1).inner_text().startswith("unchanged")
    assert not Port.objects.filter(application__name="MessageServer", port_id="backup").exists()
    snap(page, "ports-import-preview")

    page.fill("#id_note", "mutual TLS for the Cluster")
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name="Apply these changes").click()
    assert "2 port(s) of MessageServer changed" in page.locator(".alert-success").first.inner_text()
    table = page.locator("#ports").inner_text()
    assert "backup" in table and "tls=1;sec-protocol=TLSv12;tls-mutual=1" in table
    secure = Port.objects.get(application__name="MessageServer", port_id="secure")
    assert (secure.secured, secure.mutual_tls) == (True, True)
    assert AuditEvent.objects.filter(object_type="port", message__contains="mutual TLS for the Cluster").count() == 2
    assert page.console_errors == []


def test_a_refused_line_is_named_and_nothing_is_applied(page, login, tmp_path):
    login("operator")
    open_application(page, "MessageServer", tab="Server Info")
    bad = tmp_path / "bad.cfg"
    bad.write_text("[default]\nport = 4030\n\n[secure]\nmode = upgrade\n")
    choose_file_and_preview(page, bad)
    main = page.locator("main").inner_text()
    assert "line 5: [secure] mode: Only a Configuration Server has upgrade-mode ports." in main
    assert page.locator("main").get_by_role("button", name="Apply these changes").count() == 0
    assert Port.objects.get(application__name="MessageServer", port_id="default").number == 4020
