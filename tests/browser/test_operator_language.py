"""Operator language in the browser (issue 11.4): a Security officer reads roles, subjects and issuers in
the upload preview, copies a fingerprint with its button, finds a certificate by a fingerprint pasted in
another form, reads findings without codes (the code is in the tooltip), and follows the Help links
from where the rules apply."""

import re

import pytest

from security.checks.codes import CODES
from security.crypto.identity import format_fingerprint
from security.models import Certificate
from tests.browser.steps import confirm_import, open_application, snap, upload_certificates
from tests.certs.make_certs import INTERMEDIATE_CN, ROOT_CN

pytestmark = pytest.mark.browser

RULE_ID = re.compile(r"\bR[1-9]\b")
CODE = re.compile(r"\b(store|application|connection)\.[a-z]+_[a-z_]+\b|\bstore\.(empty|expired|unreadable)\b")


def test_a_security_officer_reads_the_preview_copies_a_fingerprint_and_searches_with_it(login, cert_files, live_server):
    page = login("security")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)

    preview = upload_certificates(page, [cert_files["bundle.pem"], cert_files["server.pem"]])
    snap(page, "language-preview")
    roles = page.locator("main [data-field=role]").all_inner_texts()
    assert roles == ["root CA (self-signed)", "intermediate CA", "leaf (not a CA)"]
    assert "Subject:" in preview and "Issuer:" in preview
    intermediate_row = page.locator("main tr[data-role=intermediate]")
    assert INTERMEDIATE_CN in intermediate_row.locator("[data-field=subject]").inner_text()
    assert ROOT_CN in intermediate_row.locator("[data-field=issuer]").inner_text()
    page.locator("main").get_by_label("Import the certificates with warnings too").check()
    confirm_import(page)

    root = Certificate.objects.get(common_name=ROOT_CN)
    whole = format_fingerprint(root.fingerprint_sha256)
    page.goto(root.get_absolute_url())
    assert page.locator("#certificate-fingerprint .fingerprint-value").inner_text() == whole
    assert page.locator("#certificate-role").inner_text() == "root CA (self-signed)"
    button = page.locator("#certificate-fingerprint").get_by_role("button", name="Copy the SHA-256 fingerprint")
    button.click()
    page.wait_for_function("document.querySelector('#certificate-fingerprint button').textContent === 'Copied'")
    assert page.evaluate("navigator.clipboard.readText()") == whole
    snap(page, "language-certificate-detail")

    # The library: the search box holds a whole fingerprint; one pasted lower case without colons finds it.
    page.locator("nav").get_by_role("link", name="Certificates", exact=True).click()
    page.wait_for_url("**/security/certificates/")
    box = page.locator("#certificate-search input[name=q]")
    box.fill(whole)
    fits = page.evaluate("(el) => el.scrollWidth <= el.clientWidth", box.element_handle())
    assert fits, "a whole fingerprint does not fit in the search box"
    box.fill(root.fingerprint_sha256.lower())
    with page.expect_navigation():
        page.locator("#certificate-search").get_by_role("button", name="Search").click()
    names = page.locator("main table a[href^='/security/certificates/']").all_inner_texts()
    assert names == [ROOT_CN]
    assert "expires within 30 days" in page.locator(".timeline").inner_text()
    assert not page.console_errors, page.console_errors


def test_findings_read_without_codes_and_help_is_one_click_away(login):
    page = login("security")
    page.locator("nav").get_by_role("link", name="Connection review", exact=True).click()
    page.wait_for_url("**/security/review/")
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name="Validate everything now").click()
    page.goto("/security/review/")
    table = page.locator("#review-table")
    text = table.inner_text()
    assert "will fail" in text or "not ready" in text
    assert not CODE.search(text), CODE.search(text).group(0)
    tooltips = table.locator("td [title]").evaluate_all("els => els.map(e => e.title)")
    codes = {t for t in tooltips if re.fullmatch(r"[a-z]+\.[a-z_]+", t)}
    assert codes and codes <= set(CODES), tooltips
    snap(page, "language-review")

    page.locator("main").get_by_role("link", name="Help: verdicts, findings and probes").click()
    page.wait_for_url("**/help/readiness/")
    assert page.locator("h1").inner_text() == "TLS readiness, findings and probes"
    assert "stale" in page.locator("#help-body").inner_text()

    open_application(page, "Cobrowse_Node_1", tab="Security")
    main = page.locator("main").inner_text()
    assert not RULE_ID.search(main), RULE_ID.search(main).group(0)
    page.locator("main").get_by_role("link", name="Help: trusted stores and providers").click()
    page.wait_for_url("**/help/providers/")
    assert "account the Co-browse service runs as" in page.locator("#help-body").inner_text()
    page.locator("nav").get_by_role("link", name="Help", exact=True).click()
    page.wait_for_url("**/help/")
    assert page.locator("#help-topics .card").count() >= 9
    assert not page.console_errors, page.console_errors
