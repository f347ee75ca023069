"""Export and import of an application's options as a .cfg file, with a preview before applying."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from applications import audit
from applications.catalogue import is_secret
from applications.cfg import SECRET_PLACEHOLDER, CfgEntry, parse_cfg, render_cfg
from applications.models import Application, Option
from applications.options import OptionChange, clean_change, clear_value, may_change_section, options_apply

NEW, CHANGED, UNCHANGED, INVALID, SECRET_KEPT = "new", "changed", "unchanged", "invalid", "secret kept"


def export_cfg(application: Application) -> str:
    """The options as .cfg text. Secrets are written as a placeholder, never in clear."""
    rows = [
        (o.section, o.name, SECRET_PLACEHOLDER if o.is_secret else o.value)
        for o in Option.objects.filter(application=application).order_by("section", "name")
    ]
    header = (
        f"Options of {application.name} ({application.get_app_type_display()} {application.version}), "
        f"exported {timezone.now():%Y-%m-%d %H:%M} UTC.\nSecrets are not exported."
    )
    return render_cfg(rows, header=header)


@dataclass(frozen=True)
class PreviewRow:
    section: str
    name: str
    status: str
    old: str | None
    new: str
    message: str = ""
    secret: bool = False


def preview_import(application: Application, data: bytes, actor=None) -> list[PreviewRow]:
    """Classify each entry of the file; raises CfgError for a file that cannot be read at all.

    ``actor`` is who will confirm: what they may not change is invalid already in the preview."""
    entries = parse_cfg(data)
    existing = {(o.section, o.name): o for o in Option.objects.filter(application=application)}
    return [classify(application, entry, existing.get((entry.section, entry.name)), actor) for entry in entries]


def classify(app: Application, entry: CfgEntry, option: Option | None, actor=None) -> PreviewRow:
    secret = bool(option and option.is_secret)
    if entry.value == SECRET_PLACEHOLDER:
        # A placeholder means "keep what is stored": it never overwrites the secret.
        return PreviewRow(entry.section, entry.name, SECRET_KEPT, None, "", secret=True)
    fixed, error = clean_change(app, OptionChange(entry.section, entry.name, entry.value))
    unchanged = option is not None and clear_value(option) == fixed.value
    if not error and not unchanged and not may_change_section(actor, entry.section):
        error = f"only a Security officer may change the [{entry.section}] section"
    secret = secret or is_secret(app.app_type, app.version, entry.section, entry.name)
    old = clear_value(option) if option else None
    if error:
        return PreviewRow(entry.section, entry.name, INVALID, None if secret else old, "" if secret else entry.value,
                          message=f"line {entry.line}: {error}", secret=secret)
    if option is None:
        status = NEW
    elif old == fixed.value:
        status = UNCHANGED
    else:
        status = CHANGED
    return PreviewRow(entry.section, entry.name, status, None if secret else old, "" if secret else fixed.value,
                      secret=secret)


@transaction.atomic
def apply_import(*, application: Application, data: bytes, actor, expected_revision: int, filename: str = "") -> int:
    """Apply the new and changed entries of a previewed file, all or nothing. Options not in the
    file are kept."""
    entries = parse_cfg(data)
    changes = [OptionChange(e.section, e.name, e.value) for e in entries if e.value != SECRET_PLACEHOLDER]
    changed = options_apply(
        application=application,
        changes=changes,
        actor=actor,
        expected_revision=expected_revision,
        action_note=f"imported from {filename or 'a .cfg file'}",
    )
    audit.record(
        actor=actor,
        action="import",
        object_type="application",
        obj=application,
        application=application,
        message=f"Imported {filename or 'a .cfg file'}: {len(entries)} entries, {changed} option(s) changed.",
    )
    return changed
