"""Notifications over the API: channels (Administrators, the webhook secret write-only), the delivery
log and its retry, the current user's subscription and calendar URL. The same forms, services, audit
events and versions as the pages; stale writes refused; bad input a 400 problem."""

import logging
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from applications.models import AuditEvent
from cobrowse_admin import secret_box
from notifications import send
from notifications.models import CalendarToken, Channel, Delivery, DeliveryStatus, Notice
from tests.notifications.helpers import Receiver
from tests.notifications.world import email, webhook

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
SECRET = "hook-secret-0123456789-abcdef"
CHANNELS = "/api/v1/notifications/channels/"
DELIVERIES = "/api/v1/notifications/deliveries/"
SUBSCRIPTION = "/api/v1/notifications/subscription/"
CALENDAR = "/api/v1/notifications/calendar/"
ROLES = ["viewer", "operator", "security", "admin"]


@pytest.fixture
def receiver():
    r = Receiver(SECRET).start()
    yield r
    r.stop()


@pytest.fixture
def hook(receiver):
    return webhook(receiver.url, SECRET)


@pytest.fixture(autouse=True)
def every_log_line(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


def audit_text() -> str:
    return str(list(AuditEvent.objects.values_list("object_repr", "changes", "message")))


def delivery(channel: Channel, status: str = DeliveryStatus.PENDING, key: str = "n1", **fields) -> Delivery:
    notice = Notice.objects.create(key=key, kind="expiry", subject=f"Certificate expires ({key})", body="soon")
    return Delivery.objects.create(notice=notice, channel=channel, status=status, **fields)


@pytest.mark.parametrize(("method", "path", "least"), [
    ("get", CHANNELS, "admin"),
    ("post", CHANNELS, "admin"),
    ("get", CHANNELS + "CH/", "admin"),
    ("patch", CHANNELS + "CH/", "admin"),
    ("delete", CHANNELS + "CH/", "admin"),
    ("get", DELIVERIES, "viewer"),
    ("get", DELIVERIES + "DL/", "viewer"),
    ("post", DELIVERIES + "DL/retry/", "admin"),
    ("get", SUBSCRIPTION, "viewer"),
    ("put", SUBSCRIPTION, "viewer"),
    ("get", CALENDAR, "viewer"),
    ("post", CALENDAR, "viewer"),
    ("delete", CALENDAR, "viewer"),
])
def test_each_endpoint_asks_the_role_its_page_asks(api, hook, method, path, least):
    path = path.replace("CH", str(hook.pk)).replace("DL", str(delivery(hook, DeliveryStatus.FAILED).pk))
    assert api(None).call(method.upper(), path, {} if method in ("post", "put", "patch") else None).status_code == 401
    for role in ROLES:
        response = api(role).call(method.upper(), path, {} if method in ("post", "put", "patch") else None)
        if ROLES.index(role) >= ROLES.index(least):
            assert response.status_code not in (401, 403), (role, response.status_code)
        else:
            assert response.status_code == 403, (role, response.status_code)
            assert response["Content-Type"] == PROBLEM


def test_an_administrator_makes_a_webhook_whose_secret_is_never_answered_logged_or_audited(api, receiver,
                                                                                           every_log_line):
    admin = api("admin")
    made = admin.post(CHANNELS, {"kind": "webhook", "name": "Ops", "target": receiver.url, "secret": SECRET,
                                 "events": ["readiness", "expiry"]})
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["has_secret"] is True and "secret" not in body
    assert body["events"] == ["expiry", "readiness"]  # in the kinds' own order, as the service keeps them
    assert made["Location"] == f"{CHANNELS}{body['id']}/" and made["ETag"]
    channel = Channel.objects.get(pk=body["id"])
    assert secret_box.decrypt(channel.secret_encrypted) == SECRET
    event = AuditEvent.objects.get(object_type="notification_channel", action="create")
    assert event.actor_name == "admin"
    answers = [made, admin.get(CHANNELS), admin.get(f"{CHANNELS}{channel.pk}/"),
               admin.patch(f"{CHANNELS}{channel.pk}/", {"name": "Ops 2"}, **{"If-Match": made["ETag"]})]
    # A rejected write keeps the secret to itself too.
    answers.append(admin.post(CHANNELS, {"kind": "webhook", "target": "ftp://nowhere", "secret": SECRET}))
    assert answers[-1].status_code == 400 and set(answers[-1].json()["errors"]) == {"target"}
    for answer in answers:
        assert SECRET not in answer.content.decode()
    assert SECRET not in audit_text()
    assert SECRET not in every_log_line.text


def test_an_edit_without_a_secret_keeps_it_and_a_new_one_is_audited_as_changed(api, hook):
    admin = api("admin")
    etag = admin.get(f"{CHANNELS}{hook.pk}/")["ETag"]
    kept = admin.patch(f"{CHANNELS}{hook.pk}/", {"name": "ops hook 2", "secret": ""}, **{"If-Match": etag})
    assert kept.status_code == 200, kept.content
    hook.refresh_from_db()
    assert hook.name == "ops hook 2" and secret_box.decrypt(hook.secret_encrypted) == SECRET
    new_secret = "another-secret-9876543210"
    changed = admin.patch(f"{CHANNELS}{hook.pk}/", {"secret": new_secret}, **{"If-Match": kept["ETag"]})
    assert changed.status_code == 200
    hook.refresh_from_db()
    assert secret_box.decrypt(hook.secret_encrypted) == new_secret
    update = AuditEvent.objects.filter(object_type="notification_channel", action="update").latest("id")
    assert update.changes == {"secret": [None, "(secret changed)"]}
    assert new_secret not in audit_text() and new_secret not in changed.content.decode()


@pytest.mark.parametrize(("sent", "fields"), [
    ({"kind": "webhook", "target": "https://hooks.example.test/x", "secret": "short"}, {"secret"}),
    ({"kind": "webhook", "target": "https://hooks.example.test/x"}, {"secret"}),
    ({"kind": "email", "target": "not an address"}, {"target"}),
    ({"kind": "fax", "target": "ops@example.test"}, {"kind"}),
    ({"kind": "email", "target": "ops@example.test", "events": ["expiry", "gossip"]}, {"events.1"}),
    ({"kind": "email", "target": "ops@example.test", "events": "expiry"}, {"events"}),
    ({"kind": "email", "target": 12, "enabled": "yes"}, {"target", "enabled"}),
    ({"kind": "email"}, {"target"}),
])
def test_bad_channel_input_is_a_400_problem_by_field_and_saves_nothing(api, sent, fields):
    response = api("admin").post(CHANNELS, sent)
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == PROBLEM
    assert set(response.json()["errors"]) == fields
    assert not Channel.objects.exists() and not AuditEvent.objects.filter(object_type="notification_channel").exists()


def test_a_stale_channel_update_or_delete_is_refused_and_changes_nothing(api, hook):
    admin = api("admin")
    read = admin.get(f"{CHANNELS}{hook.pk}/")["ETag"]
    assert admin.patch(f"{CHANNELS}{hook.pk}/", {"name": "mine"}).status_code == 428
    other = admin.patch(f"{CHANNELS}{hook.pk}/", {"events": ["expiry"]}, **{"If-Match": read})
    assert other.status_code == 200
    stale = admin.put(f"{CHANNELS}{hook.pk}/", {"kind": "webhook", "name": "mine", "target": hook.target},
                      **{"If-Match": read})
    assert stale.status_code == 412 and stale["Content-Type"] == PROBLEM
    assert stale.json()["current_etag"] == other["ETag"]
    assert [c["changes"] for c in stale.json()["changes"]] == [["events"]]
    # The conflict is said before a form error about what the client sent.
    assert admin.patch(f"{CHANNELS}{hook.pk}/", {"target": "bad"}, **{"If-Match": read}).status_code == 412
    assert admin.delete(f"{CHANNELS}{hook.pk}/", **{"If-Match": read}).status_code == 412
    hook.refresh_from_db()
    assert (hook.name, hook.events) == ("ops hook", ["expiry"])
    assert admin.delete(f"{CHANNELS}{hook.pk}/", **{"If-Match": other["ETag"]}).status_code == 204
    assert not Channel.objects.filter(pk=hook.pk).exists()
    assert AuditEvent.objects.filter(object_type="notification_channel", action="delete").count() == 1


def test_an_email_channel_says_not_configured_without_email_host(api, settings):
    channel = email()
    settings.EMAIL_HOST = ""
    assert api("admin").get(f"{CHANNELS}{channel.pk}/").json()["state"] == "not configured"
    settings.EMAIL_HOST = "smtp.example.test"
    assert api("admin").get(f"{CHANNELS}?kind=email").json()["results"][0]["state"] == "enabled"


def test_a_users_subscription_is_listed_but_only_that_user_changes_it(api, users):
    users["viewer"].email = "viewer@example.test"
    users["viewer"].save()
    viewer = api("viewer")
    assert viewer.put(SUBSCRIPTION, {"enabled": True}, **{"If-Match": viewer.get(SUBSCRIPTION)["ETag"]}
                      ).status_code == 200
    subscription = Channel.objects.get(user=users["viewer"])
    admin = api("admin")
    listed = admin.get(CHANNELS).json()["results"]
    assert [c["subscription_of"] for c in listed] == ["viewer"]
    etag = admin.get(f"{CHANNELS}{subscription.pk}/")["ETag"]
    assert admin.patch(f"{CHANNELS}{subscription.pk}/", {"enabled": False}, **{"If-Match": etag}).status_code == 404
    assert admin.delete(f"{CHANNELS}{subscription.pk}/", **{"If-Match": etag}).status_code == 404
    assert Channel.objects.get(pk=subscription.pk).enabled


def test_a_user_subscribes_through_the_api_as_on_my_notifications(api, users):
    viewer = api("viewer")
    first = viewer.get(SUBSCRIPTION)
    assert first.json() == {"subscribed": False, "enabled": False, "events": [], "address": None,
                            "email_configured": False}
    assert viewer.put(SUBSCRIPTION, {"enabled": True}).status_code == 428
    assert viewer.put(SUBSCRIPTION, {"enabled": True}, **{"If-Match": '"garbled"'}).status_code == 412
    no_address = viewer.put(SUBSCRIPTION, {"enabled": True, "events": ["expiry"]}, **{"If-Match": first["ETag"]})
    assert no_address.status_code == 400
    assert "no email address" in no_address.json()["errors"]["non_field_errors"][0]
    assert viewer.put(SUBSCRIPTION, {"events": ["gossip"]}, **{"If-Match": first["ETag"]}).status_code == 400
    users["viewer"].email = "viewer@example.test"
    users["viewer"].save()
    made = viewer.put(SUBSCRIPTION, {"enabled": True, "events": ["resolved", "expiry"]},
                      **{"If-Match": first["ETag"]})
    assert made.status_code == 200, made.content
    assert made.json() | {"email_configured": None} == {
        "subscribed": True, "enabled": True, "events": ["expiry", "resolved"], "address": "viewer@example.test",
        "email_configured": None}
    channel = Channel.objects.get(user=users["viewer"])
    assert (channel.kind, channel.target) == ("email", "viewer@example.test")
    assert AuditEvent.objects.get(object_type="notification_channel", action="create").actor_name == "viewer"
    # A field left out keeps its value.
    fewer = viewer.put(SUBSCRIPTION, {"events": ["readiness"]}, **{"If-Match": made["ETag"]})
    assert fewer.json()["enabled"] is True and fewer.json()["events"] == ["readiness"]


def test_a_subscription_sent_from_a_stale_read_is_refused(api, users):
    users["viewer"].email = "viewer@example.test"
    users["viewer"].save()
    one, two = api("viewer"), api("viewer")
    read_before_any = two.get(SUBSCRIPTION)["ETag"]
    made = one.put(SUBSCRIPTION, {"enabled": True, "events": ["expiry"]}, **{"If-Match": read_before_any})
    assert made.status_code == 200
    # The second session read "no subscription" before the first made one: it must not overwrite it.
    stale = two.put(SUBSCRIPTION, {"enabled": False}, **{"If-Match": read_before_any})
    assert stale.status_code == 412 and stale["Content-Type"] == PROBLEM
    changed = one.put(SUBSCRIPTION, {"events": ["readiness"]}, **{"If-Match": made["ETag"]})
    assert changed.status_code == 200
    assert one.put(SUBSCRIPTION, {"enabled": False}, **{"If-Match": made["ETag"]}).status_code == 412
    channel = Channel.objects.get(user=users["viewer"])
    assert channel.enabled and channel.events == ["readiness"]


def test_the_calendar_url_is_answered_once_rotated_and_revoked(api, users, settings):
    settings.CONSOLE_BASE_URL = "https://console.example.test"
    viewer = api("viewer")
    assert viewer.get(CALENDAR).json() == {"active": False, "prefix": None, "created_at": None,
                                           "last_used_at": None}
    made = viewer.post(CALENDAR)
    assert made.status_code == 201 and made["Cache-Control"] == "no-store"
    url = made.json()["url"]
    assert url.startswith("https://console.example.test/notifications/calendar/cal_") and url.endswith(".ics")
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    feed = Client().get(url.removeprefix("https://console.example.test"))
    assert feed.status_code == 200 and feed["Content-Type"].startswith("text/calendar")
    shown = viewer.get(CALENDAR)
    assert shown.json()["active"] is True and shown.json()["prefix"] == token[:12]
    assert token not in shown.content.decode() and token not in audit_text()
    rotated = viewer.post(CALENDAR).json()["url"]
    assert rotated != url
    assert Client().get(url.removeprefix("https://console.example.test")).status_code == 404
    assert viewer.delete(CALENDAR).status_code == 204
    assert Client().get(rotated.removeprefix("https://console.example.test")).status_code == 404
    assert not CalendarToken.objects.exists()
    assert viewer.delete(CALENDAR).status_code == 404
    assert list(AuditEvent.objects.filter(object_type="calendar_token").order_by("id").values_list(
        "action", flat=True)) == ["create", "create", "revoke"]


def test_the_delivery_log_filters_by_status_and_channel_and_says_held_and_unconfirmed(api, hook, settings):
    settings.EMAIL_HOST = ""
    mail = email()
    held = delivery(mail, key="a")
    failed = delivery(hook, DeliveryStatus.FAILED, key="b", attempts=6, last_error="HTTP 500 from the webhook")
    lost = delivery(hook, DeliveryStatus.SENDING, key="c", claimed_at=timezone.now() - timedelta(hours=2))
    viewer = api("viewer")
    everything = viewer.get(DELIVERIES).json()
    assert everything["count"] == 3
    states = {d["id"]: (d["state"], d["retryable"]) for d in everything["results"]}
    assert states == {held.pk: ("held", False), failed.pk: ("failed", True), lost.pk: ("unconfirmed", True)}
    only_failed = viewer.get(f"{DELIVERIES}?status=failed").json()["results"]
    assert [(d["id"], d["last_error"], d["channel"]["name"]) for d in only_failed] == [
        (failed.pk, "HTTP 500 from the webhook", "ops hook")]
    by_channel = viewer.get(f"{DELIVERIES}?channel={mail.pk}").json()["results"]
    assert [d["id"] for d in by_channel] == [held.pk]
    assert viewer.get(f"{DELIVERIES}?status=lost").status_code == 400
    assert viewer.get(f"{DELIVERIES}?channel=abc").status_code == 400
    assert SECRET not in viewer.get(DELIVERIES).content.decode()


def test_an_administrator_retries_a_failed_delivery_and_it_is_sent_again(api, hook, receiver, settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 1
    receiver.statuses = [500]
    failing = delivery(hook)
    assert send.deliver(failing.pk).status == DeliveryStatus.FAILED
    assert api("operator").post(f"{DELIVERIES}{failing.pk}/retry/").status_code == 403
    retried = api("admin").post(f"{DELIVERIES}{failing.pk}/retry/")
    assert retried.status_code == 200, retried.content
    assert (retried.json()["status"], retried.json()["attempts"]) == ("pending", 0)
    event = AuditEvent.objects.get(object_type="notification_delivery", action="retry")
    assert event.actor_name == "admin" and event.object_id == str(failing.pk)
    again = api("admin").post(f"{DELIVERIES}{failing.pk}/retry/")
    assert again.status_code == 409 and again["Content-Type"] == PROBLEM
    assert send.deliver(failing.pk).status == DeliveryStatus.SENT
    assert len(receiver.requests) == 2 and all(r["signed"] for r in receiver.requests)
    assert api("admin").post(f"{DELIVERIES}{failing.pk}/retry/").status_code == 409
    assert AuditEvent.objects.filter(object_type="notification_delivery").count() == 1
