"""List filters every resource may use, as strict as the schema they document: a value that is not
one the schema allows is a 400, never silently "no filter"."""

import django_filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field


class IdFilter(django_filters.NumberFilter):
    """An object's id: a whole number a database id column holds (not 1.5, not 10**30)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=1, max_value=2**31 - 1, **kwargs)


@extend_schema_field(OpenApiTypes.BOOL)
class TrueFalseFilter(django_filters.TypedChoiceFilter):
    """``true`` or ``false`` (django-filter's BooleanFilter also takes "null" or "unknown" as no filter)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, choices=[("true", "true"), ("false", "false")], coerce=lambda value: value == "true",
                         **kwargs)
