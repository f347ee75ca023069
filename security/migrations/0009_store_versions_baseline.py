"""Version 1 of every existing trusted store: the store when versions began to be kept."""

from django.db import migrations
from django.db.models import Max


def forwards(apps, schema_editor):
    from applications.history import secret_value

    TrustedStore = apps.get_model("security", "TrustedStore")
    StoreEntry = apps.get_model("security", "StoreEntry")
    StoreVersion = apps.get_model("security", "StoreVersion")
    AuditEvent = apps.get_model("applications", "AuditEvent")
    versions = []
    for store in TrustedStore.objects.order_by("pk"):
        members = [{"id": cid, "fingerprint": fp, "name": cn or subject} for cid, fp, cn, subject in
                   StoreEntry.objects.filter(store_id=store.pk).order_by("position", "id").values_list(
                       "certificate_id", "certificate__fingerprint_sha256", "certificate__common_name",
                       "certificate__subject")]
        snapshot = {
            "general": {"name": store.name, "provider": store.provider, "path": store.path,
                        "windows_path": store.windows_path, "description": store.description},
            "password": secret_value(store.password_encrypted) if store.password_encrypted else None,
            "members": members,
        }
        last = AuditEvent.objects.filter(object_type="store", object_id=str(store.pk)).aggregate(m=Max("id"))["m"]
        versions.append(StoreVersion(store_id=store.pk, number=1, actor_name="migration", source="baseline",
                                     note="The store when versions began to be kept.", summary="first version",
                                     snapshot=snapshot, last_event_id=last or 0))
    StoreVersion.objects.bulk_create(versions, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("security", "0008_store_versions"), ("applications", "0012_application_versions_baseline")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
