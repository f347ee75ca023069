"""Trigram indexes for the findings page's text search (PostgreSQL only; SQLite reads the rows).

Django writes ``icontains`` as ``UPPER(column::text) LIKE UPPER(%text%)``: a GIN trigram index over that
same expression answers it (for three characters or more) without reading every finding's message. One
index per column the search reads: the message, the fix, the code, and the store's name (the
applications' names are indexed by the applications app)."""

from django.db import migrations

INDEXES = {
    "finding_message_trgm": ("security_finding", "message"),
    "finding_hint_trgm": ("security_finding", "hint"),
    "finding_code_trgm": ("security_finding", "code"),
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
