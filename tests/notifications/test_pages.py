"""The pages: access by role on every one, channels (secret never shown back, stale edit refused, bad
input kept as typed), a user's subscription, the dashboard's tiers and the certificate's page."""

import re

import pytest
import time_machine
from django.urls import reverse

from applications.models import AuditEvent
from notifications import service
from notifications.models import Channel
from tests.notifications.conftest import SECRET
from tests.notifications.helpers import utc
from tests.notifications.world import estate, webhook

pytestmark = pytest.mark.django_db

ROLES = ["viewer", "operator", "security", "admin"]


@pytest.fixture
def channel(receiver, links):
    return webhook(receiver.url, SECRET)


@pytest.mark.parametrize(("name", "args", "method", "least"), [
    ("notifications:channel_list", [], "get", "admin"),
    ("notifications:channel_new", [], "get", "admin"),
    ("notifications:channel_new", [], "post", "admin"),
    ("notifications:channel_edit", ["CH"], "get", "admin"),
    ("notifications:channel_edit", ["CH"], "post", "admin"),
    ("notifications:channel_delete", ["CH"], "get", "admin"),
    ("notifications:channel_delete", ["CH"], "post", "admin"),
    ("notifications:deliveries", [], "get", "viewer"),
    ("notifications:delivery_retry", [0], "post", "admin"),
    ("notifications:mine", [], "get", "viewer"),
    ("notifications:mine", [], "post", "viewer"),
])
def test_access_by_role(client_as, channel, name, args, method, least):
    url = reverse(name, args=[channel.pk if a == "CH" else a for a in args])
    anonymous = getattr(client_as(None), method)(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    for role in ROLES:
        response = getattr(client_as(role), method)(url, {})
        allowed = ROLES.index(role) >= ROLES.index(least)
        if allowed:
            assert response.status_code in (200, 302, 404), (role, response.status_code)
        else:
            assert response.status_code == 403, (role, response.status_code)


def test_a_webhook_channel_made_on_the_page_keeps_its_secret_hidden(client_as, receiver, links):
    admin = client_as("admin")
    bad = admin.post(reverse("notifications:channel_new"), {
        "kind": "webhook", "name": "Ops", "target": "ftp://nowhere example", "secret": "short", "events": ["expiry"],
        "enabled": "on"})
    assert bad.status_code == 200 and Channel.objects.count() == 0
    assert b"is not an http:// or https:// URL" in bad.content
    assert b'value="ftp://nowhere example"' in bad.content  # as typed
    assert b"short" not in bad.content  # the secret is never sent back, even rejected
    made = admin.post(reverse("notifications:channel_new"), {
        "kind": "webhook", "name": "Ops", "target": receiver.url, "secret": SECRET, "events": ["expiry"],
        "enabled": "on"})
    assert made.status_code == 302
    channel = Channel.objects.get()
    assert channel.secret_encrypted and SECRET not in channel.secret_encrypted
    page = admin.get(reverse("notifications:channel_edit", args=[channel.pk]))
    assert SECRET.encode() not in page.content
    assert SECRET not in str(list(AuditEvent.objects.values_list("changes", "message")))
    # An edit without a secret keeps it; a stale edit changes nothing.
    version = re.search(rb'name="opened_version" value="([^"]+)"', page.content).group(1).decode()
    ok = admin.post(reverse("notifications:channel_edit", args=[channel.pk]), {
        "kind": "webhook", "name": "Ops 2", "target": receiver.url, "secret": "", "events": [], "enabled": "on",
        "opened_version": version})
    assert ok.status_code == 302
    channel.refresh_from_db()
    assert channel.name == "Ops 2" and channel.events == [] and channel.secret_encrypted
    stale = admin.post(reverse("notifications:channel_edit", args=[channel.pk]), {
        "kind": "webhook", "name": "Ops 3", "target": receiver.url, "secret": "", "enabled": "on",
        "opened_version": version})
    assert stale.status_code == 200 and b'id="stale-edit"' in stale.content and b'value="Ops 3"' in stale.content
    channel.refresh_from_db()
    assert channel.name == "Ops 2"
    stale_delete = admin.post(reverse("notifications:channel_delete", args=[channel.pk]), {"opened_version": version})
    assert stale_delete.status_code == 200 and Channel.objects.filter(pk=channel.pk).exists()


def opened_version(page) -> str:
    return re.search(rb'name="opened_version" value="([^"]+)"', page.content).group(1).decode()


def test_a_user_subscribes_to_some_kinds(client_as, users, links):
    viewer = client_as("viewer")
    refused = viewer.post(reverse("notifications:mine"), {
        "action": "subscribe", "enabled": "on", "events": ["expiry"],
        "opened_version": opened_version(viewer.get(reverse("notifications:mine")))})
    assert b"your account has no email address" in refused.content and not Channel.objects.exists()
    users["viewer"].email = "viewer@example.test"
    users["viewer"].save()
    # Two tabs opened before the first subscription: the first to save wins, the second is told.
    first_tab = opened_version(viewer.get(reverse("notifications:mine")))
    second_tab = opened_version(viewer.get(reverse("notifications:mine")))
    viewer.post(reverse("notifications:mine"), {"action": "subscribe", "enabled": "on",
                                                "events": ["expiry", "resolved"], "opened_version": first_tab})
    channel = Channel.objects.get(user=users["viewer"])
    stale = viewer.post(reverse("notifications:mine"), {"action": "subscribe", "enabled": "on",
                                                        "events": ["readiness"], "opened_version": second_tab})
    assert stale.status_code == 200 and b'id="stale-edit"' in stale.content
    channel.refresh_from_db()
    assert (channel.kind, channel.target, channel.events) == ("email", "viewer@example.test", ["expiry", "resolved"])
    assert channel.wants("expiry") and not channel.wants("readiness")
    # An Administrator sees it listed, not editable as a channel of theirs.
    listing = client_as("admin").get(reverse("notifications:channel_list"))
    assert b"subscription of viewer" in listing.content
    assert client_as("admin").get(reverse("notifications:channel_edit", args=[channel.pk])).status_code == 404


def test_dashboard_tiers_and_the_certificate_page_show_what_was_sent(client_as, channel, receiver):
    with time_machine.travel(utc(2031, 1, 1), tick=False):
        e = estate()
        service.run()
    with time_machine.travel(utc(2031, 5, 25), tick=False):
        service.run()
        page = client_as("viewer").get(reverse("dashboard"))
        html = page.content.decode()
        row = re.search(r'<tr data-tier="7".*?</tr>', html, re.S).group(0)
        assert 'data-count>2<' in row and "Partner Root CA" in row and "Partner Issuing CA" in row
        assert re.search(r'<tr data-tier="60".*?data-count>0<', html, re.S)
        cert_page = client_as("viewer").get(reverse("security:certificate_detail", args=[e.intermediate.pk]))
    text = cert_page.content.decode()
    assert 'id="certificate-notifications"' in text
    assert "with its issuer Partner Root CA" in text
    assert "Expires within 7 days: Partner Issuing CA" in text and "ops hook" in text
    assert ">sent<" in text
