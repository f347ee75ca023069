"""The counts of findings per severity, kind, application type, host and Cluster (``FindingCount``).

The database keeps them (triggers on the findings, migration ``0010_finding_counts_kept_by_triggers``). On
PostgreSQL the triggers only insert changes (``FindingCountChange``): a transaction that writes findings
locks no count, so two validations never wait for each other there, nor deadlock. ``fold`` adds the changes
to the counts after each writing transaction commits, in one statement that takes the counts in key order.
Whoever reads adds both tables (``kept_rows``), so a count is exact before a fold too.
"""

from django.db.models import QuerySet

from security import kept_counts
from security.models import FindingCount, FindingCountChange

KEY = "severity, kind, app_type, host_id, cluster_id"
# pg_advisory_xact_lock key: folds take turns (each is a few rows), none waits for a writer.
FOLD_LOCK = 7_210_011

FOLD = kept_counts.fold_statement(FindingCountChange, FindingCount, tuple(KEY.split(", ")), ("n",), "n")


def fold() -> None:
    """Add the pending changes to the counts (PostgreSQL; on SQLite there are none)."""
    kept_counts.fold(lock=FOLD_LOCK, statement=FOLD, counts=FindingCount)


def fold_after_commit() -> None:
    """``fold`` once the current transaction commits (at once outside one)."""
    kept_counts.fold_after_commit(fold)


def kept_rows() -> list[QuerySet]:
    """Where the counts are: the counts and the changes not yet folded into them (sum both)."""
    return [FindingCount.objects.order_by(), FindingCountChange.objects.order_by()]


def kept_rows_sql() -> str:
    """The same as one SQL source of (severity, kind, app_type, host_id, cluster_id, n) rows."""
    return (f"(SELECT {KEY}, n FROM {FindingCount._meta.db_table} "
            f"UNION ALL SELECT {KEY}, n FROM {FindingCountChange._meta.db_table}) AS kept")
