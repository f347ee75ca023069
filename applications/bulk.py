"""Writing many rows at once: the options, audit events and restart rows of a 20,000-option import.

Rows are given as dicts of field attribute names (``application_id``, not ``application``) to
values. On PostgreSQL a large batch goes through ``COPY`` without building a model instance per
row: for the 20,000 audit events of an import, 0.4 s against 4 s of multi-row ``INSERT`` statements
on the development machine, and no second of ``Model.__init__``. Small batches and other databases
use Django's ``bulk_create``. The rows are the same either way: a field left out takes its default
(``auto_now`` and ``auto_now_add`` fields: the time of the call), values that need converting (JSON)
go through their field's ``get_db_prep_save``, and the table's constraints, foreign keys and
indexes check every row as they would an ``INSERT``. Primary keys the database makes are not read back.
"""

from django.db import connections, models
from django.utils import timezone

AUTO_KEYS = frozenset({"AutoField", "BigAutoField", "SmallAutoField"})
COPY_FROM = 500  # rows: below this, bulk_create costs as little
# Values psycopg sends as they are: no conversion by the field is needed.
PLAIN = frozenset({"CharField", "TextField", "BooleanField", "IntegerField", "PositiveIntegerField",
                   "BigIntegerField", "PositiveBigIntegerField", "ForeignKey", "BigAutoField", "AutoField"})


def _default(field: models.Field, now):
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return now
    return field.get_default()


def bulk_insert(model: type[models.Model], rows: list[dict], *, using: str = "default",
                copy_from: int = COPY_FROM) -> None:
    """``copy_from``: the number of rows from which PostgreSQL gets them through COPY."""
    if not rows:
        return
    connection = connections[using]
    if connection.vendor != "postgresql" or len(rows) < copy_from:
        model.objects.using(using).bulk_create([model(**row) for row in rows], batch_size=1000)
        return
    now = timezone.now()
    # Every column but one the database fills itself (an auto primary key): a primary key that is a
    # relation (a connection's ConnectionCheck) is given like any other column.
    fields = [f for f in model._meta.concrete_fields if f.get_internal_type() not in AUTO_KEYS]
    unknown = set().union(*rows) - {f.attname for f in fields}
    if unknown:
        raise TypeError(f"{model.__name__} has no field {', '.join(sorted(unknown))} (give attribute names).")
    plan = []
    for f in fields:
        plain = f.get_internal_type() in PLAIN
        default = _default(f, now)
        plan.append((f.attname, default if plain else f.get_db_prep_save(default, connection), plain, f))
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    # wrap_database_errors: a refused row raises Django's IntegrityError, as bulk_create's would.
    with connection.cursor() as cursor, connection.wrap_database_errors:
        with cursor.cursor.copy(f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([
                    row.get(attname, default) if plain or attname not in row
                    else field.get_db_prep_save(row[attname], connection)
                    for attname, default, plain, field in plan
                ])


def analyze_if_changed(*models: type[models.Model], using: str = "default") -> list[str]:
    """PostgreSQL: ``ANALYZE`` the tables of ``models`` that were never analysed or whose size moved by a
    tenth (and a page at least) since they last were; nothing elsewhere. Returns the tables analysed.

    The planner chooses between an index and a full read from those statistics. A table filled in one go
    (the findings of a first sweep: 0 to 41,000 rows in 15 s) has none until autovacuum's next round (a
    minute at best, never on a server where it is off): meanwhile each "findings of these 250 objects" read
    went through the whole table (14 ms at 41,000 findings, against 0.6 ms through the index on ``subject``).
    The size is read from the table's pages (``pg_relation_size``), which a transaction's own writes move at
    once, unlike the cumulative statistics' counters."""
    connection = connections[using]
    if connection.vendor != "postgresql" or not models:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE oid = ANY(%s::regclass[]) AND (reltuples < 0 OR "
            "abs(pg_relation_size(oid) / current_setting('block_size')::int - relpages) >= relpages / 10 + 1)",
            [[model._meta.db_table for model in models]])
        stale = sorted(name for (name,) in cursor.fetchall())
        if stale:
            cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(name) for name in stale))
    return stale
