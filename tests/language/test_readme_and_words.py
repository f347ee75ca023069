"""The README points to nothing outside the repository; one word and one colour per idea in the badges;
the expiry timeline marks short-lived certificates and its legend says "expires within 30 days"."""

import datetime as dt
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from security.timeline import MIN_BAR, SHORT_LIVED_DAYS, build_timeline

ROOT = Path(settings.BASE_DIR)
TEMPLATES = ROOT / "templates"


def test_the_readme_links_only_to_files_of_the_repository():
    readme = (ROOT / "README.md").read_text()
    for target in re.findall(r"\]\(([^)]+)\)", readme):
        path = target.split("#", 1)[0]
        assert not re.match(r"[a-z]+:", target), target
        assert (ROOT / path).exists(), target
    assert "../" not in readme
    for url in re.findall(r"https?://[^\s)`]+", readme):
        assert re.match(r"https?://(127\.0\.0\.1|localhost)\b", url), url


def test_the_readme_names_no_rule_by_its_number():
    assert not re.search(r"\bR[1-9]\b", (ROOT / "README.md").read_text())


@pytest.mark.parametrize(("secured", "word", "colour"), [(True, "TLS", "text-bg-success"),
                                                          (False, "not secure", "text-bg-warning")])
def test_a_port_is_tls_or_not_secure_in_one_colour_each(secured, word, colour):
    html = render_to_string("_tls_badge.html", {"secured": secured})
    assert re.fullmatch(rf'\s*<span class="badge {colour}" data-tls="[a-z-]+">{word}</span>\s*', html), html


BADGE = re.compile(r'<span class="badge ([^"]*)"[^>]*>([^<{]+)</span>')
SYNONYMS = {"secured", "not secured", "insecure", "unsecured", "non-secure", "plain", "unencrypted", "encrypted",
            "ssl", "tls enabled", "secure"}


def all_templates() -> list[Path]:
    return sorted(TEMPLATES.rglob("*.html"))


def test_no_template_says_it_with_another_word_or_another_colour():
    """Every literal badge reading "TLS" or "not secure" uses the colour of _tls_badge.html, and no badge
    uses a synonym ("secured", "insecure", "plain", …)."""
    colours = {"TLS": "text-bg-success", "not secure": "text-bg-warning", "ready": "text-bg-success",
               "not ready": "text-bg-danger", "not checked yet": "text-bg-secondary"}
    seen = 0
    for template in all_templates():
        for classes, word in BADGE.findall(template.read_text()):
            word = word.strip()
            assert word.lower() not in SYNONYMS, (template.name, word)
            if word in colours:
                seen += 1
                assert colours[word] in classes.split(), (template.name, word, classes)
    assert seen >= 5


def test_the_verdict_badge_gives_each_state_one_colour():
    from security.checks.verdict import NOT_READY, NOT_SECURE, READY, UNCHECKED, Verdict

    expected = {READY: "text-bg-success", NOT_READY: "text-bg-danger", NOT_SECURE: "text-bg-warning",
                UNCHECKED: "text-bg-secondary"}
    for state, colour in expected.items():
        html = render_to_string("security/_verdict_badge.html", {"verdict": Verdict(state=state)})
        assert f"badge verdict {colour}" in html, (state, html)
    port_badge = render_to_string("_tls_badge.html", {"secured": False})
    assert expected[NOT_SECURE] in port_badge  # "not secure" is yellow for a port and for a verdict


NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def cert(cn: str, days_before: int, days_after: int):
    return SimpleNamespace(common_name=cn, subject=f"CN={cn}", not_before=NOW - dt.timedelta(days=days_before),
                           not_after=NOW + dt.timedelta(days=days_after), get_absolute_url=lambda: "/c/")


def test_a_short_lived_certificate_gets_a_visible_bar_and_a_mark():
    timeline = build_timeline([cert("Root", 3650, 3650), cert("Short", 1, 6), cert("Quarter", 10, 100)],
                              now=NOW, soon_days=30)
    root, short, quarter = timeline.bars
    assert not root.short_lived and not quarter.short_lived
    assert short.short_lived and short.width >= MIN_BAR
    assert "short-lived: valid for 7 days" in short.title
    xs = [float(p.split(",")[0]) for p in short.mark_points.split()]
    assert min(xs) <= short.x + short.width / 2 <= max(xs) and max(xs) - min(xs) >= 12
    assert SHORT_LIVED_DAYS == 90


def short_lived_ca_pem() -> bytes:
    """A real CA certificate valid for 7 days around the frozen clock (as an ACME-style short-lived one)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    from tests.certs.make_certs import REFERENCE_NOW

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Co-browse Short-lived CA")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(0x5001).not_valid_before(REFERENCE_NOW - dt.timedelta(days=2))
            .not_valid_after(REFERENCE_NOW + dt.timedelta(days=5))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM)


@pytest.mark.django_db
def test_the_library_legend_says_expires_within_30_days_and_marks_the_short_lived(client_as, import_files, frozen):
    from tests.library.conftest import text_of

    import_files(client_as("security"), "ca.pem", ("short.pem", short_lived_ca_pem()))
    html = " ".join(text_of(client_as("viewer").get(reverse("security:certificate_list"))).split())
    assert "expires within 30 days" in html
    assert "short-lived (valid for less than 90 days)" in html
    marks = re.findall(r"<polygon[^>]*data-short-lived><title>([^<]*)</title>", html)
    assert marks == ["Co-browse Short-lived CA: 2026-05-30 → 2026-06-06 (short-lived: valid for 7 days)"]
