"""Two tabs on one trusted store, as it was seen: a CA removed in one tab came back when a tab opened
earlier saved only a new description. Now the second save changes nothing and says why."""

import pytest

from security import certificates as cert_service
from security.models import Certificate, Provider, TrustedStore
from security.stores import store_save
from tests.browser.steps import snap
from tests.certs.make_certs import INTERMEDIATE_CN, ROOT_CN

pytestmark = pytest.mark.browser


@pytest.fixture
def partners_store(browser_users, cert_files):
    items = [(cert_files[name].read_bytes(), "der", name) for name in ("ca.crt", "intermediate.crt")]
    cert_service.import_certificates(items=items, actor="tests")
    certificates = {c.common_name: c for c in Certificate.objects.all()}
    return store_save(store=TrustedStore(name="Partners", provider=Provider.PEM, path="/opt/genesys/certs/partners.pem",
                                         description="CAs of the partner sites"),
                      certificates=[certificates[ROOT_CN], certificates[INTERMEDIATE_CN]], password=None,
                      actor="tests")


def test_a_tab_opened_before_a_ca_was_removed_cannot_put_it_back(login, partners_store):
    first = login("security")
    edit = f"/security/stores/{partners_store.pk}/edit/"
    second = first.context.new_page()  # the tab opened earlier
    second.goto(edit)
    first.goto(edit)

    # Tab 1: the intermediate CA is removed from the store.
    first.locator("main").get_by_label(INTERMEDIATE_CN).uncheck()
    with first.expect_navigation():
        first.locator("main button[name=_save]").click()
    assert "Saved the trusted store Partners." in first.locator(".alert-success").inner_text()

    # Tab 2, opened before, changes only the description.
    second.fill("#id_description", "Partner CAs, reviewed")
    with second.expect_navigation():
        second.locator("main button[name=_save]").click()
    snap(second, "stale-edit-trusted-store")

    banner = second.locator("#stale-edit")
    assert banner.is_visible()
    text = " ".join(banner.inner_text().split())
    assert "Changed by someone else since you opened this page: the trusted store Partners." in text
    assert "Nothing was saved." in text
    assert "security at" in text and "certificates: 2 → 1" in text and f"removed: {INTERMEDIATE_CN} → —" in text
    assert second.locator("#id_description").input_value() == "Partner CAs, reviewed"  # the entry is kept
    members = TrustedStore.objects.get(pk=partners_store.pk).certificates.values_list("common_name", flat=True)
    assert list(members) == [ROOT_CN], "the removed CA is back in the store"
    assert TrustedStore.objects.get(pk=partners_store.pk).description == "CAs of the partner sites"

    # Reload shows the store as it is now; the description saved then keeps the CA out.
    with second.expect_navigation():
        banner.get_by_role("link", name="Reload the current values").click()
    assert not second.locator("#stale-edit").count()
    assert not second.locator("main").get_by_label(INTERMEDIATE_CN).is_checked()
    second.fill("#id_description", "Partner CAs, reviewed")
    with second.expect_navigation():
        second.locator("main button[name=_save]").click()
    store = TrustedStore.objects.get(pk=partners_store.pk)
    assert store.description == "Partner CAs, reviewed"
    assert list(store.certificates.values_list("common_name", flat=True)) == [ROOT_CN]
    assert not first.console_errors
