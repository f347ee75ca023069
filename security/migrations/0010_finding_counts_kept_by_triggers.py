"""The counts of findings per severity, kind, application type, host and Cluster, kept by triggers on the
findings (``security.models.FindingCount``), filled from the findings already stored.

Triggers, not Python: a finding also goes when its application, connection or store is deleted (Django
deletes them in its collector, or the database by cascade) and its host or Cluster changes to NULL when
those are deleted; every one of these writes passes through the table, so the counts stay exact whoever
writes. PostgreSQL: one trigger per statement, over the rows the statement changed (a sweep's insert of
thousands of findings is one grouped insert), into ``security_findingcountchange`` only: no lock on a
count in the writing transaction (``security.finding_counts.fold`` adds the changes to the counts after
it). SQLite: one trigger per row (it has no statement triggers), onto the counts directly.

On SQLite, a later migration that makes Django rebuild ``security_finding`` (most ``AlterField``s: a new
table, the rows copied, the old one dropped) drops these triggers with the old table: such a migration
must create them again (``tests/checks/test_finding_counts.py`` fails if it does not)."""

from django.db import migrations, models

GROUP = "severity, kind, app_type, COALESCE(host_id, 0), COALESCE(cluster_id, 0)"
KEY = "severity, kind, app_type, host_id, cluster_id"
COLUMNS = f"{KEY}, n"

POSTGRESQL_FUNCTION = f"""
CREATE FUNCTION security_finding_count_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO security_findingcountchange ({COLUMNS})
        SELECT {GROUP}, COUNT(*) FROM added GROUP BY 1, 2, 3, 4, 5;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO security_findingcountchange ({COLUMNS})
        SELECT {GROUP}, -COUNT(*) FROM removed GROUP BY 1, 2, 3, 4, 5;
    ELSE
        INSERT INTO security_findingcountchange ({COLUMNS})
        SELECT {KEY}, SUM(n) FROM (
            SELECT {GROUP}, 1 AS n FROM added UNION ALL SELECT {GROUP}, -1 AS n FROM removed
        ) AS changes (severity, kind, app_type, host_id, cluster_id, n)
        GROUP BY 1, 2, 3, 4, 5 HAVING SUM(n) <> 0;
    END IF;
    RETURN NULL;
END
$$;
"""

POSTGRESQL_TRIGGERS = [
    "CREATE TRIGGER security_finding_count_insert AFTER INSERT ON security_finding "
    "REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION security_finding_count_keep()",
    "CREATE TRIGGER security_finding_count_delete AFTER DELETE ON security_finding "
    "REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION security_finding_count_keep()",
    "CREATE TRIGGER security_finding_count_update AFTER UPDATE ON security_finding "
    "REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION "
    "security_finding_count_keep()",
]


def sqlite_upsert(row: str, step: str) -> str:
    return (f"INSERT INTO security_findingcount ({COLUMNS}) VALUES ({row}.severity, {row}.kind, {row}.app_type, "
            f"COALESCE({row}.host_id, 0), COALESCE({row}.cluster_id, 0), {step}) "
            f"ON CONFLICT ({KEY}) DO UPDATE SET n = n + {step};")


def sqlite_drop_spent(row: str) -> str:
    """A count that reached zero goes. Below zero only when the counts were emptied before the findings:
    Django's flush on SQLite is a DELETE per table (its triggers fire), and a test database or a
    ``manage.py flush`` that emptied the counts first would otherwise keep -1s that hide the next findings."""
    return (f"DELETE FROM security_findingcount WHERE severity = {row}.severity AND kind = {row}.kind "
            f"AND app_type = {row}.app_type AND host_id = COALESCE({row}.host_id, 0) "
            f"AND cluster_id = COALESCE({row}.cluster_id, 0) AND n <= 0;")


SQLITE_TRIGGERS = [
    f"CREATE TRIGGER security_finding_count_insert AFTER INSERT ON security_finding BEGIN "
    f"{sqlite_upsert('NEW', '1')} END",
    f"CREATE TRIGGER security_finding_count_delete AFTER DELETE ON security_finding BEGIN "
    f"{sqlite_upsert('OLD', '-1')} {sqlite_drop_spent('OLD')} END",
    f"CREATE TRIGGER security_finding_count_update AFTER UPDATE OF {KEY} ON security_finding BEGIN "
    f"{sqlite_upsert('OLD', '-1')} {sqlite_drop_spent('OLD')} {sqlite_upsert('NEW', '1')} END",
]

FILL = (f"INSERT INTO security_findingcount ({COLUMNS}) "
        f"SELECT {GROUP}, COUNT(*) FROM security_finding GROUP BY 1, 2, 3, 4, 5")


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": [POSTGRESQL_FUNCTION, *POSTGRESQL_TRIGGERS], "sqlite": SQLITE_TRIGGERS}.get(vendor)
    if statements is None:
        raise RuntimeError(f"finding counts: no triggers written for {vendor}")
    for statement in statements:
        schema_editor.execute(statement, params=None)
    # In the migration's transaction: no finding is written between the fill and the triggers.
    schema_editor.execute(FILL, params=None)


def drop_triggers(apps, schema_editor):
    for name in ("insert", "delete", "update"):
        schema_editor.execute(f"DROP TRIGGER IF EXISTS security_finding_count_{name}"
                              + (" ON security_finding" if schema_editor.connection.vendor == "postgresql" else ""),
                              params=None)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS security_finding_count_keep()", params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('security', '0009_store_versions_baseline'),
    ]

    operations = [
        migrations.CreateModel(
            name='FindingCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('severity', models.CharField(max_length=8)),
                ('kind', models.CharField(max_length=16)),
                ('app_type', models.CharField(max_length=32)),
                ('host_id', models.IntegerField(default=0)),
                ('cluster_id', models.IntegerField(default=0)),
                ('n', models.IntegerField(default=0)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('severity', 'kind', 'app_type', 'host_id', 'cluster_id'), name='one_finding_count_per_group')],
            },
        ),
        migrations.CreateModel(
            name='FindingCountChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('severity', models.CharField(max_length=8)),
                ('kind', models.CharField(max_length=16)),
                ('app_type', models.CharField(max_length=32)),
                ('host_id', models.IntegerField(default=0)),
                ('cluster_id', models.IntegerField(default=0)),
                ('n', models.IntegerField(default=0)),
            ],
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
