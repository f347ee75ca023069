"""Options tab and the options editor (Save / Apply / Cancel), one window of options at a time.

The editor never changes what the operator typed: a refused value comes back as typed, with its
error, and every error of the page is shown at once under "Nothing was saved"; only the rows whose
value differs from the stored one are saved. The rules are the service's (``options_apply``).
"""

from itertools import groupby

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_safe

from applications import widgets
from applications.catalogue import is_secret, spec_for
from applications.forms import NOTE_MAX_LENGTH, OptionFormSet, WhyForm, read_only_reason, value_choices
from applications.models import Option
from applications.numbers import parse_whole_number
from applications.options import OptionChange, OptionsInvalid, StaleEdit, clear_value, events_since, options_apply
from applications.options_window import OptionWindow, known_not_set, section_counts
from applications.roles import SECURITY_OFFICER, has_role
from applications.views import application_or_404
from applications.widgets import esc
from cobrowse_admin.access import access_required


def window_context(app, window: OptionWindow, page) -> dict:
    return {
        "window": window, "window_query": window.query(), "page": page, "sections": section_counts(app),
        "previous_query": window.query(page=page.previous_page_number()) if page.has_previous() else None,
        "next_query": window.query(page=page.next_page_number()) if page.has_next() else None,
    }


@access_required
@require_safe
def options_tab(request, pk):
    app = application_or_404(pk)
    window = OptionWindow.from_query(request.GET)
    page = window.page_of(app)
    keys = [(o.section, o.name) for o in page.object_list]
    pending = set(app.pending_changes.filter(section__in={k[0] for k in keys}, name__in={k[1] for k in keys})
                  .values_list("section", "name"))
    rows = []
    for o in page.object_list:
        spec = spec_for(app.app_type, app.version, o.section, o.name)
        rows.append({
            "section": o.section, "name": o.name, "value": None if o.is_secret else o.value, "secret": o.is_secret,
            "spec": spec, "mandatory": bool(spec and spec.is_mandatory(app.app_type)),
            "pending": (o.section, o.name) in pending,
        })
    missing = [{"spec": s, "mandatory": s.is_mandatory(app.app_type)} for s in known_not_set(app)]
    grouped = [(section, list(items)) for section, items in groupby(rows, key=lambda r: r["section"])]
    return render(request, "applications/detail_options.html", {
        "app": app, "tab": "options", "grouped": grouped, "missing": missing,
        "missing_mandatory": [m["spec"] for m in missing if m["mandatory"]],
        **window_context(app, window, page),
    })


def editor_initial(app, window: OptionWindow, options: list[Option]) -> list[dict]:
    """The rows of one page: its options, then (on the first page) the catalogue's not set yet."""
    rows = [
        # "known": False spelled out: the template asks every row, and a missing key is a slow lookup.
        {"section": o.section, "name": o.name, "value": "" if o.is_secret else o.value, "existing": True,
         "known": False}
        for o in options
    ]
    if window.page == 1:
        rows += [{"section": s.section, "name": s.name, "value": "", "known": True}
                 for s in known_not_set(app, window)]
    return rows


def editor_initial_from_post(post, app) -> list[dict]:
    """Each posted row keeps the role it had on the page (existing / known option, or a new row).

    Rebuilt from the posted rows, not from the options now: if someone saved since, the rows would
    have moved and a value would meet another row's select. The revision check reports the conflict.
    Only the options of the posted rows are read (one page), whatever the application holds."""
    initial_forms, total_forms = (parse_whole_number(post.get(k)) for k in ("form-INITIAL_FORMS", "form-TOTAL_FORMS"))
    if initial_forms is None or total_forms is None:
        return []
    count = max(0, min(initial_forms, total_forms, OptionFormSet.absolute_max))
    keys = [(post.get(f"form-{i}-section", ""), post.get(f"form-{i}-name", "")) for i in range(count)]
    existing_keys = {key for i, key in enumerate(keys) if post.get(f"form-{i}-existing") == "True"}
    options = {}
    if existing_keys:
        found = Option.objects.filter(application=app, section__in={k[0] for k in existing_keys},
                                      name__in={k[1] for k in existing_keys})
        options = {(o.section, o.name): o for o in found if (o.section, o.name) in existing_keys}
    rows = []
    for i, (section, name) in enumerate(keys):
        if post.get(f"form-{i}-existing") == "True":
            option = options.get((section, name))
            value = "" if option is None or option.is_secret else clear_value(option)
            rows.append({"section": section, "name": name, "value": value, "existing": True, "known": False})
        else:
            rows.append({"section": section, "name": name, "value": "", "known": True})
    return rows


def changes_from_formset(formset) -> list[tuple[int, OptionChange]]:
    """``(form index, change)`` for each row that asks for something. Values go as typed; the service
    leaves out those equal to the stored value, and validates the others."""
    changes = []
    for index, form in enumerate(formset.forms):
        data = form.cleaned_data
        if not data:
            continue
        section, name, value = data.get("section", ""), data.get("name", ""), data.get("value", "")
        if form.initial.get("existing"):
            if form.fields["value"].disabled:
                continue
            if data.get("delete"):
                changes.append((index, OptionChange(section, name, None)))
            elif form.is_secret and value == "":
                continue  # write-only: empty keeps the stored secret
            else:
                changes.append((index, OptionChange(section, name, value)))
        elif form.initial.get("known"):
            if value != "":
                changes.append((index, OptionChange(section, name, value, must_be_new=True)))
        elif section or name or value:
            changes.append((index, OptionChange(section, name, value, must_be_new=True)))
    return changes


def attach_errors(formset, changes: list[tuple[int, OptionChange]], invalid: OptionsInvalid) -> list[str]:
    """Each error on its row; returns every error as a line for the banner ("[section] name: message")."""
    lines = list(invalid.general)
    for position, message in sorted(invalid.row_errors.items()):
        form_index, change = changes[position]
        about_names = message.startswith(("the section name", "the option name"))
        formset.forms[form_index].add_error(None if about_names else "value", message)
        label = f"[{change.section}] {change.name}" if change.section or change.name else f"row {form_index + 1}"
        lines.append(f"{label}: {message}")
    for form in formset.forms:
        if form.is_secret and form.cleaned_data.get("value") and not form.fields["value"].disabled:
            # A secret is never rendered back: its field comes back empty, and empty keeps the stored one.
            form.add_error("value", "Secrets are never shown back: type this value again.")
    return lines


def editor_row(form) -> SafeString:
    """One row of the editor, as ``options_edit.html`` wrote it from the row's form, character for character
    (whitespace included): a page has a hundred rows, and the template engine's lookups for their dozen
    variables each were most of the page's time. The widgets render themselves (``applications.widgets``)."""
    initial, errors = form.initial, form.errors
    if initial.get("existing") or initial.get("known"):
        names = (str(form["section"]), str(form["name"]))
    else:
        names = tuple((bound.html_name, bound.auto_id, bound.value() or "")
                      for bound in (form["section"], form["name"]))
    shown_errors = ""
    if errors:
        shown_errors = "\n          {}\n          {}\n          ".format(*(
            "".join(f'<div class="text-danger small">{esc(error)}</div>' for error in messages_)
            for messages_ in (form.non_field_errors(), form["value"].errors)))
    return row_markup(initial, names=names, value=str(form["value"]) + str(form["existing"]),
                      delete=form["delete"], errors=shown_errors, has_errors=bool(errors), spec=form.spec,
                      mandatory=form.is_mandatory, secret=form.is_secret, read_only=form.read_only_reason)


def row_markup(initial: dict, *, names: tuple, value: str, delete, errors: str, has_errors: bool, spec,
               mandatory: bool, secret: bool, read_only: str) -> SafeString:
    """The HTML of an editor row from its parts (``editor_row``, ``unbound_rows``). ``names``: the hidden
    section and name inputs of an existing or known row, or ``(html name, id, value)`` of the new row's two
    text inputs; ``delete``: the Remove checkbox (rendered only when shown)."""
    if initial.get("existing") or initial.get("known"):
        not_set = ' <span class="badge text-bg-light border">not set</span>' if initial.get("known") else ""
        names_html = (f'\n          <td class="mono">{names[0]}{esc(initial.get("section", ""))}</td>'
                      f'\n          <td class="mono">{names[1]}{esc(initial.get("name", ""))}{not_set}</td>\n        ')
    else:
        (section_name, section_id, section_value), (name_name, name_id, name_value) = names
        names_html = (f'\n          <td><input type="text" name="{esc(section_name)}" id="{esc(section_id)}" '
                      f'value="{esc(section_value)}" class="form-control form-control-sm mono" '
                      f'placeholder="new section" aria-label="Section"></td>'
                      f'\n          <td><input type="text" name="{esc(name_name)}" id="{esc(name_id)}" '
                      f'value="{esc(name_value)}" class="form-control form-control-sm mono" '
                      f'placeholder="new option" aria-label="Option name"></td>\n        ')
    remove = str(delete) if initial.get("existing") and not mandatory else ""
    read_only_html = f'<div class="small text-muted">{esc(read_only)}</div>' if read_only else ""
    if spec:
        about = ('<span class="badge text-bg-light border">mandatory</span> ' if mandatory else "") + (
            f'{esc(spec.description)} <span class="text-muted">Valid: {esc(spec.value_hint)}. '
            f'Default: {esc(spec.default or "none")}. Takes effect {esc(spec.takes_effect)}.'
            f'{" Write-only: leave empty to keep." if spec.secret else ""}</span>{read_only_html}')
    elif initial.get("existing"):
        secret_note = " A secret (by its name): write-only, leave empty to keep." if secret else ""
        about = (f'<span class="text-muted">Not in the catalogue: free text, takes effect after restart.{secret_note}'
                 f'</span>{read_only_html}')
    else:
        about = ""
    return mark_safe(
        f'\n      \n      <tr class="{"table-danger" if has_errors else ""}">\n        {names_html}'
        f'\n        <td>\n          {value}\n          {errors}\n        </td>'
        f'\n        <td>{remove}</td>\n        <td class="small">{about}</td>\n      </tr>\n      \n    ')


# The widgets of a page's rows on GET, shared: rendering reads them and changes nothing.
HIDDEN, TEXT, CHECKBOX = widgets.HiddenInput(), widgets.TextInput(), widgets.CheckboxInput()


def unbound_rows(formset) -> list[SafeString]:
    """The rows an unbound ``OptionFormSet`` shows (a GET of the editor), as ``editor_row`` writes them from
    its forms, without building the forms: two hundred rows were two hundred Django forms and a thousand
    bound fields, most of the page's time. The same decisions as ``OptionRowForm`` (``read_only_reason``,
    ``value_choices``, its widgets and their attributes); a test compares both for every kind of row."""
    app, may_edit_protected = formset.application, formset.may_edit_protected
    rows = []
    for index in range(formset.total_form_count()):
        initial = formset.initial[index] if formset.initial and index < len(formset.initial) else {}
        prefix = formset.add_prefix(index)
        section, name = initial.get("section") or "", initial.get("name") or ""
        existing_or_known = bool(initial.get("existing") or initial.get("known"))
        spec = spec_for(app.app_type, app.version, section, name) if existing_or_known else None
        secret = is_secret(section, name)
        read_only = read_only_reason(section, secret, may_edit_protected) if existing_or_known else ""
        value = initial.get("value")
        attrs = {}
        if secret:
            widget = widgets.PasswordInput(render_value=False, attrs={
                "placeholder": "leave empty to keep" if initial.get("existing") else "secret, never shown",
                "autocomplete": "new-password"})
        elif spec and spec.valid_values is not None:
            widget = widgets.Select(choices=value_choices(spec, known=bool(initial.get("known")), current=value))
        else:
            widget = TEXT
        attrs["class"] = "form-select form-select-sm" if isinstance(widget, widgets.Select) else (
            "form-control form-control-sm mono")
        attrs["aria-label"] = f"Value of {section} {name}".strip()
        if secret:
            attrs = {**widget.attrs, **attrs}
        if read_only:
            attrs["disabled"] = True
        attrs["id"] = f"id_{prefix}-value"
        value_html = widget.render(f"{prefix}-value", value, attrs)
        existing_html = HIDDEN.render(f"{prefix}-existing", initial.get("existing"), {"id": f"id_{prefix}-existing"})
        if existing_or_known:
            names = tuple(HIDDEN.render(f"{prefix}-{field}", initial.get(field), {"id": f"id_{prefix}-{field}"})
                          for field in ("section", "name"))
        else:
            names = tuple((f"{prefix}-{field}", f"id_{prefix}-{field}", initial.get(field) or "")
                          for field in ("section", "name"))
        delete = CHECKBOX.render(f"{prefix}-delete", initial.get("delete"),
                                 {"disabled": True, "id": f"id_{prefix}-delete"} if read_only
                                 else {"id": f"id_{prefix}-delete"})
        rows.append(row_markup(initial, names=names, value=value_html + existing_html, delete=delete, errors="",
                               has_errors=False, spec=spec, mandatory=bool(spec and spec.is_mandatory(app.app_type)),
                               secret=secret, read_only=read_only))
    return rows


def posted_note(request) -> str:
    """The "Why" of an options page (a free text, cut to its length)."""
    return (request.POST.get("note") or "").strip()[:NOTE_MAX_LENGTH]


@access_required
def options_edit(request, pk):
    app = application_or_404(pk)
    window = OptionWindow.from_query(request.GET)
    conflict, refused = None, []
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
            changes = changes_from_formset(formset)
            try:
                changed = options_apply(application=app, changes=[c for _i, c in changes], actor=request.user,
                                        expected_revision=expected, note=posted_note(request))
            except StaleEdit as stale:
                conflict = stale
            except OptionsInvalid as invalid:
                refused = attach_errors(formset, changes, invalid)
            else:
                messages.success(request, f"Saved: {changed} option(s) changed." if changed else "No changes to save.")
                target = "applications:options_edit" if "_apply" in request.POST else "applications:options"
                query = window.query()
                return redirect(reverse(target, args=[app.pk]) + (f"?{query}" if query else ""))
        else:
            refused = [str(error) for error in formset.non_form_errors()] + [
                f"row {i + 1}: {error}" for i, form in enumerate(formset.forms) for errors in form.errors.values()
                for error in errors]
        page = window.page_of(app)
    else:
        page = window.page_of(app)
        formset = OptionFormSet(application=app, initial=editor_initial(app, window, list(page.object_list)),
                                may_edit_protected=may_edit_protected)
        revision = app.options_revision
    rows = [editor_row(form) for form in formset] if formset.is_bound else unbound_rows(formset)
    response = render(request, "applications/options_edit.html", {
        # The management form given apart: the template's lookup of formset.management_form would ask the
        # formset for an item first, which builds every row form.
        "app": app, "tab": "options", "formset": formset, "management_form": formset.management_form, "rows": rows,
        "revision": revision, "conflict": conflict,
        "refused": refused, **window_context(app, window, page),
        "why": WhyForm(request.POST if request.method == "POST" else None),
    })
    formset.release()  # a hundred row forms: freed now rather than by the garbage collector
    return response
