"""Counts the database keeps by trigger (the findings' per filter, the hosts' readiness, the stores' users).

On PostgreSQL the triggers only insert changes into a change table: a transaction that writes locks no
count, so two writers never wait for each other there, nor deadlock. ``fold`` adds the changes to the
counts after each writing transaction commits, in one statement that takes the counts in key order, and
drops the counts that reached zero (below zero only when the counts were emptied before what they count,
a flush table by table, which must not leave -1s hiding what comes next). Readers add both tables, so a
count is exact before a fold too. On SQLite the triggers write the counts directly: nothing to fold.
"""

from collections.abc import Callable

from django.db import connection, models, transaction


def fold_statement(changes: type[models.Model], counts: type[models.Model], key: tuple[str, ...],
                   values: tuple[str, ...], alive: str, *, also: str = "") -> str:
    """The SQL that moves every change into the counts, summed per key; it returns each count's id and
    its ``alive`` column (the count goes when that is zero or less). ``also``: more common table expressions
    (``, name AS (...)``) that read ``moved`` in the same statement (sums of the counts kept beside them)."""
    key_list, value_list, table = ", ".join(key), ", ".join(values), counts._meta.db_table
    return f"""
WITH moved AS (DELETE FROM {changes._meta.db_table} RETURNING {key_list}, {value_list}){also}
INSERT INTO {table} ({key_list}, {value_list})
SELECT {key_list}, {", ".join(f"SUM({v})" for v in values)} FROM moved GROUP BY {key_list} ORDER BY {key_list}
ON CONFLICT ({key_list}) DO UPDATE SET {", ".join(f"{v} = {table}.{v} + EXCLUDED.{v}" for v in values)}
RETURNING id, {alive}
"""


def fold(*, lock: int, statement: str, counts: type[models.Model], then: Callable[[], object] | None = None,
         when_spent: Callable[[], object] | None = None) -> None:
    """Run a ``fold_statement`` under its advisory lock (folds take turns, each a few rows; none waits for a
    writer) and delete the counts it left at zero; ``then``: more of the same transaction; ``when_spent``:
    the same, only when a count reached zero (PostgreSQL only)."""
    if connection.vendor != "postgresql":
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock])
        cursor.execute(statement)
        spent = [pk for pk, alive in cursor.fetchall() if alive <= 0]
        if spent:
            counts.objects.filter(pk__in=spent).delete()
            if when_spent is not None:
                when_spent()
        if then is not None:
            then()


def fold_after_commit(fold_counts: Callable[[], None]) -> None:
    """``fold_counts`` once the current transaction commits (at once outside one); PostgreSQL only."""
    if connection.vendor == "postgresql":
        transaction.on_commit(fold_counts)
