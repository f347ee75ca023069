"""The number of applications using each trusted store (``StoreUserCount``), kept by the database.

Triggers on the assignments, the ``trusted-ca`` options and the stores' paths (migration
``0016_store_user_counts_kept_by_triggers``) keep, per store and application, the ways the application uses
the store (``StoreUse``) and the count of applications with at least one. On PostgreSQL the counts change
through ``StoreUserCountChange``: ``fold`` adds them after a writing transaction commits; readers add both.
The figure is what ``security.stores.users_count`` counts over the estate (``tests/checks
/test_store_user_counts.py`` compares them after every kind of change).
"""

from django.db import connection, transaction

from security.models import StoreUse, StoreUserCount, StoreUserCountChange

FOLD_LOCK = 7_210_013  # pg_advisory_xact_lock key: folds take turns, none waits for a writer.

FOLD = f"""
WITH moved AS (DELETE FROM {StoreUserCountChange._meta.db_table} RETURNING store_id, users)
INSERT INTO {StoreUserCount._meta.db_table} (store_id, users)
SELECT store_id, SUM(users) FROM moved GROUP BY store_id ORDER BY store_id
ON CONFLICT (store_id) DO UPDATE SET users = {StoreUserCount._meta.db_table}.users + EXCLUDED.users
RETURNING id, users
"""


def fold() -> None:
    """Add the pending changes to the counts, and drop the pairs left without a way (PostgreSQL)."""
    if connection.vendor != "postgresql":
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [FOLD_LOCK])
        cursor.execute(FOLD)
        spent = [pk for pk, users in cursor.fetchall() if users <= 0]
        if spent:
            StoreUserCount.objects.filter(pk__in=spent).delete()
        # Through its partial index; a pair taken up again meanwhile is re-checked and kept.
        StoreUse.objects.filter(ways__lte=0).delete()


def fold_after_commit() -> None:
    if connection.vendor == "postgresql":
        transaction.on_commit(fold)


def kept_users() -> dict[int, int]:
    """The number of applications using each store (by id; absent: none), in one query over the kept
    counts (one row per store used) and the changes not yet folded."""
    rows = StoreUserCount.objects.order_by().values_list("store_id", "users").union(
        StoreUserCountChange.objects.order_by().values_list("store_id", "users"), all=True)
    users: dict[int, int] = {}
    for store_id, n in rows:
        users[store_id] = users.get(store_id, 0) + n
    return {store_id: n for store_id, n in users.items() if n}
