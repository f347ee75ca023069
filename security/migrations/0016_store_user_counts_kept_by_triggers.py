"""The number of applications using each trusted store (``security.models.StoreUserCount``), kept by
triggers through the ways each application uses each store (``StoreUse``), filled from what is stored.

A store's users are what ``security.stores.users_query`` selects: applications assigned to it
(``security_storeassignment``) and applications whose security section's ``trusted-ca`` names its path or its
Windows path (``applications_option``, ``security_trustedstore``), each once. Every write to those three
tables changes the ways of some (store, application) pairs; an application becomes a user when its pair
goes from 0 ways to more, stops being one when it comes back to 0. Triggers, as in
``0010_finding_counts_kept_by_triggers``: an option or an assignment is written by the security form, the
API, a .cfg import, a history revert, a clone, a bulk apply, seed_demo and Django's collector alike.

Each source row counts on its own (an assignment whatever its store row; an option while the store whose
path it names exists; a store's paths for the options naming them), so the counts are exact at commit in
whichever order a transaction deletes a store and what names it.

PostgreSQL: one trigger per statement; the pairs are updated in place (a row lock on the pair: two
transactions changing the same application's use of the same store take turns), the counts through
``security_storeusercountchange`` (``security.store_users.fold`` after commit). SQLite: one trigger per row,
the affected stores recounted from the pairs. A later migration that makes Django rebuild one of the three
tables on SQLite must create its triggers again (``tests/checks/test_store_user_counts.py`` fails if not)."""

from django.db import migrations, models

STORE = "security_trustedstore"
OPTION = "applications_option"
ASSIGNMENT = "security_storeassignment"
USES = "security_storeuse"
COUNT = "security_storeusercount"
CHANGES = "security_storeusercountchange"
PATHS = ("path", "windows_path")
TRUSTED_CA = "o.section = 'security' AND o.name = 'trusted-ca' AND o.value <> ''"


def assignment_uses(table: str, step: str) -> list[str]:
    return [f"SELECT store_id, application_id, {step} AS step FROM {table}"]


def option_uses(table: str, step: str) -> list[str]:
    return [f"SELECT s.id AS store_id, o.application_id, {step} AS step FROM {table} AS o JOIN {STORE} AS s ON s.{column} = o.value "
            f"WHERE {TRUSTED_CA}" for column in PATHS]


def store_uses(table: str, step: str) -> list[str]:
    # The options through their index on the value's first 200 characters (0008_option_trusted_ca_value_index).
    return [f"SELECT t.id AS store_id, o.application_id, {step} AS step FROM {table} AS t JOIN {OPTION} AS o ON o.value = t.{column} "
            f"AND SUBSTRING(o.value, 1, 200) = SUBSTRING(t.{column}, 1, 200) WHERE {TRUSTED_CA}"
            for column in PATHS]


def apply_uses(parts: list[str]) -> str:
    """Add the ways to the pairs; a pair that goes from 0 to more (or back) adds (takes) a user."""
    moved = ("CASE WHEN up.ways > 0 AND up.ways - d.step <= 0 THEN 1 "
             "WHEN up.ways <= 0 AND up.ways - d.step > 0 THEN -1 ELSE 0 END")
    return f"""
        WITH d AS (SELECT store_id, application_id, SUM(step) AS step
                   FROM ({" UNION ALL ".join(parts)}) AS x
                   GROUP BY 1, 2 HAVING SUM(step) <> 0),
        up AS (INSERT INTO {USES} (store_id, application_id, ways)
               SELECT store_id, application_id, step FROM d ORDER BY 1, 2
               ON CONFLICT (store_id, application_id) DO UPDATE SET ways = {USES}.ways + EXCLUDED.ways
               RETURNING store_id, application_id, ways)
        INSERT INTO {CHANGES} (store_id, users)
        SELECT up.store_id, SUM({moved}) FROM up
        JOIN d ON d.store_id = up.store_id AND d.application_id = up.application_id
        GROUP BY up.store_id HAVING SUM({moved}) <> 0;"""


def postgresql_function(name: str, uses, update_guard: str = "") -> str:
    update = apply_uses(uses("added", "1") + uses("removed", "-1"))
    if update_guard:
        update = f"IF EXISTS ({update_guard}) THEN {update} END IF;"
    return f"""
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN {apply_uses(uses("added", "1"))}
    ELSIF TG_OP = 'DELETE' THEN {apply_uses(uses("removed", "-1"))}
    ELSE {update}
    END IF;
    RETURN NULL;
END
$$;
"""


# A store's update changes its users only when a path changes (its checks, its name update it often).
PATHS_CHANGED = ("SELECT 1 FROM added AS a JOIN removed AS r ON r.id = a.id "
                 "WHERE a.path IS DISTINCT FROM r.path OR a.windows_path IS DISTINCT FROM r.windows_path")
TABLES = {  # table: (trigger and function name, uses, update guard)
    ASSIGNMENT: ("security_store_users_assignment", assignment_uses, ""),
    OPTION: ("security_store_users_option", option_uses, ""),
    STORE: ("security_store_users_store", store_uses, PATHS_CHANGED),
}
POSTGRESQL = []
for _table, (_name, _uses, _guard) in TABLES.items():
    POSTGRESQL += [
        postgresql_function(_name, _uses, _guard),
        f"CREATE TRIGGER {_name}_insert AFTER INSERT ON {_table} REFERENCING NEW TABLE AS added "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {_name}()",
        f"CREATE TRIGGER {_name}_delete AFTER DELETE ON {_table} REFERENCING OLD TABLE AS removed "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {_name}()",
        f"CREATE TRIGGER {_name}_update AFTER UPDATE ON {_table} REFERENCING OLD TABLE AS removed "
        f"NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION {_name}()",
    ]


def sqlite_apply(uses: list[str], stores: str) -> str:
    """Add the ways, then recount ``stores`` (a SELECT of store ids) from the pairs (one writer at a time)."""
    return (f"INSERT INTO {USES} (store_id, application_id, ways) SELECT store_id, application_id, SUM(step) "
            f"FROM ({' UNION ALL '.join(uses)}) AS x WHERE true GROUP BY 1, 2 "
            f"ON CONFLICT (store_id, application_id) DO UPDATE SET ways = ways + excluded.ways; "
            f"DELETE FROM {USES} WHERE ways <= 0 AND store_id IN ({stores}); "
            f"INSERT INTO {COUNT} (store_id, users) SELECT k.id, (SELECT COUNT(*) FROM {USES} AS u "
            f"WHERE u.store_id = k.id AND u.ways > 0) FROM ({stores}) AS k WHERE true "
            f"ON CONFLICT (store_id) DO UPDATE SET users = excluded.users; "
            f"DELETE FROM {COUNT} WHERE users <= 0 AND store_id IN ({stores});")


def sqlite_row(row: str, columns: str) -> str:
    """A one-row table of the trigger's OLD or NEW row, for the same SELECTs as PostgreSQL's."""
    return f"(SELECT {', '.join(f'{row}.{c} AS {c}' for c in columns.split(', '))})"


def sqlite_stores_named(row: str) -> str:
    return (f"SELECT id FROM {STORE} WHERE {row}.section = 'security' AND {row}.name = 'trusted-ca' "
            f"AND {row}.value <> '' AND (path = {row}.value OR windows_path = {row}.value)")


def sqlite_triggers() -> list[str]:
    columns = {ASSIGNMENT: "store_id, application_id", OPTION: "application_id, section, name, value",
               STORE: "id, path, windows_path"}
    stores = {ASSIGNMENT: lambda row: f"SELECT {row}.store_id AS id", OPTION: sqlite_stores_named,
              STORE: lambda row: f"SELECT {row}.id AS id"}
    statements = []
    for table, (name, uses, _guard) in TABLES.items():
        def one(row: str, step: str, table=table, uses=uses) -> str:
            # SQLite's SUBSTR, not SUBSTRING, in the store's arm.
            parts = [p.replace("SUBSTRING(", "SUBSTR(") for p in uses(sqlite_row(row, columns[table]), step)]
            return sqlite_apply(parts, stores[table](row))
        changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns[table].split(", "))
        statements += [
            f"CREATE TRIGGER {name}_insert AFTER INSERT ON {table} BEGIN {one('NEW', '1')} END",
            f"CREATE TRIGGER {name}_delete AFTER DELETE ON {table} BEGIN {one('OLD', '-1')} END",
            f"CREATE TRIGGER {name}_update AFTER UPDATE OF {columns[table]} ON {table} WHEN {changed} "
            f"BEGIN {one('OLD', '-1')} {one('NEW', '1')} END",
        ]
    return statements


def fill() -> list[str]:
    parts = assignment_uses(ASSIGNMENT, "1") + option_uses(OPTION, "1")
    pairs = (f"INSERT INTO {USES} (store_id, application_id, ways) SELECT store_id, application_id, SUM(step) "
             f"FROM ({' UNION ALL '.join(parts)}) AS x WHERE true GROUP BY 1, 2")
    counts = (f"INSERT INTO {COUNT} (store_id, users) SELECT store_id, COUNT(*) FROM {USES} WHERE ways > 0 "
              f"GROUP BY store_id")
    return [pairs, counts]


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": POSTGRESQL, "sqlite": sqlite_triggers()}.get(vendor)
    if statements is None:
        raise RuntimeError(f"store user counts: no triggers written for {vendor}")
    for statement in [*statements, *fill()]:
        # In the migration's transaction: nothing is written between the fill and the triggers.
        schema_editor.execute(statement, params=None)


def drop_triggers(apps, schema_editor):
    postgresql = schema_editor.connection.vendor == "postgresql"
    for table, (name, _uses, _guard) in TABLES.items():
        for event in ("insert", "delete", "update"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}_{event}" + (f" ON {table}" if postgresql else ""),
                                  params=None)
        if postgresql:
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()", params=None)



class Migration(migrations.Migration):

    dependencies = [
        ('security', '0015_host_readiness_counts_kept_by_triggers'),
    ]

    operations = [
        migrations.CreateModel(
            name='StoreUserCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('store_id', models.IntegerField(unique=True)),
                ('users', models.IntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name='StoreUserCountChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('store_id', models.IntegerField(db_index=True)),
                ('users', models.IntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name='StoreUse',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('store_id', models.IntegerField()),
                ('application_id', models.IntegerField()),
                ('ways', models.IntegerField(default=0)),
            ],
            options={
                'indexes': [models.Index(condition=models.Q(('ways__lte', 0)), fields=['store_id'], name='store_use_spent')],
                'constraints': [models.UniqueConstraint(fields=('store_id', 'application_id'), name='one_store_use_per_pair')],
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
