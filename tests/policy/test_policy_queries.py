"""The policy's facts load in a number of queries that does not grow with the estate: a sweep validates
thousands of applications, a chunk at a time."""

import pytest

from applications.models import AppType
from security import validation
from tests.checks.test_query_counts import queries

pytestmark = [pytest.mark.django_db, pytest.mark.tls_policy]


def add_pairs(w, start: int, count: int) -> list[int]:
    """Servers with a secure mutual port and a backup whose port differs, each with a client: every kind of
    policy fact (ports, pairs, connections) and findings for each."""
    ids = []
    for i in range(start, start + count):
        backup = w.app(f"Chat_B_{i}", AppType.CHAT_SERVER, "8.5.104.02", host=w.linux)
        w.port(backup, "secure", 5000 + i, params="tls=1")
        server = w.app(f"Chat_{i}", AppType.CHAT_SERVER, "8.5.104.02", host=w.core)
        server.backup_server = backup
        server.save()
        port = w.port(server, "secure", 6000 + i, params="tls=1;tls-mutual=1;sec-protocol=TLSv1")
        client = w.app(f"Stat_{i}", AppType.OTHER, "8.5.100.01", host=w.linux)
        w.connect(client, port, "cipher-list=RC4-MD5")
        ids += [backup.pk, server.pk, client.pk]
    return ids


def test_validating_with_the_policy_costs_the_same_queries_for_three_or_fifteen_applications(world):
    few = add_pairs(world, 0, 1)
    cache = validation.ValidationCache()
    validation.validate_applications(application_ids=few, cache=cache)
    small = queries(lambda: validation.validate_applications(application_ids=few, cache=cache))
    server = world.message.__class__.objects.get(name="Chat_0")
    assert {"policy.port_protocol_below_minimum", "policy.mutual_no_crl", "policy.server_no_certificate",
            "policy.backup_mismatch"} <= set(server.findings.values_list("code", flat=True))

    # Fifteen, not more: past about 70 findings SQLite's bulk insert takes a second batch (its limit on
    # parameters), a query more that is not a query per object.
    many = few + add_pairs(world, 1, 4)
    validation.validate_applications(application_ids=many, cache=cache)

    assert len(many) == 15
    assert queries(lambda: validation.validate_applications(application_ids=many, cache=cache)) == small
