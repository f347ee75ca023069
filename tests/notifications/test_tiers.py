"""Certificates across every tier with the dates moved by time-machine: one notice per tier per
channel, by a real SMTP server and a real webhook receiver, nothing while nothing changes, nothing twice
when the job runs twice; a root that ends first takes its intermediate with it; resolved notices when a
certificate is replaced or removed."""

import datetime as dt

import pytest
import time_machine

from notifications import service
from notifications.models import Delivery, Notice
from security.certificates import import_certificates
from security.models import Certificate, StoreEntry
from tests.notifications.conftest import SECRET
from tests.notifications.helpers import issue, utc
from tests.notifications.world import INTERMEDIATE_END, ROOT_END, email, estate, webhook

pytestmark = pytest.mark.django_db

STEPS = [  # (days before the root's end, the tier reached then)
    (70, None), (59.9, "60"), (45, None), (29.9, "30"), (20, None), (13.9, "14"), (6.9, "7"), (3, None),
    (0.5, "1"), (-0.1, "expired"), (-10, None),
]


def at(days_before: float):
    return time_machine.travel(ROOT_END - dt.timedelta(days=days_before), tick=False)


def tiers_of(requests, fingerprint) -> list[str]:
    return [r["body"]["tier"] for r in requests if r["body"]["kind"] == "expiry"
            and r["body"]["certificate"]["fingerprint_sha256"] == fingerprint]


def test_every_tier_once_per_channel_with_the_root_ending_first(smtp, receiver, links):
    with at(80):
        e = estate()
        webhook(receiver.url, SECRET)
        email()
        service.run()  # the first run: the trail before it is history
    expected = []
    for days, tier in STEPS:
        with at(days):
            first = service.run()
            again = service.run()
        assert again.notices == again.sent == 0, (days, again)
        if tier:
            expected.append(tier)
            # The root (library) and its intermediate (the store), both ending with the root: two notices.
            assert first.notices == 2 and first.sent == 4, (days, first)
        else:
            assert first.notices == 0 and first.sent == 0, (days, first)
    assert expected == ["60", "30", "14", "7", "1", "expired"]
    assert tiers_of(receiver.requests, e.intermediate.fingerprint_sha256) == expected
    assert tiers_of(receiver.requests, e.root.fingerprint_sha256) == expected
    assert all(r["signed"] for r in receiver.requests)
    assert len(smtp.mailbox.messages) == len(receiver.requests) == 12
    # The intermediate's own end is a year later: it is told it ends with its root.
    notice = Notice.objects.get(fingerprint=e.intermediate.fingerprint_sha256, tier="30")
    assert notice.payload["certificate"]["effective_expiry"] == ROOT_END.isoformat()
    assert notice.payload["certificate"]["not_after"] == INTERMEDIATE_END.isoformat()
    assert notice.payload["certificate"]["limited_by"] == "Partner Root CA"
    assert "its issuer Partner Root CA ends first" in notice.body


def test_the_impact_and_the_fix_are_named_with_links(smtp, receiver, links):
    with at(80):
        e = estate()
        webhook(receiver.url, SECRET)
        email()
        service.run()
    with at(25):
        service.run()
    body = next(r["body"] for r in receiver.requests
                if r["body"]["certificate"]["fingerprint_sha256"] == e.intermediate.fingerprint_sha256)
    impact = body["impact"]
    base = "https://console.example.test"
    assert impact["stores"] == [{"text": "Partner CA", "url": f"{base}/security/stores/{e.store.pk}/"}]
    assert impact["applications"] == [{"text": e.node.name, "url": f"{base}/applications/{e.node.pk}/"}]
    # The Node runs its Cluster's TLS connection (R2).
    assert [c["text"] for c in impact["connections"]] == ["Cobrowse_Cluster → MessageServer (secure)"]
    assert impact["fix"] == {"text": "Upload the renewed CA into Partner CA",
                             "url": f"{base}/security/certificates/upload/?store={e.store.pk}"}
    mail = next(m for _, m in smtp.mailbox.messages if "Partner Issuing CA" in str(m["Subject"]))
    text = mail.get_payload()
    assert f"{base}/security/certificates/upload/?store={e.store.pk}" in text
    assert f"{base}/applications/{e.node.pk}/" in text


def test_replaced_resolves_once_and_stops_the_tiers(receiver, links):
    with at(80):
        e = estate()
        webhook(receiver.url, SECRET)
        service.run()
    with at(29):
        service.run()
    # A renewed root, same name, ending in 2036, and the intermediate re-issued into the store.
    renewed_root = issue("Partner Root CA", utc(2036, 1, 1), serial=21)
    renewed = issue("Partner Issuing CA", utc(2035, 1, 1), issuer=renewed_root, serial=22)
    with at(20):
        result = import_certificates(items=[(renewed_root.der, "der", "root2.crt"), (renewed.der, "der", "int2.crt")],
                                     actor="tests", store=e.store)
        assert len(result.created) == 2
        run = service.run()
        assert service.run().notices == 0
    resolved = Notice.objects.filter(kind="resolved").order_by("subject")
    # The two resolved, and the store's change (two members added) read from the audit trail.
    assert run.notices == 3 and resolved.count() == 2
    change = Notice.objects.get(kind="security_change")
    assert change.subject.startswith("TLS settings changed: trusted store Partner CA (update)")
    assert "certificates: 1 → 3" in change.body
    assert {n.fingerprint for n in resolved} == {e.root.fingerprint_sha256, e.intermediate.fingerprint_sha256}
    # Later tiers: nothing about the replaced ones.
    with at(10):
        assert service.run().notices == 0
    with at(-1):
        assert service.run().notices == 0


def test_removed_resolves_once(receiver, links):
    with at(80):
        e = estate()
        webhook(receiver.url, SECRET)
        service.run()
    with at(10):
        service.run()
    with at(9):
        StoreEntry.objects.filter(store=e.store).delete()
        Certificate.objects.filter(pk__in=[e.root.pk, e.intermediate.pk]).delete()
        run = service.run()
        assert service.run().notices == 0
    assert run.notices == 2
    assert sorted(r["body"]["kind"] for r in receiver.requests) == ["expiry", "expiry", "resolved", "resolved"]
    assert all("no longer in the library" in r["body"]["reason"] for r in receiver.requests
               if r["body"]["kind"] == "resolved")


def test_a_channel_gets_only_the_kinds_it_wants(receiver, links):
    with at(80):
        estate()
        webhook(receiver.url, SECRET, events="readiness")
        service.run()
    with at(10):
        assert service.run().notices == 2
    assert Delivery.objects.count() == 0 and receiver.requests == []
