"""``FindingFacetCount``: ``FindingCount`` summed per host and per Cluster, filled here from ``FindingCount``
(PostgreSQL; on SQLite it stays empty) and kept by ``security.finding_counts.fold`` from now on."""

from django.db import migrations, models

# security.finding_counts.FOLD_LOCK: no fold adds changes to the counts between this fill and the commit.
FOLD_LOCK = 7_210_011
FILL = """
INSERT INTO security_findingfacetcount (dimension, severity, kind, app_type, value, n)
SELECT 'host', severity, kind, app_type, host_id, SUM(n) FROM security_findingcount GROUP BY 2, 3, 4, 5
UNION ALL
SELECT 'cluster', severity, kind, app_type, cluster_id, SUM(n) FROM security_findingcount GROUP BY 2, 3, 4, 5
"""


def fill(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"SELECT pg_advisory_xact_lock({FOLD_LOCK})", params=None)
        schema_editor.execute(FILL, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('security', '0016_store_user_counts_kept_by_triggers'),
    ]

    operations = [
        migrations.CreateModel(
            name='FindingFacetCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('dimension', models.CharField(max_length=8)),
                ('severity', models.CharField(max_length=8)),
                ('kind', models.CharField(max_length=16)),
                ('app_type', models.CharField(max_length=32)),
                ('value', models.IntegerField(default=0)),
                ('n', models.IntegerField(default=0)),
            ],
        ),
        migrations.AddIndex(
            model_name='findingcount',
            index=models.Index(fields=['host_id'], name='finding_count_host'),
        ),
        migrations.AddIndex(
            model_name='findingcount',
            index=models.Index(fields=['cluster_id'], name='finding_count_cluster'),
        ),
        migrations.AddConstraint(
            model_name='findingfacetcount',
            constraint=models.UniqueConstraint(fields=('dimension', 'severity', 'kind', 'app_type', 'value'), name='one_finding_facet_count_per_group'),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
