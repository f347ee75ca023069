"""The readiness counts per host (``security.models.HostReadinessCount``): applications, judged, ready and
not ready, kept by triggers on the verdicts (``security_applicationcheck``) and on the applications (their
host), filled from what is stored.

Triggers, not Python, for the reason of ``0010_finding_counts_kept_by_triggers``: an application changes
host or goes through the forms, the API, a .cfg import, a history revert, bulk updates and Django's
collector; every one of these writes passes through the two tables. The two sides are symmetric, so the
counts are exact in whichever order a transaction deletes an application and its verdict (FKs are checked
at commit): a verdict counts on the host of its application when both rows exist; deleting (adding, moving)
the application takes its verdict with it, deleting the verdict takes it from the application's host
while the application is there.

PostgreSQL: one trigger per statement, into ``security_hostreadinesscountchange`` only (``security
.host_counts.fold`` adds them after commit). SQLite: one trigger per row, onto the counts. On SQLite a
later migration that makes Django rebuild ``applications_application`` or ``security_applicationcheck``
drops these triggers with the old table and must create them again (``tests/checks/test_host_counts.py``
fails if it does not)."""

from django.db import migrations, models

COUNTS = "host_id, applications, judged, ready, not_ready"
KEPT = "security_hostreadinesscount"
CHANGES = "security_hostreadinesscountchange"
CHECKS = "security_applicationcheck"
APPLICATIONS = "applications_application"


def verdict_columns(step: str, verdict: str) -> str:
    """judged, ready, not_ready: ``step`` (1 or -1) for what the verdict is, 0 otherwise (also no verdict)."""
    return (f"CASE WHEN {verdict} <> '' THEN {step} ELSE 0 END AS judged, "
            f"CASE WHEN {verdict} = 'ready' THEN {step} ELSE 0 END AS ready, "
            f"CASE WHEN {verdict} = 'not ready' THEN {step} ELSE 0 END AS not_ready")


SUMS = "SUM(v.judged), SUM(v.ready), SUM(v.not_ready)"
ANY_VERDICT = "SUM(v.judged) <> 0 OR SUM(v.ready) <> 0 OR SUM(v.not_ready) <> 0"


def checks_changes(*tables: tuple[str, str]) -> str:
    parts = " UNION ALL ".join(f"SELECT application_id, {verdict_columns(step, 'verdict')} FROM {table}"
                               for table, step in tables)
    return (f"INSERT INTO {CHANGES} ({COUNTS}) SELECT a.host_id, 0, {SUMS} FROM ({parts}) AS v "
            f"JOIN {APPLICATIONS} AS a ON a.id = v.application_id WHERE a.host_id IS NOT NULL "
            f"GROUP BY a.host_id HAVING {ANY_VERDICT};")


def applications_changes(*tables: tuple[str, str]) -> str:
    parts = " UNION ALL ".join(
        f"SELECT x.host_id, {step} AS applications, {verdict_columns(step, 'c.verdict')} FROM {table} AS x "
        f"LEFT JOIN {CHECKS} AS c ON c.application_id = x.id" for table, step in tables)
    return (f"INSERT INTO {CHANGES} ({COUNTS}) SELECT v.host_id, SUM(v.applications), {SUMS} FROM ({parts}) AS v "
            f"WHERE v.host_id IS NOT NULL GROUP BY v.host_id HAVING SUM(v.applications) <> 0 OR {ANY_VERDICT};")


def postgresql_function(name: str, changes) -> str:
    return f"""
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {changes(("added", "1"))}
    ELSIF TG_OP = 'DELETE' THEN
        {changes(("removed", "-1"))}
    ELSE
        {changes(("added", "1"), ("removed", "-1"))}
    END IF;
    RETURN NULL;
END
$$;
"""


POSTGRESQL_FUNCTIONS = [postgresql_function("security_host_readiness_verdicts", checks_changes),
                        postgresql_function("security_host_readiness_applications", applications_changes)]


def postgresql_triggers(table: str, function: str, prefix: str) -> list[str]:
    return [
        f"CREATE TRIGGER {prefix}_insert AFTER INSERT ON {table} REFERENCING NEW TABLE AS added "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        f"CREATE TRIGGER {prefix}_delete AFTER DELETE ON {table} REFERENCING OLD TABLE AS removed "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        # Every update (transition tables take no column list): one that moves nothing sums to zero.
        f"CREATE TRIGGER {prefix}_update AFTER UPDATE ON {table} REFERENCING OLD TABLE AS removed "
        f"NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
    ]


TRIGGERS = {CHECKS: "security_host_readiness_verdict", APPLICATIONS: "security_host_readiness_application"}
POSTGRESQL_TRIGGERS = (postgresql_triggers(CHECKS, "security_host_readiness_verdicts", TRIGGERS[CHECKS])
                       + postgresql_triggers(APPLICATIONS, "security_host_readiness_applications",
                                             TRIGGERS[APPLICATIONS]))


def sqlite_upsert(host: str, applications: str, step: str, verdict: str) -> str:
    """Add to ``host``'s counts (nothing when ``host`` is NULL); then its row goes if it has no application
    left (below zero only when the counts were emptied first: a flush deleting table by table)."""
    return (f"INSERT INTO {KEPT} ({COUNTS}) SELECT {host}, {applications}, {verdict_columns(step, verdict)} "
            f"WHERE {host} IS NOT NULL ON CONFLICT (host_id) DO UPDATE SET "
            f"applications = applications + excluded.applications, judged = judged + excluded.judged, "
            f"ready = ready + excluded.ready, not_ready = not_ready + excluded.not_ready; "
            f"DELETE FROM {KEPT} WHERE host_id = {host} AND applications <= 0;")


def host_of(application: str) -> str:
    return f"(SELECT host_id FROM {APPLICATIONS} WHERE id = {application})"


def verdict_of(application: str) -> str:
    return f"(SELECT verdict FROM {CHECKS} WHERE application_id = {application})"


SQLITE_TRIGGERS = [
    f"CREATE TRIGGER {TRIGGERS[CHECKS]}_insert AFTER INSERT ON {CHECKS} BEGIN "
    f"{sqlite_upsert(host_of('NEW.application_id'), '0', '1', 'NEW.verdict')} END",
    f"CREATE TRIGGER {TRIGGERS[CHECKS]}_delete AFTER DELETE ON {CHECKS} BEGIN "
    f"{sqlite_upsert(host_of('OLD.application_id'), '0', '-1', 'OLD.verdict')} END",
    f"CREATE TRIGGER {TRIGGERS[CHECKS]}_update AFTER UPDATE OF application_id, verdict ON {CHECKS} BEGIN "
    f"{sqlite_upsert(host_of('OLD.application_id'), '0', '-1', 'OLD.verdict')} "
    f"{sqlite_upsert(host_of('NEW.application_id'), '0', '1', 'NEW.verdict')} END",
    f"CREATE TRIGGER {TRIGGERS[APPLICATIONS]}_insert AFTER INSERT ON {APPLICATIONS} BEGIN "
    f"{sqlite_upsert('NEW.host_id', '1', '1', verdict_of('NEW.id'))} END",
    f"CREATE TRIGGER {TRIGGERS[APPLICATIONS]}_delete AFTER DELETE ON {APPLICATIONS} BEGIN "
    f"{sqlite_upsert('OLD.host_id', '-1', '-1', verdict_of('OLD.id'))} END",
    f"CREATE TRIGGER {TRIGGERS[APPLICATIONS]}_update AFTER UPDATE OF id, host_id ON {APPLICATIONS} "
    f"WHEN OLD.host_id IS NOT NEW.host_id OR OLD.id IS NOT NEW.id BEGIN "
    f"{sqlite_upsert('OLD.host_id', '-1', '-1', verdict_of('OLD.id'))} "
    f"{sqlite_upsert('NEW.host_id', '1', '1', verdict_of('NEW.id'))} END",
]

FILL = (f"INSERT INTO {KEPT} ({COUNTS}) SELECT v.host_id, COUNT(*), {SUMS} FROM ("
        f"SELECT a.host_id, {verdict_columns('1', 'c.verdict')} FROM {APPLICATIONS} AS a "
        f"LEFT JOIN {CHECKS} AS c ON c.application_id = a.id WHERE a.host_id IS NOT NULL) AS v GROUP BY v.host_id")


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": [*POSTGRESQL_FUNCTIONS, *POSTGRESQL_TRIGGERS], "sqlite": SQLITE_TRIGGERS}.get(vendor)
    if statements is None:
        raise RuntimeError(f"host readiness counts: no triggers written for {vendor}")
    for statement in statements:
        schema_editor.execute(statement, params=None)
    # In the migration's transaction: no verdict nor application is written between the fill and the triggers.
    schema_editor.execute(FILL, params=None)


def drop_triggers(apps, schema_editor):
    postgresql = schema_editor.connection.vendor == "postgresql"
    for table, prefix in TRIGGERS.items():
        for name in ("insert", "delete", "update"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {prefix}_{name}" + (f" ON {table}" if postgresql else ""),
                                  params=None)
    if postgresql:
        for function in ("security_host_readiness_verdicts", "security_host_readiness_applications"):
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {function}()", params=None)



class Migration(migrations.Migration):

    dependencies = [
        ('security', '0014_finding_search_text'),
        ('applications', '0016_application_backup_server'),
    ]

    operations = [
        migrations.CreateModel(
            name='HostReadinessCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('host_id', models.IntegerField(unique=True)),
                ('applications', models.IntegerField(default=0)),
                ('judged', models.IntegerField(default=0)),
                ('ready', models.IntegerField(default=0)),
                ('not_ready', models.IntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name='HostReadinessCountChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('host_id', models.IntegerField(db_index=True)),
                ('applications', models.IntegerField(default=0)),
                ('judged', models.IntegerField(default=0)),
                ('ready', models.IntegerField(default=0)),
                ('not_ready', models.IntegerField(default=0)),
            ],
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
