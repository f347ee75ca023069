"""The browser's forms, reused by the API: one validation, one write path.

``serializer_for_form`` derives a request serializer from a form's fields: it types the JSON (a
string is a string, a boolean a boolean) and documents the body in the schema; every rule (lengths,
formats, uniqueness, what depends on other fields) stays in the form and the model, which
``valid_form`` runs. A form error becomes a 400 problem with field errors.
"""

from django import forms
from django.forms.models import model_to_dict
from rest_framework import serializers

# Serializers made from forms, one per (form, partial) so the schema names each once.
_made: dict[tuple[type, str], type[serializers.Serializer]] = {}


class StrictCharField(serializers.CharField):
    """A JSON string only: 12 or true is not a name."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictChoiceField(serializers.ChoiceField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


def initial_of(field: forms.Field):
    initial = field.initial() if callable(field.initial) else field.initial
    return None if initial in (None, "") else initial


def api_field(field: forms.Field) -> serializers.Field:
    """The JSON field for a form field (its shape only; the form validates the value)."""
    # A field the form's page fills in beforehand (a model default) may be left out, as on the page.
    common = {"required": field.required and initial_of(field) is None, "help_text": str(field.help_text or "") or None}
    if isinstance(field, forms.ModelMultipleChoiceField):
        return serializers.ListField(child=StrictIntegerField(min_value=1), allow_empty=True, **common)
    if isinstance(field.widget, forms.PasswordInput):
        # A secret: accepted, never answered back, and no example of it in the schema.
        return StrictCharField(allow_blank=not field.required, write_only=True, trim_whitespace=False,
                               style={"input_type": "password"}, **common)
    if isinstance(field, forms.ModelChoiceField):
        return StrictIntegerField(allow_null=not field.required, min_value=1, **common)
    if isinstance(field, forms.BooleanField):
        return StrictBooleanField(required=False, help_text=common["help_text"])
    if isinstance(field, forms.IntegerField):
        return StrictIntegerField(allow_null=not field.required, min_value=field.min_value,
                                  max_value=field.max_value, **common)
    if isinstance(field, forms.MultipleChoiceField):
        choices = [(value, label) for value, label in field.choices if value != ""]
        return serializers.ListField(child=StrictChoiceField(choices=choices), allow_empty=not field.required,
                                     **common)
    if isinstance(field, forms.ChoiceField):
        choices = [(value, label) for value, label in field.choices if value != ""]
        return StrictChoiceField(choices=choices, allow_blank=not field.required, **common)
    return StrictCharField(allow_blank=not field.required, max_length=getattr(field, "max_length", None),
                           trim_whitespace=False, **common)


def serializer_for_form(form_class: type[forms.BaseForm], name: str, **form_kwargs) -> type[serializers.Serializer]:
    """A serializer class named ``name`` with the fields of ``form_class`` (built with ``form_kwargs``)."""
    key = (form_class, name)
    if key not in _made:
        form = form_class(**form_kwargs)
        fields = {field_name: api_field(field) for field_name, field in form.fields.items()}
        _made[key] = type(name, (serializers.Serializer,), fields)
    return _made[key]


def form_data(instance, form_class, sent: dict) -> dict:
    """The data to bind ``form_class`` with: for an existing object, its current values with what was
    sent over them (PATCH sends only what changes); for a new one, what was sent over what the form's
    page shows beforehand (the defaults)."""
    if instance is None or instance.pk is None:
        defaults = {name: initial_of(field) for name, field in form_class.base_fields.items()}
        return {**{name: value for name, value in defaults.items() if value is not None}, **sent}
    fields = list(form_class.base_fields)
    data = {key: value for key, value in model_to_dict(instance, fields=fields).items() if value is not None}
    data.update(sent)
    return data


def valid_form(form: forms.BaseForm) -> forms.BaseForm:
    """``form``, valid; else a 400 problem with its errors by field (``non_field_errors`` for the rest)."""
    if not form.is_valid():
        errors = {("non_field_errors" if key == "__all__" else key): [str(m) for m in messages]
                  for key, messages in form.errors.items()}
        raise serializers.ValidationError(errors)
    return form
