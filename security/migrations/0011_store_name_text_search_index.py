"""A trigram index for the findings page's text search on store names (PostgreSQL only).

Django writes ``icontains`` as ``UPPER(column::text) LIKE UPPER(%text%)``: a GIN trigram index over that
same expression answers it (for three characters or more) without reading every row. The findings'
own message, fix and code are not indexed: a sweep of 5,000 applications writes ~30,000 findings in one
statement, and three trigram indexes made that insert 3x slower (2.8 s -> 7-9 s), a cost paid by every
validation for a search that has to read every match anyway to count it per filter. The applications'
names are indexed by the applications app."""

from django.db import migrations

INDEXES = {
    "trustedstore_name_trgm": ("security_trustedstore", "name"),
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm", params=None)
    for name, (table, column) in INDEXES.items():
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" '
                              f'USING gin (UPPER("{column}"::text) gin_trgm_ops)', params=None)


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"', params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("security", "0010_finding_counts_kept_by_triggers"),
        ("applications", "0013_application_text_search_indexes"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes),
    ]
