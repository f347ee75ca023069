"""``bulk_insert`` writes the same rows as Django's ``bulk_create`` (COPY on PostgreSQL from 500 rows)."""

import pytest
from django.db import IntegrityError, connection, transaction

from applications.bulk import COPY_FROM, bulk_insert
from applications.models import AuditEvent, Option


@pytest.mark.parametrize("count", [3, COPY_FROM + 1])
def test_the_rows_written_are_those_given_with_their_defaults(count, env):
    rows = [{"actor_name": "operator", "action": "create", "object_type": "option", "object_repr": f"[é] o{i}",
             "application_id": env.chat.pk, "changes": {"value": [None, f"v{i} ü \"q\" \\ tab"]},
             "options_revision": i} for i in range(count)]
    bulk_insert(AuditEvent, rows)
    events = list(AuditEvent.objects.filter(application=env.chat).order_by("options_revision"))
    assert [(e.object_repr, e.changes, e.options_revision, e.message, e.actor_id) for e in events] == [
        (f"[é] o{i}", {"value": [None, f"v{i} ü \"q\" \\ tab"]}, i, "", None) for i in range(count)]
    assert all(e.at is not None for e in events)


def test_the_table_constraints_check_every_row(env):
    rows = [{"application_id": env.chat.pk, "section": "db", "name": f"o{i}", "value": "x"}
            for i in range(COPY_FROM + 1)]
    rows[-1]["name"] = "db-password"  # a secret in clear: the constraint secret_names_are_secret refuses it
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk_insert(Option, rows)
    assert not Option.objects.filter(application=env.chat).exists()


def test_an_unknown_field_is_an_error_not_a_silent_default(env):
    if connection.vendor != "postgresql":
        pytest.skip("Django's bulk_create checks the names itself (TypeError) on other databases")
    with pytest.raises(TypeError, match="give attribute names"):
        bulk_insert(Option, [{"application": env.chat, "section": "s", "name": "n", "value": "v"}] * COPY_FROM)


@pytest.mark.parametrize("copy_from", [1, COPY_FROM])
def test_a_primary_key_that_is_a_relation_is_written_like_any_column(copy_from, env):
    """A connection's ConnectionCheck has the connection as its primary key: given, not left to the database."""
    from security.models import ConnectionCheck

    bulk_insert(ConnectionCheck, [{"connection_id": env.connection.pk, "worst": 1, "insecure": True,
                                   "client_name": "Cobrowse_Cluster", "port_id": "secure"}], copy_from=copy_from)
    check = ConnectionCheck.objects.get()
    assert (check.connection_id, check.worst, check.insecure, check.client_name, check.server_name,
            check.port_id) == (env.connection.pk, 1, True, "Cobrowse_Cluster", "", "secure")
    assert check.checked_at is not None
