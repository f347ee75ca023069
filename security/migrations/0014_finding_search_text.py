"""``Finding.search``: the message, fix and code of each finding in lower case, what the findings page's text
filter reads (a plain ``LIKE`` on one column instead of ``UPPER()`` of three on every row searched). Written
by the field itself whenever a finding is (``FindingSearchField.pre_save``); the findings already stored get
theirs here, made by the same function."""

from django.db import migrations

import security.models

CHUNK = 2000


def fill(apps, schema_editor):
    Finding = apps.get_model("security", "Finding")
    last = 0
    while True:
        rows = list(Finding.objects.filter(pk__gt=last).order_by("pk").only("message", "hint", "code")[:CHUNK])
        if not rows:
            return
        for row in rows:
            row.search = security.models.finding_search_text(row.message, row.hint, row.code)
        Finding.objects.bulk_update(rows, ["search"])
        last = rows[-1].pk


class Migration(migrations.Migration):

    dependencies = [
        ("security", "0013_probe_result_host_checked"),
    ]

    operations = [
        # Added in SQL: Django's AddField rebuilds the table on SQLite (a column with a default), which would
        # drop the finding counts' triggers (0010_finding_counts_kept_by_triggers).
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(
                "ALTER TABLE security_finding ADD COLUMN search text NOT NULL DEFAULT ''",
                reverse_sql="ALTER TABLE security_finding DROP COLUMN search")],
            state_operations=[migrations.AddField(
                model_name="finding",
                name="search",
                field=security.models.FindingSearchField(
                    blank=True, default="", editable=False,
                    help_text="message, fix and code in lower case (the text filter's)"),
            )],
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
