"""The readiness counts per host (``HostReadinessCount``): its applications, judged, ready, not ready.

The database keeps them (triggers on the verdicts and on the applications, migration
``0015_host_readiness_counts_kept_by_triggers``). On PostgreSQL the triggers only insert changes
(``HostReadinessCountChange``), as the findings' counts do (``security.finding_counts``): ``fold`` adds
them to the counts after a writing transaction commits, in one statement taking the counts in host order.
Readers add both tables, so a count is exact before a fold too.
"""

from django.db.models import IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from security import kept_counts
from security.models import HostReadinessCount, HostReadinessCountChange

COUNTS = ("applications", "judged", "ready", "not_ready")
# pg_advisory_xact_lock key: folds take turns, none waits for a writer.
FOLD_LOCK = 7_210_012

FOLD = kept_counts.fold_statement(HostReadinessCountChange, HostReadinessCount, ("host_id",), COUNTS, "applications")


def fold() -> None:
    """Add the pending changes to the counts (PostgreSQL; on SQLite there are none). A host left without
    applications goes (its verdict counts are 0 with them)."""
    kept_counts.fold(lock=FOLD_LOCK, statement=FOLD, counts=HostReadinessCount)


def fold_after_commit() -> None:
    """``fold`` once the current transaction commits (at once outside one)."""
    kept_counts.fold_after_commit(fold)


def counts_of(host_ids: list[int]) -> dict[int, dict[str, int]]:
    """The counts of these hosts (by id), kept plus not yet folded, in one query; hosts without
    applications are missing."""
    fields = ("host_id", *COUNTS)
    rows = HostReadinessCount.objects.filter(host_id__in=host_ids).order_by().values_list(*fields).union(
        HostReadinessCountChange.objects.filter(host_id__in=host_ids).order_by().values_list(*fields), all=True)
    counts: dict[int, dict[str, int]] = {}
    for host_id, *values in rows:
        total = counts.setdefault(host_id, dict.fromkeys(COUNTS, 0))
        for name, value in zip(COUNTS, values, strict=True):
            total[name] += value
    return counts


def kept(count: str, host=None):
    """An expression for a host's kept ``count`` (annotating hosts: ``host`` is the host's id, by default
    the row's own): its row, read through the unique index, plus its changes not yet folded."""
    host = host if host is not None else OuterRef("pk")
    row = HostReadinessCount.objects.filter(host_id=host).values(count)[:1]
    changes = (HostReadinessCountChange.objects.filter(host_id=host).order_by().values("host_id")
               .annotate(total=Sum(count)).values("total"))
    return (Coalesce(Subquery(row, output_field=IntegerField()), Value(0))
            + Coalesce(Subquery(changes, output_field=IntegerField()), Value(0)))


