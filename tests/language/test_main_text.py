"""Operator language on the pages: no rule identifier ("(R4)") and no finding code
("store.expired") in the text an operator reads. Codes stay in a tooltip (``title``), the CSV and the API.

The pages are rendered over the demo environment plus a certificate library and two stores (one with
an expired CA, so store findings exist), after a validation sweep; the visible text of each page (tags,
attributes, scripts and styles stripped) is searched.
"""

import re
from html.parser import HTMLParser

import pytest
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from applications.models import Application, AppType, Host
from help_pages.topics import TOPICS
from security import certificates as cert_service
from security import sweeps
from security.checks.codes import CODES
from security.crypto.parse import read_upload
from security.models import Certificate, Finding, Provider, Sweep, TrustedStore
from security.stores import store_save

RULE_ID = re.compile(r"\bR[1-9]\b")
CODE = re.compile("|".join(re.escape(code) for code in CODES))


class VisibleText(HTMLParser):
    """The text of a page as a browser shows it: no tags, no attributes, no script or style."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.hidden += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


@pytest.fixture
def demo(db, cert_files, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", verbosity=0)
    from django.contrib.auth import get_user_model

    officer = get_user_model().objects.get(username="security")
    items = [(read_upload(cert_files[name].read_bytes()).details[0].der, "pem", name)
             for name in ("ca.pem", "expired-ca.pem", "leaf-nonca.pem")]
    created = cert_service.import_certificates(items=items, actor=officer).created
    good, *bad = created
    store_save(store=TrustedStore(name="Language PEM", provider=Provider.PEM, path="/opt/certs/ca.pem"),
               certificates=[good], password="", actor=officer)
    store_save(store=TrustedStore(name="Language failing", provider=Provider.PEM, path="/opt/certs/bad.pem"),
               certificates=bad, password="", actor=officer)
    sweeps.run_sweep(sweeps.sweep_create(trigger="command").pk)
    return officer


def pages_without_parameters() -> list[str]:
    """Every route that takes no parameter (lists, the dashboard, pages added later such as a findings
    page): those that answer a GET with an HTML page are searched too."""
    found = []

    def walk(patterns, prefix="", namespace=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern) and p.name and not p.pattern.converters and "(?P" not in str(p.pattern):
                found.append(f"{namespace}{p.name}")

    walk(get_resolver().url_patterns)
    return [reverse(name) for name in dict.fromkeys(found) if name not in ("login", "logout")]


def main_pages() -> list[str]:
    urls = pages_without_parameters()
    cobrowse = (AppType.COBROWSE_SERVER, AppType.COBROWSE_NODE, AppType.COBROWSE_CLUSTER)
    for app in Application.objects.all():
        urls += [app.get_absolute_url(), reverse("applications:ports", args=[app.pk]),
                 reverse("applications:connections", args=[app.pk])]
        if app.app_type in cobrowse:
            urls += [reverse("security:section", args=[app.pk]), reverse("security:setenv", args=[app.pk])]
    urls += [reverse("applications:host_detail", args=[pk]) for pk in Host.objects.values_list("pk", flat=True)]
    urls += [c.get_absolute_url() for c in Certificate.objects.all()]
    urls += [s.get_absolute_url() for s in TrustedStore.objects.all()]
    urls += [reverse("security:sweep_detail", args=[Sweep.objects.order_by("-pk").first().pk])]
    urls += [reverse("help:topic", args=[t.slug]) for t in TOPICS]
    return urls


def test_the_demo_has_findings_of_every_kind_so_the_search_below_can_fail(demo):
    codes = set(Finding.objects.values_list("code", flat=True))
    assert any(c.startswith("store.") for c in codes), codes
    assert any(c.startswith("application.") for c in codes), codes
    assert any(c.startswith("connection.") for c in codes), codes


def test_no_rule_id_and_no_finding_code_in_the_text_of_any_main_page(demo, client, django_user_model):
    client.force_login(django_user_model.objects.get(username="admin"))  # every page, the Users page too
    pages = main_pages()
    assert len(pages) > 30
    for url in pages:
        response = client.get(url)
        if response.status_code == 405 or not response.get("Content-Type", "").startswith("text/html"):
            continue  # a form's POST target, a CSV, a JSON status: no page to read
        assert response.status_code == 200, url
        text = visible_text(response.content.decode())
        assert not RULE_ID.search(text), (url, RULE_ID.search(text).group(0), text[:300])
        found = CODE.search(text)
        assert not found, (url, found.group(0))


def test_finding_codes_stay_in_the_tooltip_of_their_message(demo, client):
    client.force_login(demo)
    raw = client.get(reverse("security:review")).content.decode()
    titles = set(re.findall(r'title="([a-z]+\.[a-z_]+)"', raw))
    assert titles and titles <= set(CODES)
    store = TrustedStore.objects.get(name="Language failing")
    raw = client.get(store.get_absolute_url()).content.decode()
    assert 'title="store.expired"' in raw and 'title="store.not_ca"' in raw
    assert "store.expired" not in visible_text(raw)


def test_the_sweep_summary_says_what_it_found_in_words(demo, client):
    """The sweep page shows each finding's message (its code only in a tooltip)."""
    client.force_login(demo)
    sweep = Sweep.objects.order_by("-pk").first()
    raw = client.get(reverse("security:sweep_detail", args=[sweep.pk])).content.decode()
    text = visible_text(raw)
    expired = Finding.objects.filter(code="store.expired").first()
    assert expired is not None
    assert " ".join(expired.message.split()) in " ".join(text.split())
    assert not CODE.search(text)


def test_a_rule_id_in_a_check_message_would_be_caught(demo, client):
    """The search above is not blind: a finding message carrying "(R4)" shows up in the text."""
    finding = Finding.objects.filter(code__startswith="connection.").first()
    Finding.objects.filter(pk=finding.pk).update(message=finding.message + " (R4)")
    client.force_login(demo)
    text = visible_text(client.get(reverse("security:review") + "?failing=on").content.decode()
                        + client.get(reverse("security:review")).content.decode())
    assert RULE_ID.search(text)
