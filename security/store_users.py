"""The number of applications using each trusted store (``StoreUserCount``), kept by the database.

Triggers on the assignments, the ``trusted-ca`` options and the stores' paths (migration
``0016_store_user_counts_kept_by_triggers``) keep, per store and application, the ways the application uses
the store (``StoreUse``) and the count of applications with at least one. On PostgreSQL the counts change
through ``StoreUserCountChange``: ``fold`` adds them after a writing transaction commits; readers add both.
The figure is what ``security.stores.users_count`` counts over the estate (``tests/checks
/test_store_user_counts.py`` compares them after every kind of change).
"""

from security import kept_counts
from security.models import StoreUse, StoreUserCount, StoreUserCountChange

FOLD_LOCK = 7_210_013  # pg_advisory_xact_lock key: folds take turns, none waits for a writer.

FOLD = kept_counts.fold_statement(StoreUserCountChange, StoreUserCount, ("store_id",), ("users",), "users")


def fold() -> None:
    """Add the pending changes to the counts, and drop the pairs left without a way (PostgreSQL)."""
    # The pairs through their partial index; a pair taken up again meanwhile is re-checked and kept.
    kept_counts.fold(lock=FOLD_LOCK, statement=FOLD, counts=StoreUserCount,
                     then=StoreUse.objects.filter(ways__lte=0).delete)


def fold_after_commit() -> None:
    """``fold`` once the current transaction commits (at once outside one)."""
    kept_counts.fold_after_commit(fold)


def kept_users() -> dict[int, int]:
    """The number of applications using each store (by id; absent: none), in one query over the kept
    counts (one row per store used) and the changes not yet folded."""
    rows = StoreUserCount.objects.order_by().values_list("store_id", "users").union(
        StoreUserCountChange.objects.order_by().values_list("store_id", "users"), all=True)
    users: dict[int, int] = {}
    for store_id, n in rows:
        users[store_id] = users.get(store_id, 0) + n
    return {store_id: n for store_id, n in users.items() if n}
