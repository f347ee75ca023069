"""The counts of findings per severity, kind, application type, host and Cluster (``FindingCount``).

The database keeps them (triggers on the findings, migration ``0010_finding_counts_kept_by_triggers``). On
PostgreSQL the triggers only insert changes (``FindingCountChange``): a transaction that writes findings
locks no count, so two validations never wait for each other there, nor deadlock. ``fold`` adds the changes
to the counts after each writing transaction commits, in one statement that takes the counts in key order.
Whoever reads adds both tables (``kept_rows``), so a count is exact before a fold too.
"""

from django.db import connection
from django.db.models import QuerySet

from security import kept_counts
from security.models import FindingCount, FindingCountChange, FindingFacetCount

KEY = "severity, kind, app_type, host_id, cluster_id"
# pg_advisory_xact_lock key: folds take turns (each is a few rows), none waits for a writer.
FOLD_LOCK = 7_210_011

FACETS = FindingFacetCount._meta.db_table
FACET_KEY = "dimension, severity, kind, app_type, value"
# The same changes, summed per host and per Cluster, into FindingFacetCount: in the fold's statement, so that
# it is the sums of FindingCount at every commit.
FOLD_FACETS = f""",
facets AS (
    INSERT INTO {FACETS} ({FACET_KEY}, n)
    SELECT {FACET_KEY}, SUM(n) FROM (
        SELECT 'host' AS dimension, severity, kind, app_type, host_id AS value, n FROM moved
        UNION ALL SELECT 'cluster', severity, kind, app_type, cluster_id, n FROM moved
    ) AS sides GROUP BY {FACET_KEY} ORDER BY {FACET_KEY}
    ON CONFLICT ({FACET_KEY}) DO UPDATE SET n = {FACETS}.n + EXCLUDED.n
    RETURNING id
)"""

FOLD = kept_counts.fold_statement(FindingCountChange, FindingCount, tuple(KEY.split(", ")), ("n",), "n",
                                  also=FOLD_FACETS)


def drop_spent_facets() -> None:
    """A sum per host or Cluster reaches zero only with every count it sums, one of which this fold touched:
    so only after a fold that left a count at zero (a fold per validation; the table read each time cost a
    sweep of 5,000 applications 1.5 s)."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {FACETS} WHERE n <= 0")


def fold() -> None:
    """Add the pending changes to the counts and to their sums per host and Cluster (PostgreSQL; on SQLite
    there are none)."""
    kept_counts.fold(lock=FOLD_LOCK, statement=FOLD, counts=FindingCount, when_spent=drop_spent_facets)


def fold_after_commit() -> None:
    """``fold`` once the current transaction commits (at once outside one)."""
    kept_counts.fold_after_commit(fold)


def kept_rows() -> list[QuerySet]:
    """Where the counts are: the counts and the changes not yet folded into them (sum both)."""
    return [FindingCount.objects.order_by(), FindingCountChange.objects.order_by()]


def kept_facet_rows_sql(dimension: str) -> str:
    """``FindingFacetCount``'s sums over one ``dimension`` ("host" or "cluster") and the changes not yet folded,
    as one SQL source of (severity, kind, app_type, host_id or cluster_id, n) rows (PostgreSQL)."""
    column = {"host": "host_id", "cluster": "cluster_id"}[dimension]
    return (f"(SELECT severity, kind, app_type, value AS {column}, n FROM {FACETS} WHERE dimension = '{dimension}' "
            f"UNION ALL SELECT severity, kind, app_type, {column}, n FROM {FindingCountChange._meta.db_table})"
            f" AS kept_{dimension}")


def kept_rows_sql() -> str:
    """The same as one SQL source of (severity, kind, app_type, host_id, cluster_id, n) rows."""
    return (f"(SELECT {KEY}, n FROM {FindingCount._meta.db_table} "
            f"UNION ALL SELECT {KEY}, n FROM {FindingCountChange._meta.db_table}) AS kept")
