"""Forms for the certificate library and trusted stores. Parsing errors become form errors here."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from applications.forms import WhyMixin
from applications.models import OperatingSystem
from applications.paths import family, path_family, path_problem
from security.models import Certificate, Provider, TrustedStore


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (the pattern from Django's documentation)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        # An empty list (nothing chosen) goes through the single-file clean, so "required" applies.
        if isinstance(data, list | tuple) and data:
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class UploadForm(forms.Form):
    files = MultipleFileField(
        label="Certificate files",
        help_text="PEM (.pem .crt), DER (.crt .cer .der), PKCS#7 (.p7b), PKCS#12 (.pfx .p12) or a JKS keystore. "
                  "Several files at once are fine.",
    )
    password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Only for a PKCS#12 file or a JKS keystore. It is used to read the file and never stored.",
    )
    store = forms.ModelChoiceField(
        queryset=TrustedStore.objects.order_by("name"),
        required=False,
        empty_label="(library only)",
        help_text="Also add the certificates to this trusted store.",
    )

    def clean_files(self):
        files = self.cleaned_data["files"]
        limit = settings.CERTIFICATE_UPLOAD_MAX_BYTES
        for upload in files:
            if upload.size > limit:
                raise ValidationError(
                    f"{upload.name} is {upload.size:,} bytes; a certificate file may be at most {limit:,} bytes "
                    f"(CERTIFICATE_UPLOAD_MAX_BYTES)."
                )
            if upload.size == 0:
                raise ValidationError(f"{upload.name} is empty.")
        return files


class ConfirmImportForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput)
    accept_warnings = forms.BooleanField(
        required=False,
        label="Import the certificates with warnings too (not a CA, expired or not yet valid)",
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )


class StoreForm(WhyMixin, forms.ModelForm):
    password = forms.CharField(
        label="Keystore password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="JKS only. Leave empty to keep the current password. It is stored encrypted and never shown.",
    )
    password_again = forms.CharField(
        label="Keystore password again",
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    certificates = forms.ModelMultipleChoiceField(
        queryset=Certificate.objects.order_by("common_name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The first root CA goes in under alias root (keytool -alias root).",
    )

    class Meta:
        model = TrustedStore
        fields = ["name", "provider", "path", "windows_path", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["path"].help_text = (
            "Full path of the file on Linux/Unix Co-browse hosts, e.g. /opt/genesys/certs/ca.pem."
        )
        self.fields["windows_path"].help_text = (
            "Full path of the file on Windows Co-browse hosts, e.g. C:\\GCTI\\certs\\ca.pem."
        )
        for name in ("path", "windows_path"):
            self.fields[name].widget.attrs["class"] = "mono"
        self.fields["certificates"].label_from_instance = certificate_choice_label
        if not self.instance.has_password:
            # Nothing to keep yet: "leave empty to keep" would mislead on a new store.
            self.fields["password"].help_text = (
                "JKS only, at least 6 characters. It is stored encrypted and never shown."
            )
        if self.instance.pk:
            self.fields["certificates"].initial = list(
                self.instance.entries.values_list("certificate_id", flat=True)
            )
        self.add_why(required=settings.REQUIRE_CHANGE_NOTE_FOR_SECURITY)

    def clean_name(self):
        return self.cleaned_data["name"].strip()

    def clean_path(self):
        return self.cleaned_data.get("path", "").strip()

    def clean_windows_path(self):
        return self.cleaned_data.get("windows_path", "").strip()

    def clean(self):
        data = super().clean()
        provider = data.get("provider")
        if provider in (Provider.PEM, Provider.JKS):
            if not data.get("path") and not data.get("windows_path") and not self.has_error("path"):
                self.add_error("path", "A PEM or JKS store needs the path of its file on the Co-browse hosts: on "
                                       "Linux/Unix hosts, on Windows hosts, or both.")
            for field, os_type in (("path", OperatingSystem.LINUX), ("windows_path", OperatingSystem.WINDOWS)):
                problem = store_path_problem(data.get(field, ""), os_type)
                if problem:
                    self.add_error(field, problem)
        elif provider == Provider.MSCAPI:
            data["path"] = data["windows_path"] = ""
        password, again = data.get("password", ""), data.get("password_again", "")
        if provider == Provider.JKS:
            if password != again:
                self.add_error("password_again", "The two passwords differ.")
            if not password and not (self.instance.pk and self.instance.has_password):
                self.add_error("password", "A JKS keystore needs a password.")
            if password and len(password) < 6:
                self.add_error("password", "keytool requires a keystore password of at least 6 characters.")
        return data

    def new_password(self) -> str | None:
        """The password to store, or None to keep the current one."""
        if self.cleaned_data.get("provider") != Provider.JKS:
            return ""
        return self.cleaned_data.get("password") or None


def store_path_problem(path: str, os_type: str) -> str | None:
    """Why ``path`` cannot be the store's path on hosts of ``os_type`` (None when it can, or is empty)."""
    if not path:
        return None
    written = path_family(path)
    if written != family(os_type):
        if os_type == OperatingSystem.WINDOWS:
            return ("This is a Linux/Unix path: give it as the path on Linux/Unix hosts, and here the path the file "
                    "has on Windows hosts.")
        return ("This is a Windows path: give it as the path on Windows hosts, and here the path the file has on "
                "Linux/Unix hosts.")
    return path_problem(path, os_type)


def certificate_choice_label(cert: Certificate) -> str:
    now = timezone.now()
    flags = [] if cert.is_ca else ["not a CA"]
    if cert.not_after < now:
        flags.append("expired")
    elif cert.not_before > now:
        flags.append("not yet valid")
    return f"{cert.common_name or cert.subject} — {cert.short_fingerprint} — until {cert.not_after:%Y-%m-%d}" + (
        f" ({', '.join(flags)})" if flags else ""
    )


class FetchForm(forms.Form):
    """Fetch from a server: the endpoint whose presented chain is shown (nothing is trusted by fetching)."""

    host = forms.CharField(
        max_length=253,
        help_text="Host name or IP address of the server, as the Co-browse server reaches it "
                  "(internal and private addresses are fine).",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "class": "mono"}),
    )
    port = forms.IntegerField(
        min_value=1, max_value=65535,
        help_text="Its TLS (secure) port.",
        widget=forms.NumberInput(attrs={"class": "mono"}),
        error_messages={"min_value": "A port is a number from 1 to 65535.",
                        "max_value": "A port is a number from 1 to 65535.",
                        "invalid": "A port is a number from 1 to 65535."},
    )
    server_name = forms.CharField(
        label="Server name (SNI)",
        required=False,
        max_length=253,
        help_text="The name sent in the handshake, for servers that present a certificate by name. "
                  "Empty: the host.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "class": "mono"}),
    )

    def clean_host(self):
        host = self.cleaned_data["host"].strip()
        if "://" in host or "/" in host:
            raise ValidationError("Type only the host name or address, e.g. genesys-core-01 or 10.0.0.5: "
                                  "no scheme or path.")
        if host.count(":") == 1:
            raise ValidationError("Type the port in the Port field, not after the host.")
        if any(ch.isspace() for ch in host):
            raise ValidationError("A host name has no spaces.")
        return host.removeprefix("[").removesuffix("]")  # [::1] as a URL writes it

    def clean_server_name(self):
        name = self.cleaned_data["server_name"].strip()
        if any(ch.isspace() for ch in name):
            raise ValidationError("A server name has no spaces.")
        return name

    def endpoint(self) -> tuple[str, int, str]:
        data = self.cleaned_data
        return data["host"], data["port"], data["server_name"] or data["host"]


class FetchImportForm(forms.Form):
    """The fetch preview's confirmation: which of the presented CAs, into which stores. The certificates
    themselves come from the server-side draft the token names, never from the page."""

    token = forms.CharField(widget=forms.HiddenInput)
    certificates = forms.MultipleChoiceField(
        label="Certificates to import",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one CA certificate to import.",
                        "invalid_choice": "Only the CA certificates the server presented can be imported."},
    )
    stores = forms.ModelMultipleChoiceField(
        label="Also add them to these trusted stores",
        queryset=TrustedStore.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Optional. Applications using a store need a restart to read its new contents.",
    )
    accept_warnings = forms.BooleanField(
        required=False,
        label="Import the certificates with warnings too (expired or not yet valid)",
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args, offered=(), store_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["certificates"].choices = [(c.fingerprint, c.common_name or c.subject) for c in offered]
        self.fields["stores"].queryset = TrustedStore.objects.filter(pk__in=list(store_ids)).order_by("name")
        self.fields["stores"].label_from_instance = lambda store: (
            f"{store.name} ({store.provider}{', ' + store.path if store.path else ''})")
