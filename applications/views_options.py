"""Options tab: the editor (Save / Apply / Cancel), .cfg export and import with a preview."""

import base64
import hashlib
from itertools import groupby

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from applications.catalogue import spec_for, specs_for
from applications.cfg import CfgError
from applications.forms import CfgImportForm, OptionFormSet
from applications.models import Option
from applications.numbers import parse_whole_number
from applications.options import (
    OptionChange,
    OptionsInvalid,
    StaleEdit,
    clear_value,
    events_since,
    options_apply,
)
from applications.options_io import INVALID, apply_import, export_cfg, preview_import
from applications.restart import option_label
from applications.roles import SECURITY_OFFICER, has_role, operator_required, viewer_required
from applications.views import application_or_404

IMPORT_SESSION_KEY = "cfg-import-{}"


@viewer_required
@require_safe
def options_tab(request, pk):
    app = application_or_404(pk)
    options = list(Option.objects.filter(application=app).order_by("section", "name"))
    set_keys = {(o.section, o.name) for o in options}
    pending = {(p.section, p.name) for p in app.pending_changes.all()}
    rows = []
    for o in options:
        spec = spec_for(app.app_type, app.version, o.section, o.name)
        rows.append({
            "section": o.section, "name": o.name, "value": None if o.is_secret else o.value, "secret": o.is_secret,
            "spec": spec, "mandatory": bool(spec and spec.is_mandatory(app.app_type)),
            "pending": (o.section, o.name) in pending,
        })
    missing = [
        {"spec": s, "mandatory": s.is_mandatory(app.app_type)}
        for s in specs_for(app.app_type, app.version) if s.key not in set_keys
    ]
    sections = [(section, list(items)) for section, items in groupby(rows, key=lambda r: r["section"])]
    return render(request, "applications/detail_options.html", {
        "app": app, "tab": "options", "sections": sections, "missing": missing,
        "missing_mandatory": [m["spec"] for m in missing if m["mandatory"]],
    })


def editor_initial(app) -> list[dict]:
    options = Option.objects.filter(application=app).order_by("section", "name")
    rows = [
        # "known": False spelled out: the template asks every row, and a missing key is a slow lookup.
        {"section": o.section, "name": o.name, "value": "" if o.is_secret else clear_value(o), "existing": True,
         "known": False}
        for o in options
    ]
    set_keys = {(o.section, o.name) for o in options}
    rows += [
        {"section": s.section, "name": s.name, "value": "", "known": True}
        for s in specs_for(app.app_type, app.version) if s.key not in set_keys
    ]
    return rows


def changes_from_formset(formset) -> list[OptionChange]:
    changes = []
    for form in formset.forms:
        data = form.cleaned_data
        if not data:
            continue
        section, name, value = data.get("section", ""), data.get("name", ""), data.get("value", "")
        existing = form.initial.get("existing")
        if existing:
            if form.fields["value"].disabled:
                continue
            if data.get("delete"):
                changes.append(OptionChange(section, name, None))
            elif form.is_secret and value == "":
                continue  # write-only: empty keeps the stored secret
            else:
                changes.append(OptionChange(section, name, value))
        elif form.initial.get("known"):
            if value != "":
                changes.append(OptionChange(section, name, value))
        elif section or name or value:
            changes.append(OptionChange(section.strip(), name.strip(), value))
    return changes


def attach_errors(formset, errors: dict[str, str]) -> None:
    placed = set()
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None) or {}
        label = option_label((data.get("section") or "").strip(), (data.get("name") or "").strip())
        if label in errors:
            form.add_error("value" if not label.startswith("[] ") else "section", errors[label])
            placed.add(label)
    for label, message in errors.items():
        if label not in placed:
            formset._non_form_errors.append(f"{label}: {message}")


@operator_required
def options_edit(request, pk):
    app = application_or_404(pk)
    conflict = None
    may_edit_protected = has_role(request.user, SECURITY_OFFICER)
    if request.method == "POST":
        formset = OptionFormSet(request.POST, application=app, initial=editor_initial_from_post(request.POST, app),
                                may_edit_protected=may_edit_protected)
        revision = request.POST.get("revision", "")
        expected = parse_whole_number(revision)
        expected = -1 if expected is None else expected
        if expected != app.options_revision:
            # Said first, before any row error: the rows on the page are not the current options.
            conflict = StaleEdit(events_since(app, expected), app.options_revision)
        elif formset.is_valid():
            try:
                changed = options_apply(
                    application=app,
                    changes=changes_from_formset(formset),
                    actor=request.user,
                    expected_revision=expected,
                )
            except StaleEdit as stale:
                conflict = stale
            except OptionsInvalid as invalid:
                attach_errors(formset, invalid.errors)
                messages.error(request, "Nothing was saved: correct the values marked below.")
            else:
                messages.success(request, f"Saved: {changed} option(s) changed." if changed else "No changes to save.")
                if "_apply" in request.POST:
                    return redirect("applications:options_edit", app.pk)
                return redirect("applications:options", app.pk)
    else:
        formset = OptionFormSet(application=app, initial=editor_initial(app), may_edit_protected=may_edit_protected)
        revision = app.options_revision
    response = render(request, "applications/options_edit.html", {
        "app": app, "tab": "options", "formset": formset, "revision": revision, "conflict": conflict,
    })
    formset.release()  # hundreds of row forms: freed now rather than by the garbage collector
    return response


def editor_initial_from_post(post, app) -> list[dict]:
    """Each posted row keeps the role it had on the page (existing / known option, or a new row).

    Rebuilt from the posted rows, not from the options now: if someone saved since, the rows would
    have moved and a value would meet another row's select. The revision check reports the conflict."""
    initial_forms, total_forms = (parse_whole_number(post.get(k)) for k in ("form-INITIAL_FORMS", "form-TOTAL_FORMS"))
    if initial_forms is None or total_forms is None:
        return editor_initial(app)
    count = min(initial_forms, total_forms)
    options = {(o.section, o.name): o for o in Option.objects.filter(application=app)}
    rows = []
    for i in range(max(0, min(count, OptionFormSet.max_num))):
        section, name = post.get(f"form-{i}-section", ""), post.get(f"form-{i}-name", "")
        if post.get(f"form-{i}-existing") == "True":
            option = options.get((section, name))
            value = "" if option is None or option.is_secret else clear_value(option)
            rows.append({"section": section, "name": name, "value": value, "existing": True, "known": False})
        else:
            rows.append({"section": section, "name": name, "value": "", "known": True})
    return rows


@viewer_required
@require_safe
def options_export(request, pk):
    app = application_or_404(pk)
    response = HttpResponse(export_cfg(app), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{slugify(app.name) or "application"}.cfg"'
    return response


@operator_required
def options_import(request, pk):
    app = application_or_404(pk)
    session_key = IMPORT_SESSION_KEY.format(app.pk)
    if request.method == "POST" and "_confirm" in request.POST:
        return options_import_confirm(request, app, session_key)
    form = CfgImportForm(request.POST or None, request.FILES or None)
    preview = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        try:
            preview = preview_import(app, data, actor=request.user)
        except CfgError as exc:
            form.add_error("file", str(exc))
        else:
            request.session[session_key] = {
                "data": base64.b64encode(data).decode("ascii"),
                "sha256": hashlib.sha256(data).hexdigest(),
                "filename": upload.name,
                "revision": app.options_revision,
            }
    counts = {}
    for row in preview or []:
        counts[row.status] = counts.get(row.status, 0) + 1
    return render(request, "applications/options_import.html", {
        "app": app, "tab": "options", "form": form, "preview": preview, "counts": counts,
        "has_invalid": bool(counts.get(INVALID)),
        "digest": request.session.get(session_key, {}).get("sha256") if preview is not None else None,
        "revision": request.session.get(session_key, {}).get("revision") if preview is not None else None,
    })


def options_import_confirm(request, app, session_key):
    pending = request.session.get(session_key)
    if not pending or pending.get("sha256") != request.POST.get("digest"):
        messages.error(request, "That preview has expired: upload the file again.")
        return redirect("applications:options_import", app.pk)
    data = base64.b64decode(pending["data"])
    # The revision the preview on this page was made at (the session holds the latest preview's,
    # which another tab may have made later): the older one decides.
    shown = parse_whole_number(request.POST.get("revision"))
    expected = pending["revision"] if shown is None else min(shown, pending["revision"])
    try:
        changed = apply_import(application=app, data=data, actor=request.user,
                               expected_revision=expected, filename=pending["filename"])
    except StaleEdit as stale:
        del request.session[session_key]
        return render(request, "applications/options_import.html", {
            "app": app, "tab": "options", "form": CfgImportForm(), "preview": None, "conflict": stale,
            "reload_url": reverse("applications:options_import", args=[app.pk]),
        })
    except (OptionsInvalid, CfgError) as exc:
        messages.error(request, f"Nothing was imported: {exc}")
        return redirect("applications:options_import", app.pk)
    del request.session[session_key]
    messages.success(request, f"Imported {pending['filename']}: {changed} option(s) changed.")
    return redirect(reverse("applications:options", args=[app.pk]))
