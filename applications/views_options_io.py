"""Options as a ``.cfg`` file: export, and import with a preview before anything is applied.

The previewed file waits for its confirmation encrypted in the database (``OptionImportDraft``),
never in the session; the confirmation form carries only a random token.
"""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from applications.cfg import CfgError
from applications.forms import CfgImportForm, WhyForm
from applications.options import OptionsInvalid, StaleEdit
from applications.options_io import INVALID, apply_import, draft_save, draft_take, export_cfg, preview_import
from applications.views import application_or_404
from applications.views_options import posted_note
from cobrowse_admin.access import access_required

# Rows of the preview listed on the page; the counts cover every row, and invalid rows come first.
PREVIEW_ROWS_SHOWN = 1000


@access_required
@require_safe
def options_export(request, pk):
    app = application_or_404(pk)
    response = HttpResponse(export_cfg(app), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{slugify(app.name) or "application"}.cfg"'
    return response


@access_required
def options_import(request, pk):
    app = application_or_404(pk)
    if request.method == "POST" and "_confirm" in request.POST:
        return options_import_confirm(request, app)
    form = CfgImportForm(request.POST or None, request.FILES or None)
    preview, token = None, None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        try:
            preview = preview_import(app, data, actor=request.user)
        except CfgError as exc:
            form.add_error("file", str(exc))
        else:
            token = draft_save(application=app, user=request.user, data=data, filename=upload.name)
    counts = {}
    for row in preview or []:
        counts[row.status] = counts.get(row.status, 0) + 1
    shown = sorted(preview or [], key=lambda row: row.status != INVALID)[:PREVIEW_ROWS_SHOWN]
    return render(request, "applications/options_import.html", {
        "app": app, "tab": "options", "form": form, "preview": preview, "shown": shown, "counts": counts,
        "not_shown": len(preview or []) - len(shown), "has_invalid": bool(counts.get(INVALID)), "digest": token,
        "why": WhyForm(),
    })


def options_import_confirm(request, app):
    draft = draft_take(application=app, user=request.user, token=request.POST.get("digest", ""))
    if draft is None:
        messages.error(request, "That preview has expired: upload the file again.")
        return redirect("applications:options_import", app.pk)
    try:
        changed = apply_import(application=app, data=draft.data, actor=request.user,
                               expected_revision=draft.revision, filename=draft.filename,
                               note=posted_note(request))
    except StaleEdit as stale:
        # The same banner as every other form: who changed what since the preview.
        return render(request, "applications/options_import.html", {
            "app": app, "tab": "options", "form": CfgImportForm(), "preview": None, "conflict": stale,
            "reload_url": reverse("applications:options_import", args=[app.pk]),
        })
    except OptionsInvalid as invalid:
        messages.error(request, f"Nothing was imported: {invalid.summary()}")
        return redirect("applications:options_import", app.pk)
    except CfgError as exc:
        messages.error(request, f"Nothing was imported: {exc}")
        return redirect("applications:options_import", app.pk)
    messages.success(request, f"Imported {draft.filename}: {changed} option(s) changed.")
    return redirect(reverse("applications:options", args=[app.pk]))
