"""Forms of the applications pages. Validation here; writes go through the services."""

import json

from django import forms
from django.core.exceptions import ValidationError

from applications import widgets
from applications.catalogue import is_protected_section, is_secret, spec_for
from applications.limits import EDITOR_NEW_ROWS, EDITOR_PAGE_ROWS, MAX_CFG_BYTES
from applications.models import Application, AppType, Connection, Host, OperatingSystem, Port, PortMode, Protocol
from applications.names import name_problem, validate_object_name
from applications.paths import path_problem
from applications.text import quoted
from applications.transport import TLS, TLS_MUTUAL, params_dict, with_flag
from applications.validators import validate_transport_params, validate_version

NOTE_MAX_LENGTH = 1000


def why_field(*, required: bool = False) -> forms.CharField:
    """The "Why" of a change: kept with the version and the audit event it makes."""
    return forms.CharField(
        label="Why", required=required, max_length=NOTE_MAX_LENGTH, strip=True,
        widget=forms.TextInput(attrs={"placeholder": "why this change (kept in the history)"}),
        help_text=("Required here: say why (kept with the version and the audit event)." if required else
                   "Optional: kept with the version and the audit event."),
        error_messages={"required": "Say why you make this change: it is kept in the history."},
    )


class WhyMixin:
    """Adds the "Why" field (``note``) last; ``why_required`` makes it mandatory."""

    why_required = False

    def add_why(self, required: bool | None = None) -> None:
        self.fields["note"] = why_field(required=self.why_required if required is None else required)

    @property
    def note(self) -> str:
        return (getattr(self, "cleaned_data", {}) or {}).get("note", "") or ""


class WhyForm(WhyMixin, forms.Form):
    """The "Why" alone, for pages whose other fields are not one form (the options editor, the import)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_why()


class HostForm(WhyMixin, forms.ModelForm):
    class Meta:
        model = Host
        fields = ["name", "address", "os_type", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_why()

    def clean_name(self):
        return self.cleaned_data["name"].strip()


def check_working_directory(form: forms.ModelForm, data: dict) -> None:
    """A directory on the application's host: its form must fit the host's operating system."""
    directory, host = data.get("working_directory"), data.get("host")
    if directory:
        problem = path_problem(directory, host.os_type if host else None, host=host.name if host else "",
                               directory=True)
        if problem:
            form.add_error("working_directory" if "working_directory" in form.fields else None, problem)


def validate_command_text(value: str) -> None:
    """A command line or its arguments: one line of text an operator reads and copies."""
    problem = name_problem(value, "A command line")
    if problem:
        raise ValidationError(problem, code="unsafe_characters")


class ApplicationForm(WhyMixin, forms.ModelForm):
    class Meta:
        model = Application
        fields = [
            "name", "app_type", "version", "host", "enabled", "cluster", "scs_controlled",
            "service_account", "working_directory", "backup_server",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].validators.append(validate_version)
        self.fields["host"].queryset = Host.objects.order_by("name")
        clusters = Application.objects.filter(app_type=AppType.COBROWSE_CLUSTER).order_by("name")
        if self.instance.pk:
            clusters = clusters.exclude(pk=self.instance.pk)
        self.fields["cluster"].queryset = clusters
        # Any application is accepted by the field (the type may change in the same form; clean() says which
        # fit), the list offers those of the application's type, names only (a large estate has thousands).
        self.fields["backup_server"].queryset = Application.objects.order_by("name")
        offered_type = (self.data.get("app_type") if self.is_bound else None) or self.instance.app_type
        offered = Application.objects.filter(app_type=offered_type) if offered_type else Application.objects.all()
        if self.instance.pk:
            offered = offered.exclude(pk=self.instance.pk)
        # A callable: read when the list is rendered, never when the form is built (the API builds one at import).
        self.fields["backup_server"].choices = lambda: [("", "---------"),
                                                        *offered.order_by("name").values_list("pk", "name")]
        self.add_why()

    def clean_name(self):
        return self.cleaned_data["name"].strip()

    def clean_version(self):
        return self.cleaned_data["version"].strip()

    def clean_working_directory(self):
        return self.cleaned_data["working_directory"].strip()

    def clean(self):
        data = super().clean()
        check_working_directory(self, data)
        app_type, cluster = data.get("app_type"), data.get("cluster")
        if cluster and app_type != AppType.COBROWSE_NODE:
            self.add_error("cluster", "Only a Co-browse Node belongs to a Cluster.")
        if self.instance.pk and app_type and app_type != self.instance.app_type:
            if self.instance.app_type == AppType.COBROWSE_CLUSTER and self.instance.nodes.exists():
                self.add_error("app_type", "This Cluster still has Nodes: move them first.")
            if self.instance.primaries.exclude(app_type=app_type).exists():
                names = ", ".join(self.instance.primaries.order_by("name").values_list("name", flat=True)[:5])
                self.add_error("app_type", f"This application is the backup server of {names}: a backup server "
                                           "has the type of its primary. Remove it there first.")
        backup_problem = backup_server_problem(self.instance, data.get("backup_server"), app_type)
        if backup_problem:
            self.add_error("backup_server", backup_problem)
        return data


def backup_server_problem(app: Application, backup: Application | None, app_type: str | None) -> str:
    """Why ``backup`` cannot be the backup server of ``app`` (of type ``app_type``); "" when it can."""
    if backup is None:
        return ""
    if app.pk and backup.pk == app.pk:
        return "An application cannot be its own backup server: choose another application of the same type."
    if app_type and backup.app_type != app_type:
        return (f"{backup.name} is a {backup.get_app_type_display()}: the backup server of a "
                f"{AppType(app_type).label} is another {AppType(app_type).label}.")
    return ""


class ServerInfoForm(WhyMixin, forms.ModelForm):
    """Genesys Administrator's Server Info tab: where the server runs and how it is started (its
    listening ports are edited one by one below it)."""

    class Meta:
        model = Application
        fields = ["host", "working_directory", "command_line", "command_line_arguments"]
        labels = {"working_directory": "Working directory"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["host"].queryset = Host.objects.order_by("name")
        self.fields["command_line"].validators.append(validate_command_text)
        self.fields["command_line_arguments"].validators.append(validate_command_text)
        self.add_why()

    def clean(self):
        data = super().clean()
        check_working_directory(self, data)
        return data


class CloneForm(forms.Form):
    name = forms.CharField(max_length=255, help_text="Name of the new application.", validators=[validate_object_name])

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if Application.objects.filter(name=name).exists():
            raise ValidationError(f"An application named {quoted(name)} already exists.")
        return name


class PortForm(WhyMixin, forms.ModelForm):
    """A listening port. Its TLS settings are its transport parameters (``tls=1``, ``tls-mutual=1``,
    as Genesys keeps them); the TLS and mutual TLS boxes are a convenience that writes them.

    A box ticked or unticked writes its parameter; parameters typed win over a box left as it was."""

    number = forms.IntegerField(min_value=1, max_value=65535)
    # One word per idea: a port is "TLS" or "not secure" on every page, its form says the same.
    secured = forms.BooleanField(label="TLS", required=False,
                                 help_text="The port speaks TLS (a secure port): writes tls=1 into the transport "
                                           "parameters. Unticked: not secure.")
    mutual_tls = forms.BooleanField(label="Mutual TLS", required=False,
                                    help_text="The server also asks the client for a certificate of its own: "
                                              "writes tls-mutual=1. Needs TLS.")

    class Meta:
        model = Port
        fields = ["port_id", "number", "mode", "transport_params"]

    field_order = ["port_id", "number", "mode", "secured", "mutual_tls", "transport_params"]

    def __init__(self, *args, application: Application, number_clash: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.application = application
        # A ports .cfg import checks the numbers over the whole file instead (two ports may swap numbers).
        self.number_clash = number_clash
        # Left out (an older client of the API, a revert of an old version): the port's mode stays.
        self.fields["mode"].required = False
        self.fields["secured"].initial = self.instance.secured
        self.fields["mutual_tls"].initial = self.instance.mutual_tls
        self.add_why()

    def clean_port_id(self):
        port_id = self.cleaned_data["port_id"].strip()
        if not port_id:
            raise ValidationError("A port needs an ID, such as default or secure.")
        clash = Port.objects.filter(application=self.instance.application, port_id=port_id)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError(f"This application already has a port with ID {quoted(port_id)}.")
        return port_id

    def clean_number(self):
        """Two ports of one application cannot listen on one number: refused for a new port or a changed
        number (a clash stored before this rule does not block other edits of the port)."""
        number = self.cleaned_data["number"]
        if not self.number_clash or (self.instance.pk and number == self.instance.number):
            return number
        clash = Port.objects.filter(application=self.instance.application, number=number)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        other = clash.order_by("port_id").values_list("port_id", flat=True).first()
        if other is not None:
            raise ValidationError(f"Port {number} is already the number of this application's port {quoted(other)}: "
                                  "two ports cannot listen on one number.")
        return number

    def clean_mode(self):
        return self.cleaned_data.get("mode") or (self.instance.mode if self.instance.pk else PortMode.DEFAULT)

    def clean_transport_params(self):
        text = self.cleaned_data["transport_params"]
        if self.instance.pk and self.add_prefix("transport_params") not in self.data:
            # Left out (a caller that edits only the TLS boxes or the number): the port's parameters stay.
            text = self.instance.transport_params
        params = params_dict(text)
        for name in (TLS, TLS_MUTUAL):
            if name in params and params[name] not in ("0", "1"):
                raise ValidationError(f"Transport parameters: {name} is 1 (on) or 0 (off), not "
                                      f"{quoted(params[name])}.")
        return text

    def reconcile_box(self, box: str, param: str, params: str) -> str:
        """The parameters after the ``box`` (TLS or mutual TLS) is taken into account."""
        ticked = bool(self.cleaned_data.get(box))
        typed = params_dict(params).get(param) == "1"
        if ticked == typed:
            return params
        initial_box = bool(getattr(self.instance, box)) if self.instance.pk else False
        initial_typed = params_dict(self.instance.transport_params).get(param) == "1" if self.instance.pk else False
        if ticked != initial_box and typed == initial_typed:
            return with_flag(params, param, ticked)  # the box changed: it writes its parameter
        # The parameters changed (a box has two states: both changed means both say the same): they win
        # over the box left as it was.
        self.cleaned_data[box] = typed
        return params

    def clean(self):
        data = super().clean()
        if "transport_params" not in data:
            return data
        params = self.reconcile_box("secured", TLS, data["transport_params"])
        params = self.reconcile_box("mutual_tls", TLS_MUTUAL, params)
        if self.errors:
            return data
        secured, mutual = params_dict(params).get(TLS) == "1", params_dict(params).get(TLS_MUTUAL) == "1"
        if mutual and not secured:
            self.add_error("mutual_tls", "Mutual TLS needs a secure port: tick TLS too. (tls-mutual=1 needs tls=1.)")
        mode = data.get("mode")
        if mode == PortMode.SECURE and not secured:
            self.add_error("mode", "A secure-mode port speaks TLS from the first byte: tick TLS (tls=1).")
        if mode == PortMode.UPGRADE and self.instance.application.app_type != AppType.CONFIG_SERVER:
            self.add_error("mode", "Only a Configuration Server has upgrade-mode ports.")
        if len(params) > Port._meta.get_field("transport_params").max_length:
            self.add_error("transport_params", "The transport parameters are too long with tls=1 added.")
        data["transport_params"] = params
        return data


def port_label(port: Port) -> str:
    """How the connection form offers a port: "secure — 4121 (TLS)", "default — 4120"."""
    security = " (TLS, mutual)" if port.mutual_tls else " (TLS)" if port.secured else ""
    return f"{port.port_id} — {port.number}{security}"


def preferred_port_id(ports: list[Port], current: str) -> str:
    """The port ID the list selects after the server changed: the one chosen before if the new
    server has it, else its first secured port, else none (the operator chooses)."""
    if any(port.port_id == current for port in ports):
        return current
    return next((port.port_id for port in ports if port.secured), "")


class ConnectionForm(WhyMixin, forms.ModelForm):
    """The server is chosen, then one of its ports by port ID, as in Genesys Administrator.

    The port ID is a select of the chosen server's ports (secured ones marked). The page's script
    (static/js/connection_form.js) refills it when the server changes, from ``ports_by_server``;
    without the script the "List its ports" button posts the form back (``relisted``), which
    shows the new server's ports and saves nothing. A port ID posted for another server stays
    selected as typed, marked, with its error."""

    server = forms.ModelChoiceField(queryset=Application.objects.none(), empty_label="choose a server")
    port_id = forms.CharField(label="Port ID", max_length=64, widget=forms.Select,
                              help_text="The server's port IDs (its Server Info tab); TLS connections go "
                                        "through a secured port.")

    class Meta:
        model = Connection
        fields = ["protocol", "addp_local_timeout", "addp_remote_timeout", "addp_trace", "transport_params"]

    field_order = ["server", "port_id", "protocol", "addp_local_timeout", "addp_remote_timeout", "addp_trace",
                   "transport_params"]
    addp_fields = ("addp_local_timeout", "addp_remote_timeout", "addp_trace")

    def __init__(self, *args, client: Application, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.client = client
        self.fields["server"].queryset = (
            Application.objects.filter(ports__isnull=False).exclude(pk=client.pk).distinct().order_by("name")
        )
        self.fields["transport_params"].validators.append(validate_transport_params)
        if self.instance.pk:
            self.fields["server"].initial = self.instance.port.application_id
            self.fields["port_id"].initial = self.instance.port.port_id
        self.fields["server"].widget.attrs["data-server-select"] = ""
        self.fields["port_id"].widget.attrs["data-port-select"] = ""
        self.fields["protocol"].widget.attrs["data-protocol-select"] = ""
        self.fields["port_id"].widget.choices = self.port_choices()
        self.add_why()

    def value_of(self, name: str):
        """What the page shows in a field: as posted when bound, else its initial value."""
        if self.is_bound:
            return self.data.get(self.add_prefix(name), "")
        value = self.initial.get(name, self.fields[name].initial)
        return "" if value is None else value

    def chosen_server(self) -> Application | None:
        pk = str(self.value_of("server") or "").strip()
        if not pk.isascii() or not pk.isdigit() or len(pk) > 18:
            return None
        return self.fields["server"].queryset.filter(pk=int(pk)).first()

    def port_choices(self) -> list[tuple[str, str]]:
        """The chosen server's ports; a value posted that is not one of them stays, marked, as typed."""
        server = self.listed_server = self.chosen_server()
        ports = list(server.ports.order_by("port_id")) if server else []
        choices = [("", "choose a port" if server else "choose a server first")]
        choices += [(port.port_id, port_label(port)) for port in ports]
        current = str(self.value_of("port_id"))
        if current and current not in (port.port_id for port in ports):
            where = f"not a port of {server.name}" if server else "no server chosen"
            choices.append((current, f"{current} ({where})"))
        return choices

    def ports_by_server_json(self) -> str:
        """``ports_by_server`` as JSON, for a data attribute (the CSP allows no inline script)."""
        return json.dumps(self.ports_by_server(), ensure_ascii=True)

    def ports_by_server(self) -> dict[str, list[list[str]]]:
        """For the page's script: each server's [port ID, label, "secured" or ""]."""
        result: dict[str, list[list[str]]] = {}
        ports = Port.objects.filter(application__in=self.fields["server"].queryset).order_by("port_id")
        for port in ports:
            result.setdefault(str(port.application_id), []).append(
                [port.port_id, port_label(port), "secured" if port.secured else ""])
        return result

    def listed_for_another_server(self, server: Application) -> bool:
        """Was the port list posted with this form made for another server than the one posted?
        (``listed_for``: the server whose ports the page listed, empty when it listed none.)"""
        listed = str(self.data.get(self.add_prefix("listed_for"), "")).strip()
        return bool(listed) and listed != str(server.pk)

    def clean(self):
        data = super().clean()
        server, port_id = data.get("server"), (data.get("port_id") or "").strip()
        if server and port_id:
            port = Port.objects.filter(application=server, port_id=port_id).first()
            if port is None:
                ids = ", ".join(server.ports.values_list("port_id", flat=True)) or "none"
                self.add_error("port_id", f"{server.name} has no port with ID {quoted(port_id)} (its ports: {ids}).")
            elif self.listed_for_another_server(server):
                # A page without its script: the server changed, the list did not follow. The same
                # port ID on the new server may be another port: shown, for the operator to confirm.
                self.add_error("port_id", f"The list showed the ports of another server: check that "
                                          f"{quoted(port_id)} ({port.number}) of {server.name} is the port "
                                          "you mean, and save again.")
            else:
                clash = Connection.objects.filter(client=self.instance.client, port=port)
                if self.instance.pk:
                    clash = clash.exclude(pk=self.instance.pk)
                if clash.exists():
                    self.add_error("port_id",
                                   f"There is already a connection to {server.name} through {quoted(port_id)}.")
                self.instance.port = port
        if data.get("protocol") == Protocol.ADDP:
            for field in ("addp_local_timeout", "addp_remote_timeout"):
                if data.get(field) is None:
                    self.add_error(field, "ADDP needs both timeouts.")
            if not data.get("addp_trace"):
                data["addp_trace"] = "off"
        else:
            # The ADDP settings exist only with ADDP (a database constraint): saving another protocol
            # drops them. The page says so beforehand (connection_form.html) and after (the view).
            data["addp_local_timeout"] = data["addp_remote_timeout"] = None
            data["addp_trace"] = ""
        return data


def relisted_connection_form(form: ConnectionForm, *, client: Application) -> ConnectionForm:
    """The form as posted, unbound, with the port list of the server now chosen: what "List its
    ports" shows when the page has no script. Nothing is validated or saved; every entry is kept."""
    data = {name: form.data.get(form.add_prefix(name), "") for name in form.fields}
    server = form.chosen_server()
    ports = list(server.ports.all()) if server else []
    data["port_id"] = preferred_port_id(ports, data["port_id"]) if server else data["port_id"]
    return ConnectionForm(instance=form.instance, client=client, initial=data)


def read_only_reason(section: str, secret: bool, may_edit_protected: bool) -> str:
    """Why an editor row is shown but not editable, or "": the security section and secrets are the
    Security officer's (the service checks too)."""
    if may_edit_protected or not (is_protected_section(section) or secret):
        return ""
    return ("Security officers edit this section (Security tab)." if is_protected_section(section)
            else "Security officers set secrets.")


def value_choices(spec, *, known: bool, current: str | None) -> list[tuple[str, str]]:
    """The catalogue's values of an editor row's select; the value shown now (stored, or typed and
    refused) is one of them, marked invalid when it is not valid, so the select never shows another
    value than it holds."""
    valid = spec.valid_values
    choices = [(v, v or "(empty)") for v in valid]
    if known and "" not in valid:
        # Not set yet: the first choice leaves it unset (it is not an invalid value).
        choices.insert(0, ("", "(not set)"))
    if current is not None and current not in (v for v, _label in choices):
        choices.append((current, f"{current or '(empty)'} (invalid)"))
    return choices


class OptionRowForm(forms.Form):
    """One option in the editor. Existing rows have fixed names; blank rows add a new option.

    The fields validate nothing: every rule about names and values is applied by the service
    (``options.options_apply``), so all errors of a page come back at once, in the import's words.
    What was typed is kept as typed (nothing trimmed) and comes back as typed after an error: a
    select offers the refused value as its selected choice, marked invalid, and a new row is text
    (never a select that would fall back to its first choice). Secrets are never rendered back.
    """

    # Fields and widgets quick to copy and rendered in Python: a page shows five hundred of them
    # (applications.widgets).
    section = widgets.CharField(required=False, strip=False, widget=widgets.TextInput)
    name = widgets.CharField(required=False, strip=False, widget=widgets.TextInput)
    value = widgets.CharField(required=False, strip=False, widget=widgets.TextInput)
    delete = widgets.BooleanField(required=False, label="Remove", widget=widgets.CheckboxInput)
    existing = widgets.BooleanField(required=False, widget=widgets.HiddenInput)
    read_only_reason = ""

    def __init__(self, *args, application: Application, may_edit_protected: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        for field in ("section", "name", "value"):
            self.fields[field].validators = []  # not even Django's null-character check: the service names it
        self.application = application
        section = self.initial.get("section") or self.data.get(self.add_prefix("section"), "")
        name = self.initial.get("name") or self.data.get(self.add_prefix("name"), "")
        self.is_new_row = not (self.initial.get("existing") or self.initial.get("known"))
        self.spec = None if self.is_new_row else spec_for(application.app_type, application.version, section, name)
        self.is_secret = is_secret(section, name)
        if not self.is_new_row:
            self.fields["section"].widget = widgets.HiddenInput()
            self.fields["name"].widget = widgets.HiddenInput()
        if self.is_secret:
            self.fields["value"].widget = widgets.PasswordInput(
                render_value=False, attrs={"placeholder": "leave empty to keep" if self.initial.get("existing")
                                           else "secret, never shown", "autocomplete": "new-password"}
            )
        elif self.spec and self.spec.valid_values is not None:
            self.fields["value"].widget = widgets.Select(choices=self.value_choices())
        reason = "" if self.is_new_row else read_only_reason(section, self.is_secret, may_edit_protected)
        if reason:
            self.fields["value"].disabled = True
            self.fields["delete"].disabled = True
            self.read_only_reason = reason
        widget = self.fields["value"].widget
        widget.attrs.setdefault("class", "form-select form-select-sm" if isinstance(widget, forms.Select)
                                else "form-control form-control-sm mono")
        widget.attrs.setdefault("aria-label", f"Value of {section} {name}".strip())

    def value_choices(self) -> list[tuple[str, str]]:
        current = self.data.get(self.add_prefix("value")) if self.is_bound else self.initial.get("value")
        return value_choices(self.spec, known=bool(self.initial.get("known")), current=current)

    @property
    def is_mandatory(self) -> bool:
        return bool(self.spec and self.spec.is_mandatory(self.application.app_type))


class OptionRowFormSet(forms.BaseFormSet):
    def __init__(self, *args, application: Application, may_edit_protected: bool = True, **kwargs):
        self.application = application
        self.may_edit_protected = may_edit_protected
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {"application": self.application, "may_edit_protected": self.may_edit_protected}

    def release(self) -> None:
        """Let the rows go as soon as the page is rendered.

        Django's template context is a reference cycle, which holds this formset; a row form and its
        bound fields are a cycle too. So every row of a 200-option editor (about 10,000 objects) was
        left to the garbage collector, whose full passes then cost 30 to 60 ms in the middle of later
        requests. Without the cycles, reference counting frees them when the view returns."""
        if "forms" not in self.__dict__:
            return  # never built (the editor's GET writes its rows without them)
        for form in self.forms:
            form._bound_fields_cache.clear()  # BoundField.form <-> form._bound_fields_cache
        self.forms.clear()


# One page of the editor: its rows, the catalogue's options not set yet (a few) and the blank rows.
# More forms than that are never built, whatever TOTAL_FORMS says.
EDITOR_MAX_FORMS = EDITOR_PAGE_ROWS + 50
OptionFormSet = forms.formset_factory(OptionRowForm, formset=OptionRowFormSet, extra=EDITOR_NEW_ROWS,
                                      max_num=EDITOR_MAX_FORMS, absolute_max=EDITOR_MAX_FORMS)


class CfgImportForm(forms.Form):
    file = forms.FileField(label=".cfg file", help_text="Genesys options file: [section] then option = value, UTF-8.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_CFG_BYTES:
            raise ValidationError(f"The file is {upload.size:,} bytes; an options file is at most {MAX_CFG_BYTES:,}.")
        return upload


class PortsCfgImportForm(CfgImportForm):
    file = forms.FileField(label=".cfg file", help_text="One [port ID] section per port: port = number, "
                                                        "mode = default, upgrade or secure, transport = name=value;…")


class CompactFormMixin:
    """Small Bootstrap widgets for the filter bars above lists."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select form-select-sm")
            else:
                widget.attrs.setdefault("class", "form-control form-control-sm")


class ApplicationFilterForm(CompactFormMixin, forms.Form):
    q = forms.CharField(required=False, label="Text")
    app_type = forms.ChoiceField(required=False, label="Type", choices=[("", "any type")] + list(AppType.choices))
    # One option per host, rendered in Python (applications.widgets): a large site has hundreds.
    host = forms.ModelChoiceField(required=False, queryset=Host.objects.order_by("name").only("pk", "name"),
                                  empty_label="any host", widget=widgets.Select)
    version = forms.CharField(required=False, help_text="e.g. 8.5.003 or >=8.5.001")
    restart = forms.BooleanField(required=False, label="Restart required only")
    not_ready = forms.BooleanField(required=False, label="Not TLS-ready only")
    # Read by ``applications.sorting`` (an unknown value sorts by name); kept through a filter.
    sort = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The options as id and name pairs of one plain query (the field still validates the host chosen).
        self.fields["host"].choices = widgets.QueryPairs(Host.objects.order_by("name").values_list("pk", "name"),
                                                         first=("", "any host"))

    def clean_version(self):
        text = (self.cleaned_data.get("version") or "").strip()
        if not text:
            return None
        op = "="
        for candidate in (">=", "<=", ">", "<", "="):
            if text.startswith(candidate):
                op, text = candidate, text[len(candidate):].strip()
                break
        validate_version(text)
        return op, text


class AuditFilterForm(CompactFormMixin, forms.Form):
    q = forms.CharField(required=False, label="Text")
    actor = forms.CharField(required=False)
    object_type = forms.ChoiceField(
        required=False,
        label="Object",
        choices=[("", "any object")] + [(t, t) for t in (
            "host", "application", "port", "connection", "option", "certificate", "store", "user")],
    )
    action = forms.ChoiceField(
        required=False,
        choices=[("", "any action")] + [(a, a) for a in ("create", "update", "delete", "restart", "import", "unlock")],
    )
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))


OS_CHOICES = OperatingSystem.choices
