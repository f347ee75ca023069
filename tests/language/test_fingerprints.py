"""Fingerprints in one format everywhere (upper case, colon separated, with a Copy button), and a
library search that takes a fingerprint in whatever form an operator pastes it."""

import re

import pytest
from django.conf import settings
from django.urls import reverse

from security.crypto.identity import fingerprint_query, format_fingerprint
from security.models import TrustedStore
from security.stores import store_save
from tests.certs.make_certs import INTERMEDIATE_CN, ROOT_CN
from tests.library.conftest import certificate, text_of

LIST_URL = reverse("security:certificate_list")
LOWER_HEX_64 = re.compile(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])")
FORMATTED = re.compile(r"(?:[0-9A-F]{2}:){31}[0-9A-F]{2}")


def test_a_fingerprint_is_upper_case_and_colon_separated():
    digest = "ab" * 31 + "0f"
    assert format_fingerprint(digest) == ":".join(["AB"] * 31 + ["0F"])
    assert format_fingerprint(digest, short=True) == "AB:AB:AB:AB:AB:AB:AB:AB…"
    assert format_fingerprint(format_fingerprint(digest)) == format_fingerprint(digest)


@pytest.mark.parametrize("pasted", [
    "AB:CD:EF:01", "ab:cd:ef:01", "abcdef01", "ABCDEF01", " ab cd ef 01 ", "AB-CD-EF-01",
    "SHA256 Fingerprint=AB:CD:EF:01", "sha256:abcdef01", "AB:CD:EF:01…",
])
def test_the_search_reads_a_fingerprint_in_any_form(pasted):
    assert fingerprint_query(pasted) == "abcdef01"


@pytest.mark.parametrize("text", ["Co-browse Root", "ab", "a:b", "", "xyz123", "CN=Genesys"])
def test_text_that_is_no_fingerprint_is_searched_as_a_name_only(text):
    assert fingerprint_query(text) is None


@pytest.fixture
def library(client_as, import_files):
    import_files(client_as("security"), "ca.pem", "intermediate.pem")
    return client_as("viewer")


def listed(html: str) -> set[str]:
    return set(re.findall(r'<a href="/security/certificates/\d+/">([^<]+)</a>', html))


@pytest.mark.django_db
def test_the_library_finds_a_certificate_by_its_whole_fingerprint_in_every_form(library):
    root = certificate(ROOT_CN)
    whole = format_fingerprint(root.fingerprint_sha256)
    for pasted in (whole, whole.lower(), whole.replace(":", ""), root.fingerprint_sha256.upper(),
                   whole.replace(":", " "), f"SHA256 Fingerprint={whole}", whole[24:47]):
        assert listed(text_of(library.get(LIST_URL, {"q": pasted}))) == {ROOT_CN}, pasted
    assert listed(text_of(library.get(LIST_URL, {"q": "Intermediate"}))) == {INTERMEDIATE_CN}


@pytest.mark.django_db
def test_the_search_box_is_wide_enough_for_a_whole_fingerprint(library):
    html = text_of(library.get(LIST_URL))
    form = re.search(r'<form[^>]*id="certificate-search"[^>]*>', html).group(0)
    assert "search-wide" in form
    css = (settings.BASE_DIR / "static" / "css" / "app.css").read_text()
    assert re.search(r"\.search-wide\s*\{\s*max-width:\s*64rem", css)


@pytest.mark.django_db
def test_every_page_that_shows_a_fingerprint_shows_it_formatted_with_a_copy_button(library, client_as, users):
    root, intermediate = certificate(ROOT_CN), certificate(INTERMEDIATE_CN)
    store = store_save(store=TrustedStore(name="Both", provider="PEM", path="/opt/certs/both.pem"),
                       certificates=[root, intermediate], password="", actor=users["security"])
    officer = client_as("security")
    pages = {
        "library": officer.get(LIST_URL),
        "detail": officer.get(root.get_absolute_url()),
        "store": officer.get(store.get_absolute_url()),
        "store form": officer.get(reverse("security:store_edit", args=[store.pk])),
    }
    for name, response in pages.items():
        html = text_of(response)
        assert not LOWER_HEX_64.search(html), f"a raw fingerprint on the {name} page"
        assert format_fingerprint(root.fingerprint_sha256)[:23] in html, name  # whole, or its first 8 bytes
    for name in ("library", "detail", "store"):
        html = text_of(pages[name])
        copies = re.findall(r'data-copy="([^"]+)"', html)
        assert format_fingerprint(root.fingerprint_sha256) in copies, name
        assert all(FORMATTED.fullmatch(c) for c in copies), (name, copies)
        assert "/static/js/copy.js" in html, name
    assert format_fingerprint(root.fingerprint_sha256) in text_of(pages["detail"]).split('data-copy="')[0]


@pytest.mark.django_db
def test_the_upload_preview_shows_the_fingerprint_formatted(client_as, upload):
    root_pem = upload(client_as("security"), "ca.pem")
    html = text_of(root_pem)
    assert not LOWER_HEX_64.search(html)
    assert re.search(r'data-copy="(?:[0-9A-F]{2}:){31}[0-9A-F]{2}"', html)
