"""Export and import of an application's options as a .cfg file, with a preview before applying.

The preview judges each entry with ``options.judge_change``, the verdict the import itself applies,
so what it promises is what the confirmation does; like the import, it decides who may change an
option before comparing anything (no secret oracle). A previewed file waits for its confirmation
as an ``OptionImportDraft``: encrypted, for one user, for ``CFG_IMPORT_PREVIEW_SECONDS`` at most.
"""

import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from applications import audit
from applications.catalogue import is_secret
from applications.cfg import SECRET_PLACEHOLDER, CfgEntry, parse_cfg, render_cfg, writable
from applications.models import Application, Option, OptionImportDraft
from applications.option_text import FORBIDDEN_EVERYWHERE
from applications.options import (
    OPTION_FIELDS,
    OptionChange,
    blocked_check,
    clear_value,
    judge_change,
    may_change_guarded,
    options_apply,
    record_secret_refusal,
)
from applications.restart import option_label
from cobrowse_admin import secret_box

NEW, CHANGED, UNCHANGED, INVALID, SECRET_KEPT = "new", "changed", "unchanged", "invalid", "secret kept"


def shown_label(section: str, name: str) -> str:
    """A label safe in a comment line and in a message: unprintable characters as U+FFFD."""
    return "".join("\ufffd" if unicodedata.category(ch) in FORBIDDEN_EVERYWHERE else ch
                   for ch in option_label(section, name))


def export_cfg(application: Application) -> str:
    """The options as .cfg text. Secrets are written as a placeholder, never in clear.

    An option stored before today's rules with a name or value a .cfg file cannot carry (a line
    break inside) is left out and named in the header, rather than written as other options."""
    rows, left_out = [], []
    options = Option.objects.filter(application=application).order_by("section", "name")
    for section, name, value, secret in options.values_list("section", "name", "value", "is_secret"):
        shown = SECRET_PLACEHOLDER if secret else value
        if writable(section, name, shown):
            rows.append((section, name, shown))
        else:
            left_out.append(shown_label(section, name))
    header = (
        f"Options of {application.name} ({application.get_app_type_display()} {application.version}), "
        f"exported {timezone.now():%Y-%m-%d %H:%M} UTC.\nSecrets are not exported."
    )
    if left_out:
        header += (f"\nNot exported, {len(left_out)} option(s) whose name or value holds a line break or control "
                   f"character (correct them in the editor): {', '.join(left_out)}")
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

    ``actor`` is who will confirm: what they may not change is invalid already in the preview, in
    the same words whatever the file holds. A preview trying secrets the actor may not set is an
    attempt like a save: audited (never the values) and counted for the rate limit."""
    entries = parse_cfg(data)
    existing = {(o.section, o.name): o for o in Option.objects.filter(application=application).only(*OPTION_FIELDS)}
    blocked = blocked_check(actor)
    may_guarded = may_change_guarded(actor)
    refused: list[str] = []
    rows = [classify(application, entry, existing.get((entry.section, entry.name)), may_guarded, blocked, refused)
            for entry in entries]
    if refused:
        record_secret_refusal(actor=actor, application=application, labels=refused, note="import preview")
    return rows


def classify(app: Application, entry: CfgEntry, option: Option | None, may_guarded: bool,
             blocked: Callable[[], bool], refused: list[str]) -> PreviewRow:
    secret = is_secret(entry.section, entry.name) or bool(option and option.is_secret)
    if entry.value == SECRET_PLACEHOLDER:
        # A placeholder means "keep what is stored": it never overwrites the secret.
        return PreviewRow(entry.section, entry.name, SECRET_KEPT, None, "", secret=True)
    verdict = judge_change(app, OptionChange(entry.section, entry.name, entry.value), option,
                           may_guarded=may_guarded, blocked=blocked)
    if verdict.refused_secret:
        refused.append(option_label(entry.section, entry.name))
    # A secret's values are never shown; nor is a stored value compared for whom the verdict refused.
    old = None if secret or option is None or verdict.error else clear_value(option)
    if verdict.error:
        return PreviewRow(entry.section, entry.name, INVALID, old, "" if secret else entry.value,
                          message=f"line {entry.line}: {verdict.error}", secret=secret)
    if verdict.noop:
        status = UNCHANGED
    else:
        status = NEW if option is None else CHANGED
    if secret:
        new = ""
    else:
        new = verdict.change.value if verdict.change is not None else entry.value
    return PreviewRow(entry.section, entry.name, status, old, new, secret=secret)


def apply_import(*, application: Application, data: bytes, actor, expected_revision: int, filename: str = "",
                 note: str = "") -> int:
    """Apply the new and changed entries of a previewed file, all or nothing. Options not in the
    file are kept. The import's own audit event is written in the same transaction."""
    entries = parse_cfg(data)
    changes = [OptionChange(e.section, e.name, e.value) for e in entries if e.value != SECRET_PLACEHOLDER]
    source = filename or "a .cfg file"

    def record_import(app: Application, changed: int) -> None:
        audit.record(
            actor=actor,
            action="import",
            object_type="application",
            obj=app,
            application=app,
            message=f"Imported {source}: {len(entries)} entries, {changed} option(s) changed.",
        )

    return options_apply(
        application=application,
        changes=changes,
        actor=actor,
        expected_revision=expected_revision,
        action_note=f"imported from {source}",
        on_applied=record_import,
        note=note,
        source="import",
    )


# Previewed files waiting for their confirmation.


def draft_max_age() -> timedelta:
    return timedelta(seconds=settings.CFG_IMPORT_PREVIEW_SECONDS)


def drafts_purge() -> int:
    """Drop every previewed file older than ``CFG_IMPORT_PREVIEW_SECONDS``; returns how many."""
    deleted, _ = OptionImportDraft.objects.filter(created_at__lt=timezone.now() - draft_max_age()).delete()
    return deleted


def draft_save(*, application: Application, user, data: bytes, filename: str) -> str:
    """Keep a previewed file (encrypted) for its confirmation; returns the token the form posts.
    A user has one preview per application: a new one replaces the last."""
    drafts_purge()
    OptionImportDraft.objects.filter(application=application, user=user).delete()
    token = secrets.token_urlsafe(32)
    OptionImportDraft.objects.create(token=token, application=application, user=user, filename=filename[:255],
                                     revision=application.options_revision, sealed_file=secret_box.seal(data))
    return token


@dataclass(frozen=True)
class Draft:
    data: bytes
    filename: str
    revision: int


def draft_take(*, application: Application, user, token: str) -> Draft | None:
    """The previewed file of this user for this application, removed from the waiting list; None when
    there is none (never previewed, confirmed already, expired, or another user's)."""
    drafts_purge()
    draft = OptionImportDraft.objects.filter(application=application, user=user, token=token or "").first()
    if draft is None:
        return None
    draft.delete()
    data = secret_box.unseal(draft.sealed_file)
    return None if data is None else Draft(data, draft.filename, draft.revision)
