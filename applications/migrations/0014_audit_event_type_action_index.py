from django.conf import settings
from django.db import migrations, models

# PostgreSQL guesses how common a (kind of object, action) pair is by multiplying how common each is; a pair
# that never happens (application, update) looked like one event in eight, so it read the whole trail
# backwards rather than the index below. Statistics on the pair tell it which pairs are rare.
STATISTICS = "audit_event_type_action_stats"


def create_pair_statistics(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE STATISTICS IF NOT EXISTS {STATISTICS} (mcv) ON object_type, action "
                              "FROM applications_auditevent")


def drop_pair_statistics(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP STATISTICS IF EXISTS {STATISTICS}")


class Migration(migrations.Migration):

    dependencies = [
        ('applications', '0013_application_text_search_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(fields=['object_type', 'action', 'id'], name='audit_event_type_action_idx'),
        ),
        migrations.RunPython(create_pair_statistics, drop_pair_statistics),
    ]
