"""A host's options, edited on its page (``applications.host_options`` holds the rules).

The catalogue's TLS parameters are one row each with their widget (a select for a finite set); the
host's other options are rows of their own; three empty rows add new ones. A refused value comes
back as typed with its error; a page opened before someone else saved is refused with the banner.
"""

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_POST, require_safe

from applications.cfg import CfgError
from applications.forms import CfgImportForm, WhyMixin
from applications.host_options import HOST_CATALOGUE, SECTION, export_host_cfg, host_options_apply, import_host_cfg
from applications.models import Host
from applications.options import OptionChange, OptionsInvalid, StaleEdit
from cobrowse_admin.access import access_required

NEW_ROWS = 3


def catalogue_field(spec, posted: str | None) -> forms.Field:
    help_text = f"{spec.description} ({spec.value_hint})"
    if spec.valid_values is not None:
        choices = [(v, v or "— not set —") for v in spec.valid_values]
        if posted is not None and posted not in spec.valid_values:
            choices.append((posted, f"{posted} (not a valid value)"))  # kept as typed, with its error
        return forms.ChoiceField(label=spec.name, choices=choices, required=False, help_text=help_text)
    return forms.CharField(label=spec.name, required=False, strip=False, max_length=4000, help_text=help_text)


class HostOptionsForm(WhyMixin, forms.Form):
    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, host: Host, **kwargs):
        super().__init__(*args, **kwargs)
        self.host = host
        stored = {(o.section, o.name): o.value for o in host.options.all()}
        data = args[0] if args else kwargs.get("data")
        self.fields["revision"].initial = host.options_revision
        self.catalogue_names = []
        for spec in HOST_CATALOGUE:
            name = f"cat-{spec.name}"
            posted = data.get(name) if data is not None else None
            self.fields[name] = catalogue_field(spec, posted)
            self.fields[name].initial = stored.get(spec.key, "")
            self.catalogue_names.append((name, spec))
        known = {spec.key for spec in HOST_CATALOGUE}
        self.other_rows = []
        for index, (key, value) in enumerate(sorted((k, v) for k, v in stored.items() if k not in known)):
            value_name, remove_name = f"opt-{index}-value", f"opt-{index}-remove"
            self.fields[value_name] = forms.CharField(label=f"[{key[0]}] {key[1]}", required=False, strip=False,
                                                      max_length=4000, initial=value)
            self.fields[remove_name] = forms.BooleanField(label="remove", required=False)
            self.other_rows.append((key, value_name, remove_name))
        self.new_rows = []
        for index in range(NEW_ROWS):
            names = tuple(f"new-{index}-{part}" for part in ("section", "name", "value"))
            for part, name in zip(("section", "name", "value"), names, strict=True):
                self.fields[name] = forms.CharField(label=part, required=False, strip=False, max_length=4000)
            self.new_rows.append(names)
        self.add_why()

    def changes(self) -> tuple[list[OptionChange], list[str]]:
        """The changes the page asks for, and for each the field its error goes to."""
        data = self.cleaned_data
        changes, fields = [], []
        for name, spec in self.catalogue_names:
            value = data.get(name, "")
            changes.append(OptionChange(SECTION, spec.name, value if value != "" else None))
            fields.append(name)
        for (section, option), value_name, remove_name in self.other_rows:
            changes.append(OptionChange(section, option, None if data.get(remove_name) else data.get(value_name, "")))
            fields.append(value_name)
        for section_name, name_name, value_name in self.new_rows:
            section, option, value = (data.get(n, "") for n in (section_name, name_name, value_name))
            if section or option or value:
                changes.append(OptionChange(section, option, value, must_be_new=True))
                fields.append(value_name if section and option else (name_name if section else section_name))
        return changes, fields


@access_required
def host_options(request, pk):
    host = get_object_or_404(Host, pk=pk)
    form = HostOptionsForm(request.POST or None, host=host)
    conflict = None
    if request.method == "POST" and form.is_valid():
        changes, fields = form.changes()
        try:
            changed = host_options_apply(host=host, changes=changes, actor=request.user,
                                         expected_revision=form.cleaned_data["revision"], note=form.note)
        except StaleEdit as exc:
            conflict = exc
        except OptionsInvalid as invalid:
            for index, message in invalid.row_errors.items():
                form.add_error(fields[index], message)
            for message in invalid.general:
                form.add_error(None, message)
        else:
            messages.success(request, f"Saved {changed} option(s) of {host}." if changed else
                             f"Nothing changed in the options of {host}.")
            return redirect(host.get_absolute_url())
    return render(request, "applications/host_options.html", {
        "host": host, "form": form, "conflict": conflict, "reload_url": request.path,
        "catalogue": [(form[name], spec) for name, spec in form.catalogue_names],
        "others": [(key, form[value], form[remove]) for key, value, remove in form.other_rows],
        "new_rows": [tuple(form[n] for n in names) for names in form.new_rows],
        "cancel_url": reverse("applications:host_detail", args=[host.pk]),
        "import_form": CfgImportForm(),
    })


@access_required
@require_safe
def host_options_export(request, pk):
    host = get_object_or_404(Host, pk=pk)
    response = HttpResponse(export_host_cfg(host), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="host-{slugify(host.name) or "host"}.cfg"'
    return response


@access_required
@require_POST
def host_options_import(request, pk):
    """A .cfg file applied at once, all or nothing, against the revision of the page it was chosen on."""
    host = get_object_or_404(Host, pk=pk)
    form = CfgImportForm(request.POST, request.FILES)
    back = reverse("applications:host_options", args=[host.pk])
    revision = request.POST.get("revision", "")
    if not form.is_valid():
        messages.error(request, "Nothing was imported: " + " ".join(m for ms in form.errors.values() for m in ms))
        return redirect(back)
    upload = form.cleaned_data["file"]
    try:
        changed = import_host_cfg(host=host, data=upload.read(), actor=request.user, filename=upload.name,
                                  expected_revision=int(revision) if revision.isdigit() and len(revision) < 12 else -1,
                                  note=request.POST.get("note", "").strip()[:1000])
    except StaleEdit:
        messages.error(request, f"Nothing was imported: the options of {host} changed since you opened this page. "
                                "They are shown as they are now: check them and import again.")
    except (CfgError, OptionsInvalid) as exc:
        messages.error(request, f"Nothing was imported: {exc.summary() if isinstance(exc, OptionsInvalid) else exc}")
    else:
        messages.success(request, f"Imported {upload.name}: {changed} option(s) of {host} changed.")
        return redirect(host.get_absolute_url())
    return redirect(back)
