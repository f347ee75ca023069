"""Version 1 of every existing application: its configuration when versions began to be kept."""

from django.db import migrations


def forwards(apps, schema_editor):
    from applications.history import baseline

    class Models:
        Application = apps.get_model("applications", "Application")
        Option = apps.get_model("applications", "Option")
        Port = apps.get_model("applications", "Port")
        Connection = apps.get_model("applications", "Connection")
        AuditEvent = apps.get_model("applications", "AuditEvent")
        ApplicationVersion = apps.get_model("applications", "ApplicationVersion")

    baseline(actor="migration", note="Configuration when versions began to be kept.", models=Models)


class Migration(migrations.Migration):
    dependencies = [("applications", "0011_application_versions")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
