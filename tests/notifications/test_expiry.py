"""The pure expiry functions: effective expiry along the chain, tiers, their setting."""

import datetime as dt

import pytest

from notifications.expiry import (
    EXPIRED,
    CertFacts,
    alarm_offsets,
    effective_expiry,
    issuers_by_subject,
    parse_tiers,
    tier_for,
)

T = dt.datetime(2031, 6, 1, 12, tzinfo=dt.UTC)


def facts(fp, subject, issuer, days) -> CertFacts:
    return CertFacts(fingerprint=fp, subject=subject, issuer=issuer, not_after=T + dt.timedelta(days=days),
                     name=subject)


def test_an_intermediate_whose_root_expires_first_expires_with_the_root():
    root = facts("r", "CN=Root", "CN=Root", 20)
    intermediate = facts("i", "CN=Inter", "CN=Root", 400)
    leaf = facts("l", "CN=leaf", "CN=Inter", 90)
    issuers = issuers_by_subject([root, intermediate, leaf])
    for cert in (intermediate, leaf):
        effective = effective_expiry(cert, issuers)
        assert effective.expiry == root.not_after
        assert effective.limited_by is root and effective.follows_issuer
    assert effective_expiry(leaf, issuers).chain == (leaf, intermediate, root)


def test_its_own_date_when_it_ends_first_or_its_issuer_is_unknown():
    root = facts("r", "CN=Root", "CN=Root", 400)
    intermediate = facts("i", "CN=Inter", "CN=Root", 30)
    issuers = issuers_by_subject([root, intermediate])
    assert effective_expiry(intermediate, issuers).expiry == intermediate.not_after
    assert not effective_expiry(intermediate, issuers).follows_issuer
    orphan = facts("o", "CN=Orphan", "CN=Nobody", 10)
    assert effective_expiry(orphan, issuers).chain == (orphan,)


def test_a_renewed_root_with_the_same_name_is_the_one_a_chain_takes():
    old_root = facts("r1", "CN=Root", "CN=Root", 5)
    new_root = facts("r2", "CN=Root", "CN=Root", 900)
    intermediate = facts("i", "CN=Inter", "CN=Root", 400)
    assert effective_expiry(intermediate, issuers_by_subject([old_root, new_root, intermediate])).expiry == (
        intermediate.not_after)


def test_a_loop_of_issuers_ends():
    a = facts("a", "CN=A", "CN=B", 50)
    b = facts("b", "CN=B", "CN=A", 40)
    effective = effective_expiry(a, issuers_by_subject([a, b]))
    assert effective.chain == (a, b) and effective.expiry == b.not_after


@pytest.mark.parametrize(("left", "tier"), [
    (dt.timedelta(days=61), None), (dt.timedelta(days=60), "60"), (dt.timedelta(days=31), "60"),
    (dt.timedelta(days=30), "30"), (dt.timedelta(days=15), "30"), (dt.timedelta(days=14), "14"),
    (dt.timedelta(days=8), "14"), (dt.timedelta(days=7), "7"), (dt.timedelta(days=2), "7"),
    (dt.timedelta(days=1), "1"), (dt.timedelta(seconds=1), "1"), (dt.timedelta(0), EXPIRED),
    (-dt.timedelta(days=3), EXPIRED),
])
def test_every_tier(left, tier):
    assert tier_for(T + left, T) == tier


def test_tiers_from_the_setting():
    assert parse_tiers("7, 60,30") == (60, 30, 7)
    assert tier_for(T + dt.timedelta(days=20), T, parse_tiers("90,21")) == "21"
    for bad in ("", "a,b", "0,5", "-1"):
        with pytest.raises(ValueError):
            parse_tiers(bad)


def test_alarms_one_per_tier_and_one_at_the_date():
    assert alarm_offsets((60, 1)) == [-dt.timedelta(days=60), -dt.timedelta(days=1), dt.timedelta(0)]
