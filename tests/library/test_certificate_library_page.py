"""The certificate library: list with expiry highlighting, the expiry timeline, detail, downloads.
Time-dependent checks run on a clock frozen at the fixtures' REFERENCE_NOW (2026-06-01)."""

import re

import pytest
from django.urls import reverse

from security.crypto.identity import format_fingerprint
from security.models import Certificate
from tests.certs.make_certs import ROOT_CN
from tests.library.conftest import SOON_CN, certificate, text_of

pytestmark = pytest.mark.django_db

LIST_URL = reverse("security:certificate_list")
EXPIRED_CN, FUTURE_CN = "Co-browse Expired CA", "Co-browse Not Yet Valid CA"


@pytest.fixture
def library(frozen, client_as, import_files, soon_ca_pem):
    """Four CAs, one in each state on the frozen clock: valid, expiring soon, expired, not yet valid."""
    import_files(client_as("security"), "ca.pem", "expired-ca.pem", "notyet-ca.pem", ("soon-ca.pem", soon_ca_pem))
    assert Certificate.objects.count() == 4
    return client_as("viewer")


def rows(html: str) -> dict[str, str]:
    """Certificate name → its table row."""
    found = {}
    for row in re.findall(r"<tr class=\"[^\"]*\">.*?</tr>", html, flags=re.S):
        name = re.search(r'<a href="/security/certificates/\d+/">([^<]+)</a>', row)
        if name:
            found[name.group(1)] = row
    return found


def timeline_bars(html: str) -> dict[str, str]:
    """Bar label → its CSS class, from the SVG timeline."""
    svg = re.search(r'<svg[^>]*id="expiry-timeline".*?</svg>', html, flags=re.S)
    assert svg, "no expiry timeline on the page"
    return dict(re.findall(r'<text x="4"[^>]*>([^<]+)</text>\s*<rect class="([^"]+)"', svg.group(0)))


def test_the_list_highlights_what_expires_soon_and_what_has_expired(library):
    html = text_of(library.get(LIST_URL))

    found = rows(html)
    assert 'class="table-warning"' in found[SOON_CN] and "expires soon" in found[SOON_CN]
    assert 'class="table-danger"' in found[EXPIRED_CN] and ">expired</span>" in found[EXPIRED_CN]
    assert "not yet valid" in found[FUTURE_CN]
    assert 'class=""' in found[ROOT_CN]
    assert "expires soon" not in found[ROOT_CN]


def test_the_list_is_ordered_by_expiry(library):
    html = text_of(library.get(LIST_URL))

    assert list(rows(html)) == [EXPIRED_CN, SOON_CN, ROOT_CN, FUTURE_CN]


def test_the_timeline_has_one_bar_per_certificate_coloured_by_its_state(library):
    bars = timeline_bars(text_of(library.get(LIST_URL)))

    assert bars == {
        EXPIRED_CN: "bar-expired",
        SOON_CN: "bar-soon",
        ROOT_CN: "bar-ok",
        FUTURE_CN: "bar-future",
    }


def test_the_timeline_links_each_bar_to_its_certificate_and_marks_today(library):
    html = text_of(library.get(LIST_URL))

    svg = re.search(r'<svg[^>]*id="expiry-timeline".*?</svg>', html, flags=re.S).group(0)
    for cert in Certificate.objects.all():
        assert f'<a href="{cert.get_absolute_url()}">' in svg
    assert svg.count('class="today"') == 1
    assert "<text" in svg and ">2026<" in svg


def test_an_empty_library_has_no_timeline_and_says_so(client_as):
    html = text_of(client_as("security").get(LIST_URL))

    assert "expiry-timeline" not in html
    assert "No certificates yet." in html
    assert "Upload the CA certificate" in html


def test_the_detail_page_warns_about_a_certificate_expiring_soon(library):
    html = text_of(library.get(certificate(SOON_CN).get_absolute_url())).replace("\xa0", " ")

    assert "Expires on 2026-06-20, in 2 weeks, 5 days." in html


def test_the_detail_page_says_an_expired_certificate_has_expired(library):
    html = text_of(library.get(certificate(EXPIRED_CN).get_absolute_url()))

    assert "Expired on 2021-01-01." in html


def test_the_detail_page_shows_the_fields_of_the_certificate(library):
    root = certificate(ROOT_CN)

    html = text_of(library.get(root.get_absolute_url()))

    assert format_fingerprint(root.fingerprint_sha256) in html  # upper case, colon separated
    assert "self-signed" in html
    assert "RSA 2048" in html and "sha256" in html
    assert "2020-01-01 00:00 → 2040-01-01 00:00" in html
    assert "ca.pem (pem), uploaded" in html and "by security" in html


def test_a_viewer_does_not_get_the_delete_button(library):
    html = text_of(library.get(certificate(ROOT_CN).get_absolute_url()))

    assert reverse("security:certificate_delete", args=[certificate(ROOT_CN).pk]) not in html


def test_a_viewer_downloads_the_certificate_as_pem_and_der(library, cert_files):
    root = certificate(ROOT_CN)

    pem = library.get(reverse("security:certificate_download", args=[root.pk, "pem"]))
    der = library.get(reverse("security:certificate_download", args=[root.pk, "der"]))

    assert pem.status_code == 200 and der.status_code == 200
    assert pem.content == cert_files["ca.pem"].read_bytes()
    assert der.content == cert_files["ca.crt"].read_bytes()
    assert pem["Content-Disposition"] == 'attachment; filename="Co-browse_Test_Root_CA.pem"'
    assert der["Content-Disposition"] == 'attachment; filename="Co-browse_Test_Root_CA.crt"'
    assert pem["Content-Type"] == "application/x-pem-file"


def test_an_unknown_format_or_certificate_is_a_404(library):
    root = certificate(ROOT_CN)

    assert library.get(f"/security/certificates/{root.pk}/download/p12/").status_code == 404
    assert library.get(reverse("security:certificate_download", args=[4711, "pem"])).status_code == 404
    assert library.get(reverse("security:certificate_detail", args=[4711])).status_code == 404


def test_the_search_finds_a_certificate_by_name_or_fingerprint(library):
    root = certificate(ROOT_CN)

    by_name = rows(text_of(library.get(LIST_URL, {"q": "test root"})))
    by_fingerprint = rows(text_of(library.get(LIST_URL, {"q": root.short_fingerprint[:11]})))

    assert list(by_name) == [ROOT_CN]
    assert list(by_fingerprint) == [ROOT_CN]


def test_anonymous_users_are_sent_to_the_login_page(client_as):
    response = client_as(None).get(LIST_URL)

    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
