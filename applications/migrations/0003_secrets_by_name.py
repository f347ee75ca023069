"""Secrets by name, encrypted at rest on every application type; previewed imports kept server-side.

Until now only ``[security] truststore-password`` of the Co-browse types was encrypted. From now
on every option whose name holds ``password`` or ``secret`` or ends with ``-pwd`` (any case), in
any section of any application, is a secret. This migration:

1. encrypts the values of such options that are in clear (``is_secret`` set);
2. replaces their values in the running snapshot (restart tracking) by the keyed digest used for
   secrets, and masks them in the pending-restart list;
3. replaces their values in the audit trail by "(secret changed)";
4. adds the database constraint that keeps it so (``secret_names_are_secret``);
5. creates the table of previewed ``.cfg`` imports (``OptionImportDraft``), which until now sat in
   the session, in clear, and removes those previews from the sessions (their users upload again).

Reverse: the constraint and the table go (previews removed from sessions stay removed); the options this migration encrypted are decrypted back
(all secret options except ``[security] truststore-password`` of the Co-browse types, which were
encrypted before). Steps 2 and 3 are not reversed, by design: a keyed digest cannot be turned back
into the value, and a password removed from the audit trail must not be put back. After a reverse,
restart tracking shows those options as changed until the next "Mark as restarted".

The rules are copied here as they were when written, so that later changes of the code do not
change what this migration did.
"""

import unicodedata

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

SECRET_CHANGED = "(secret changed)"
MASK = "••••••"
DIGEST_PREFIX = "hmac-sha256:"
COBROWSE_TYPES = ("cobrowse_server", "cobrowse_node", "cobrowse_cluster")
SQL_CANDIDATES = models.Q(name__icontains="password") | models.Q(name__icontains="secret") | models.Q(
    name__iendswith="-pwd")


def is_secret_name(name: str) -> bool:
    folded = unicodedata.normalize("NFKC", name).casefold()
    return "password" in folded or "secret" in folded or folded.endswith("-pwd")


def label_is_secret(label: str) -> bool:
    """``[section] name`` → whether ``name`` is a secret."""
    if not label.startswith("[") or "] " not in label:
        return False
    return is_secret_name(label.split("] ", 1)[1])


def was_secret_before(option) -> bool:
    return (option.section == "security" and option.name == "truststore-password"
            and option.application.app_type in COBROWSE_TYPES)


def masked(value):
    return None if value is None else SECRET_CHANGED


def encrypt_secrets(apps, schema_editor):
    from cobrowse_admin import secret_box

    Option = apps.get_model("applications", "Option")
    RunningOption = apps.get_model("applications", "RunningOption")
    PendingRestartChange = apps.get_model("applications", "PendingRestartChange")
    AuditEvent = apps.get_model("applications", "AuditEvent")

    for option in Option.objects.filter(SQL_CANDIDATES, is_secret=False).iterator():
        if is_secret_name(option.name):
            option.value, option.is_secret = secret_box.encrypt(option.value), True
            option.save(update_fields=["value", "is_secret"])
    for running in RunningOption.objects.filter(SQL_CANDIDATES).iterator():
        if is_secret_name(running.name) and not running.value.startswith(DIGEST_PREFIX):
            running.value = secret_box.digest(running.value)
            running.save(update_fields=["value"])
    for pending in PendingRestartChange.objects.filter(SQL_CANDIDATES, is_secret=False).iterator():
        if is_secret_name(pending.name):
            pending.is_secret = True
            pending.running_value = None if pending.running_value is None else MASK
            pending.new_value = None if pending.new_value is None else MASK
            pending.save(update_fields=["is_secret", "running_value", "new_value"])
    for event in AuditEvent.objects.filter(object_type="option").filter(
            models.Q(object_repr__icontains="password") | models.Q(object_repr__icontains="secret")
            | models.Q(object_repr__iendswith="-pwd")).iterator():
        if label_is_secret(event.object_repr) and isinstance(event.changes.get("value"), list):
            event.changes["value"] = [masked(v) for v in event.changes["value"]]
            event.save(update_fields=["changes"])
    for event in AuditEvent.objects.filter(object_type="application", action="restart").iterator():
        secret_labels = [label for label in event.changes if label_is_secret(label)]
        for label in secret_labels:
            if isinstance(event.changes[label], list):
                event.changes[label] = [masked(v) for v in event.changes[label]]
        if secret_labels:
            event.save(update_fields=["changes"])


def decrypt_new_secrets(apps, schema_editor):
    from cobrowse_admin import secret_box

    Option = apps.get_model("applications", "Option")
    for option in Option.objects.filter(is_secret=True).select_related("application").iterator():
        if not was_secret_before(option):
            option.value, option.is_secret = secret_box.decrypt(option.value), False
            option.save(update_fields=["value", "is_secret"])


def forget_previews_in_sessions(apps, schema_editor):
    """Previewed files were kept in the session (signed, not encrypted) under ``cfg-import-<id>``."""
    from django.contrib.sessions.backends.db import SessionStore

    Session = apps.get_model("sessions", "Session")
    store = SessionStore()
    for session in Session.objects.filter(session_data__isnull=False).iterator():
        data = store.decode(session.session_data)  # {} for data it cannot read
        previews = [key for key in data if key.startswith("cfg-import-")]
        if previews:
            for key in previews:
                del data[key]
            session.session_data = store.encode(data)
            session.save(update_fields=["session_data"])


class Migration(migrations.Migration):

    dependencies = [
        ("applications", "0002_role_groups"),
        ("sessions", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(encrypt_secrets, decrypt_new_secrets),
        migrations.RunPython(forget_previews_in_sessions, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="option",
            constraint=models.CheckConstraint(
                condition=models.Q(("is_secret", True), models.Q(("name__icontains", "password"),
                                                                 ("name__icontains", "secret"),
                                                                 ("name__iendswith", "-pwd"), _connector="OR",
                                                                 _negated=True), _connector="OR"),
                name="secret_names_are_secret"),
        ),
        migrations.CreateModel(
            name="OptionImportDraft",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("token", models.CharField(max_length=64, unique=True)),
                ("filename", models.CharField(blank=True, max_length=255)),
                ("revision", models.PositiveIntegerField()),
                ("sealed_file", models.TextField()),
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("application", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                                  to="applications.application")),
                ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                           to=settings.AUTH_USER_MODEL)),
            ],
        ),
    ]
