"""Trigram indexes for the applications list's text search (PostgreSQL only; SQLite reads the rows).

Django writes ``icontains`` as ``UPPER(column::text) LIKE UPPER(%text%)``: a GIN trigram index over that
same expression answers it (for three characters or more) without reading every application. The
list searches the name, the version and the host's name; the findings page searches applications'
names too."""

from django.db import migrations

INDEXES = {
    "application_name_trgm": ("applications_application", "name"),
    "application_version_trgm": ("applications_application", "version"),
    "host_name_trgm": ("applications_host", "name"),
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
        ("applications", "0012_application_versions_baseline"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes),
    ]
