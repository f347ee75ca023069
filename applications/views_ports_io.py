"""An application's ports as a ``.cfg`` file (``applications.ports_io``): export, and import with a preview.

The file is chosen on the Server Info tab, which carries the version of the ports it shows; the preview
and the confirmation are both checked against that version, so a port changed by someone else since the
page was opened is never overwritten by a file written before. Ports hold no secrets: the previewed file
travels back with the confirmation (base64, exactly the bytes uploaded) and is judged again in full there.
"""

import base64
import binascii

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from applications.cfg import CfgError
from applications.forms import PortsCfgImportForm, WhyForm
from applications.limits import MAX_CFG_BYTES
from applications.ports_io import (
    INVALID,
    PortsInvalid,
    apply_ports_import,
    check_ports_version,
    export_ports_cfg,
    plan_import,
    ports_version,
)
from applications.text import shown
from applications.versioning import VERSION_FIELD, EditConflict, posted_version
from applications.views import application_or_404
from applications.views_options import posted_note
from cobrowse_admin.access import access_required

CONFLICT_OUTCOME = ("Nothing was imported. Choose the file again below for a preview against the ports as they "
                    "are now.")


@access_required
@require_safe
def ports_export(request, pk):
    app = application_or_404(pk)
    response = HttpResponse(export_ports_cfg(app), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{slugify(app.name) or "application"}-ports.cfg"'
    return response


def posted_file(request) -> bytes | None:
    """The previewed file the confirmation sends back; None when missing, garbled or too large."""
    text = request.POST.get("cfg", "")
    if not text or len(text) > MAX_CFG_BYTES * 4 // 3 + 4:
        return None
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


@access_required
def ports_import(request, pk):
    app = application_or_404(pk)
    page = {"app": app, "tab": "ports", "preview": None, "conflict": None,
            "reload_url": reverse("applications:ports", args=[app.pk]), "outcome": CONFLICT_OUTCOME}
    if request.method == "POST" and "_confirm" in request.POST:
        return ports_import_confirm(request, app, page)
    form = PortsCfgImportForm(request.POST or None, request.FILES or None)
    opened = posted_version(request) if request.method == "POST" else ports_version(app)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        try:
            check_ports_version(app, opened)
            plans = plan_import(app, data)
        except EditConflict as exc:
            # The banner says who changed which port; a file chosen on this page is judged against now.
            page["conflict"], opened = exc, exc.current_version
        except CfgError as exc:
            form.add_error("file", str(exc))
        else:
            page.update(preview_context(plans), filename=shown(upload.name, 255), why=WhyForm(),
                        cfg=base64.b64encode(data).decode("ascii"))
    return render(request, "applications/ports_import.html", {**page, "form": form, "opened_version": opened,
                                                              "version_field": VERSION_FIELD})


def preview_context(plans) -> dict:
    counts: dict[str, int] = {}
    for plan in plans:
        counts[plan.status] = counts.get(plan.status, 0) + 1
    return {"preview": sorted(plans, key=lambda plan: plan.status != INVALID), "counts": counts,
            "has_invalid": bool(counts.get(INVALID)), "changes": any(p.status in ("new", "changed") for p in plans)}


def ports_import_confirm(request, app, page):
    data = posted_file(request)
    again = reverse("applications:ports", args=[app.pk])
    if data is None:
        messages.error(request, "Nothing was imported: the previewed file did not come back whole. Choose it again.")
        return redirect(again)
    filename = shown(request.POST.get("filename", ""), 255)  # it goes into the audit trail: one visible line
    try:
        changed = apply_ports_import(application=app, data=data, actor=request.user,
                                     expected_version=posted_version(request), filename=filename,
                                     note=posted_note(request))
    except EditConflict as exc:
        return render(request, "applications/ports_import.html", {
            **page, "conflict": exc, "form": PortsCfgImportForm(), "opened_version": exc.current_version,
            "version_field": VERSION_FIELD})
    except (CfgError, PortsInvalid) as exc:
        messages.error(request, f"Nothing was imported: {exc}")
        return redirect(again)
    messages.success(request, f"Imported {filename or 'the file'}: {changed} port(s) of {app.name} changed."
                     if changed else f"Imported {filename or 'the file'}: nothing changed in the ports of {app.name}.")
    return redirect(again)
