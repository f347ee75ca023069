"""The security-section form (one application, or every Node of a Cluster).

The rules themselves live in ``security.section``; the form normalises the input and turns a
refusal into an error on the field it is about.
"""

from django import forms
from django.conf import settings

from applications.forms import WhyMixin
from applications.models import Application
from security.models import Provider, TrustedStore
from security.section import SectionRefused, section_changes

PROVIDER_CHOICES = [
    ("", "TLS disabled (empty provider)"),
    (Provider.PEM, "PEM: a PEM file of CA certificates (recommended on Linux)"),
    (Provider.JKS, "JKS: a Java keystore and its password"),
    (Provider.MSCAPI, "MSCAPI: the Windows certificate store (Windows hosts only)"),
]

TYPED_PATH_HELP = (
    "PEM only. The console cannot check a typed path: it does not know whether the file exists on the host "
    "or what it holds. Prefer a trusted store."
)


class StoreSelect(forms.Select):
    """Each option carries its provider so the page script can hide the stores of other providers."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-provider"] = instance.provider
        return option


class StoreChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: TrustedStore) -> str:
        where = " / ".join(obj.paths) or "Windows certificate store"
        return f"{obj.name} ({obj.provider}: {where})"


class SecuritySectionForm(WhyMixin, forms.Form):
    provider = forms.ChoiceField(choices=PROVIDER_CHOICES, required=False)
    store = StoreChoiceField(
        queryset=TrustedStore.objects.order_by("provider", "name"),
        required=False,
        label="Trusted store",
        empty_label="(none)",
        widget=StoreSelect(attrs={"data-store-select": ""}),
        help_text="Only a store of the chosen provider is accepted. For JKS the password comes from the store "
                  "and is never shown.",
    )
    typed_path = forms.CharField(
        label="or type a path on the host",
        required=False,
        max_length=1000,
        help_text=TYPED_PATH_HELP,
    )

    def __init__(self, *args, application: Application | None = None, **kwargs):
        """``application``: the object the section is written to; None for a Cluster-wide apply, whose
        rules (every Node) the service checks when applying."""
        self.application = application
        super().__init__(*args, **kwargs)
        self.fields["provider"].widget.attrs["data-provider-select"] = ""
        self.fields["typed_path"].widget.attrs["class"] = "mono"
        self.add_why(required=settings.REQUIRE_CHANGE_NOTE_FOR_SECURITY)

    def clean_typed_path(self) -> str:
        return self.cleaned_data["typed_path"].strip()

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if not data.get("provider"):
            # TLS disabled: a store or path left selected from before no longer means anything.
            data["store"], data["typed_path"] = None, ""
        if self.application is not None:
            try:
                section_changes(application=self.application, provider=data["provider"], store=data.get("store"),
                                typed_path=data.get("typed_path", ""))
            except SectionRefused as exc:
                self.add_refusal(exc)
        return data

    def add_refusal(self, exc: SectionRefused) -> None:
        field = exc.field if exc.field in self.fields else None
        self.add_error(field, exc.message)

    @staticmethod
    def initial_for(provider: str, trusted_ca: str, store: TrustedStore | None) -> dict:
        initial = {"provider": provider, "store": store.pk if store else None}
        if store is None and provider == Provider.PEM:
            initial["typed_path"] = trusted_ca
        return initial
