"""Chain the events written before the chain existed, in id order, and create its head."""

from django.conf import settings
from django.db import migrations

from applications.audit_chain import GENESIS, HASHED, content, link_hash

BATCH = 2000


def chain_existing(apps, schema_editor):
    AuditEvent = apps.get_model("applications", "AuditEvent")
    AuditChainHead = apps.get_model("applications", "AuditChainHead")
    key = settings.AUDIT_CHAIN_KEY.encode()
    seq, prev, batch = 0, GENESIS, []
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=BATCH):
        seq += 1
        event.seq, event.prev_hash = seq, prev
        prev = event.chain_hash = link_hash(key, prev, content(seq, {name: getattr(event, name) for name in HASHED}))
        batch.append(event)
        if len(batch) >= BATCH:
            AuditEvent.objects.bulk_update(batch, ["seq", "prev_hash", "chain_hash"])
            batch = []
    AuditEvent.objects.bulk_update(batch, ["seq", "prev_hash", "chain_hash"])
    AuditChainHead.objects.update_or_create(pk=1, defaults={"seq": seq, "chain_hash": prev})


class Migration(migrations.Migration):
    dependencies = [("applications", "0009_audit_chain")]

    operations = [migrations.RunPython(chain_existing, migrations.RunPython.noop)]
