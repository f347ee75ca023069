"""List filters shared by resources."""

import django_filters
from django import forms
from django_filters.constants import EMPTY_VALUES
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanFilter(django_filters.ChoiceFilter):
    """``true`` or ``false``, nothing else (django-filter's own takes "null" or "maybe" as no filter)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [("true", "true"), ("false", "false")])
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        return qs.filter(**{self.field_name: value == "true"})


# Ids are 64-bit: a larger number is no id (and would overflow the database's integer), not a 500.
MAX_ID = 2**63 - 1
ID_PATTERN = "[0-9]{1,18}"


class IdFilter(django_filters.NumberFilter):
    """The id of a related object (a host, an application)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)
