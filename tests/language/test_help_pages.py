"""The rules explained inside the product: a Help page per topic, linked from where each rule applies,
and no link to a topic that does not exist (the slug converter would turn a typo into a 404 link)."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from help_pages.topics import BY_SLUG, TOPICS

TEMPLATES = Path(settings.BASE_DIR) / "templates"
LINK = re.compile(r"""\{%\s*url\s+'help:topic'\s+'([^']+)'\s*%\}""")
CODE_LINK = re.compile(r"""["']help_topic["']\s*:\s*["']([^"']+)["']""")


def linked_topics() -> dict[str, set[str]]:
    """Topic → the templates (and views) that link to it."""
    found: dict[str, set[str]] = {}
    for template in TEMPLATES.rglob("*.html"):
        for slug in LINK.findall(template.read_text()):
            found.setdefault(slug, set()).add(str(template.relative_to(TEMPLATES)))
    for module in Path(settings.BASE_DIR).glob("*/views*.py"):
        for slug in CODE_LINK.findall(module.read_text()):
            found.setdefault(slug, set()).add(module.name)
    return found


def test_every_help_link_names_a_topic_that_exists():
    links = linked_topics()
    assert links, "no help link found: the pattern above no longer matches the templates"
    assert set(links) <= set(BY_SLUG), set(links) - set(BY_SLUG)


def test_every_topic_is_linked_from_a_page_outside_the_help():
    outside = {slug: {t for t in where if not t.startswith("help/")} for slug, where in linked_topics().items()}
    assert {t.slug for t in TOPICS} <= {slug for slug, where in outside.items() if where}


@pytest.mark.parametrize(("template", "topics"), [
    ("security/section.html", {"security-section", "providers", "setenv", "restart"}),
    ("security/store_detail.html", {"providers"}),
    ("security/store_form.html", {"providers", "impact"}),
    ("security/_store_impact.html", {"impact"}),
    ("security/store_list.html", {"providers"}),
    ("security/review.html", {"readiness", "connections"}),
    ("security/_app_security_panel.html", {"readiness"}),
    ("security/setenv.html", {"setenv"}),
    ("security/certificate_upload.html", {"certificates"}),
    ("security/certificate_preview.html", {"certificates"}),
    ("security/certificate_fetch.html", {"certificates"}),
    ("security/certificate_fetch_preview.html", {"certificates"}),
    ("security/_connections_placement.html", {"connections"}),
    ("applications/detail_general.html", {"restart"}),
    ("applications/user_list.html", {"roles"}),
    ("console/dashboard.html", {"notifications"}),
])
def test_the_pages_where_a_rule_applies_link_to_its_topic(template, topics):
    assert topics <= set(LINK.findall((TEMPLATES / template).read_text()))


def test_every_topic_has_its_page_and_each_page_explains_its_rule(client_as):
    client = client_as("viewer")
    says = {
        "security-section": ["8.5.000", "8.5.001", "8.5.003", "Solution Control Server", "truststore-password"],
        "providers": ["PEM", "JKS", "MSCAPI", "alias", "root", "account the Co-browse service runs as"],
        "certificates": ["root CA (self-signed)", "intermediate CA", "leaf (not a CA)", "Copy", "expires within 30"],
        "connections": ["secure", "Co-browse Cluster", "8.5.001", "not secure"],
        "mutual-tls": ["certificate of its own"],
        "restart": ["after restart", "Mark as restarted"],
        "readiness": ["not checked yet", "stale", "Probe again", "code"],
        "setenv": ["setenv.sh", "setenv.bat", "Connections tab"],
        "roles": ["Viewer", "Operator", "Security officer", "Administrator"],
        "notifications": ["effective expiry", "60, 30, 14, 7 and 1 days", "X-Signature", "HMAC-SHA256",
                          "unconfirmed", "Revoke"],
        "impact": ["Confirm and save", "loses trust", "gains trust", "unknown", "dry_run=1", "tls-target-name-check"],
    }
    assert set(says) == {t.slug for t in TOPICS}
    for topic in TOPICS:
        response = client.get(reverse("help:topic", args=[topic.slug]))
        assert response.status_code == 200
        text = " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())
        assert topic.title in text
        for words in says[topic.slug]:
            assert words in text, (topic.slug, words)
        assert not re.search(r"\bR[1-9]\b", text), topic.slug
        assert not re.search(r"https?://(?!127\.0\.0\.1|localhost)", response.content.decode()), topic.slug
