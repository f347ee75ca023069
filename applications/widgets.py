"""Form widgets that render in Python instead of through the template engine, and quick to copy.

The options editor shows five widgets per option: an application with 200 options is a thousand
widgets, and Django renders each through its template engine (about a tenth of a millisecond
each), which made the page take 100 ms. These widgets write the same HTML, character for
character, as Django's ``input.html``, ``select.html`` and ``select_option.html`` templates, from
the same ``get_context`` (so ids, ``required``, ``disabled``, ``aria-*``, ``checked`` and
``selected`` come out as before); the tests compare both.

Every form of a formset also deep-copies its fields and their widgets: ``QuickCopyField`` and the
widgets here copy themselves as Django does, without ``copy.copy``'s slow generic path.
"""

import copy
from html import escape

from django import forms
from django.utils.choices import BaseChoiceIterator
from django.utils.safestring import SafeString, mark_safe


def esc(value) -> str:
    """Django's ``conditional_escape`` (the same ``html.escape``), without its lazy-string wrapper,
    which cost more than the escaping here."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return escape(str(value))


def attributes(attrs: dict) -> str:
    """What ``django/forms/widgets/attrs.html`` writes: `` name="value"``, `` name`` for True, nothing for False."""
    return "".join(
        f" {esc(name)}" if value is True else f' {esc(name)}="{esc(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def shallow_copy(obj):
    """``copy.copy`` of a plain object without its ``__reduce_ex__`` round trip (three times faster):
    every form of a formset copies each of its fields and their widgets."""
    new = object.__new__(type(obj))
    new.__dict__.update(obj.__dict__)
    return new


class PythonInputMixin:
    def __deepcopy__(self, memo):
        obj = shallow_copy(self)  # what Widget.__deepcopy__ does, with the faster copy
        obj.attrs = self.attrs.copy()
        memo[id(self)] = obj
        return obj

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        html = f'<input type="{esc(widget["type"])}" name="{esc(widget["name"])}"'
        if widget["value"] is not None:
            html += f' value="{esc(widget["value"])}"'
        return mark_safe(html + attributes(widget["attrs"]) + ">")


class TextInput(PythonInputMixin, forms.TextInput):
    pass


class HiddenInput(PythonInputMixin, forms.HiddenInput):
    pass


class PasswordInput(PythonInputMixin, forms.PasswordInput):
    pass


class CheckboxInput(PythonInputMixin, forms.CheckboxInput):
    pass


class Pairs(BaseChoiceIterator):
    """Choices already as Django normalises them, (value, label) pairs without groups, for a field or a
    widget to take as they are: Django normalises a plain list pair by pair on each assignment, twice
    (the field's and its widget's), which for hundreds of hosts or Clusters cost more than rendering them."""

    def __init__(self, pairs):
        self.pairs = list(pairs)

    def __iter__(self):
        return iter(self.pairs)

    def __len__(self) -> int:
        return len(self.pairs)


class QueryPairs(BaseChoiceIterator):
    """Choices read from a ``values_list(value, label)`` queryset when first iterated, then kept, after
    ``first`` (the empty choice): plain pairs from one query. A ``ModelChoiceField`` renders its choices
    from model instances (one built per host, hundreds on a large site) through a server-side cursor
    (PostgreSQL: DECLARE, FETCH and CLOSE, three round trips); its validation still reads the one
    instance chosen. Make one per form: the pairs are kept."""

    def __init__(self, queryset, *, first: tuple | None = None):
        self.queryset, self.first = queryset, first
        self.pairs: list | None = None

    def __iter__(self):
        if self.pairs is None:
            self.pairs = ([self.first] if self.first else []) + list(self.queryset)
        return iter(self.pairs)

    def __len__(self) -> int:
        return len(list(iter(self)))


class Select(forms.Select):
    def __deepcopy__(self, memo):
        obj = shallow_copy(self)  # what ChoiceWidget.__deepcopy__ does, with the faster copy
        obj.attrs = self.attrs.copy()
        obj.choices = copy.copy(self.choices)
        memo[id(self)] = obj
        return obj

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        """``ChoiceWidget.optgroups`` and ``create_option`` in one pass: a Cluster filter lists hundreds."""
        choices = list(iter(self.choices))  # iter(): list() would ask a ModelChoiceIterator its len(), a COUNT(*)
        if any(isinstance(label, list | tuple) for _value, label in choices):
            return super().render(name, value, attrs, renderer)  # option groups: Django's template
        selected_values = self.format_value(value)
        widget_attrs = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            widget_attrs["multiple"] = True
        parts = [f'<select name="{esc(name)}"', attributes(widget_attrs), ">"]
        has_selected = False
        for option_value, label in choices:
            option_value = "" if option_value is None else option_value
            selected = (not has_selected or self.allow_multiple_selected) and str(option_value) in selected_values
            has_selected |= selected
            flag = " selected" if selected else ""
            parts.append(f'\n  <option value="{esc(option_value)}"{flag}>{esc(label)}</option>\n')
        parts.append("\n</select>")
        return mark_safe("".join(parts))


class QuickCopyField:
    """A form field mixin: ``Field.__deepcopy__`` with the faster copy."""

    def __deepcopy__(self, memo):
        result = shallow_copy(self)
        memo[id(self)] = result
        result.widget = copy.deepcopy(self.widget, memo)
        result.error_messages = self.error_messages.copy()
        result.validators = self.validators[:]
        return result


class CharField(QuickCopyField, forms.CharField):
    pass


class BooleanField(QuickCopyField, forms.BooleanField):
    pass
