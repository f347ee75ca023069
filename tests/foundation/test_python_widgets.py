"""The widgets rendered in Python write exactly what Django's widget templates write."""

import pytest
from django import forms

from applications import widgets

VALUES = ["", None, "plain", 'quo"te & <tag>', 0, 42, "ünïcödé €", True, False]
ATTRS = [
    {},
    {"class": "form-control form-control-sm mono", "aria-label": 'Value of "x" & y', "id": "id_form-0-value"},
    {"required": True, "disabled": True, "placeholder": "leave empty to keep", "autocomplete": "new-password"},
    {"data-n": 3, "hidden": False, "aria-invalid": "true"},
]
PAIRS = [
    (widgets.TextInput, forms.TextInput),
    (widgets.HiddenInput, forms.HiddenInput),
    (widgets.CheckboxInput, forms.CheckboxInput),
]


@pytest.mark.parametrize(("ours", "django"), PAIRS, ids=[p[1].__name__ for p in PAIRS])
@pytest.mark.parametrize("attrs", ATTRS, ids=range(len(ATTRS)))
def test_inputs_render_like_django(ours, django, attrs):
    for value in VALUES:
        assert ours(attrs=dict(attrs)).render("form-0-value", value) == django(attrs=dict(attrs)).render(
            "form-0-value", value), value


@pytest.mark.parametrize("render_value", [True, False])
def test_password_inputs_render_like_django(render_value):
    for value in VALUES:
        for attrs in ATTRS:
            ours = widgets.PasswordInput(render_value=render_value, attrs=dict(attrs))
            theirs = forms.PasswordInput(render_value=render_value, attrs=dict(attrs))
            assert ours.render("form-3-value", value) == theirs.render("form-3-value", value)


CHOICES = [
    [("", "(not set)"), ("MSCAPI", "MSCAPI"), ("PEM", "PEM"), ("JKS", "JKS")],
    [("", "(empty)"), ("a&b", "A <&> B"), ("bogus", "bogus (invalid)")],
    [(1, "one"), (2, "two")],
]


@pytest.mark.parametrize("choices", CHOICES, ids=range(len(CHOICES)))
@pytest.mark.parametrize("attrs", ATTRS, ids=range(len(ATTRS)))
def test_selects_render_like_django(choices, attrs):
    for value in ["", None, "PEM", "a&b", "bogus", 2, "2", "missing"]:
        ours = widgets.Select(attrs=dict(attrs), choices=choices)
        theirs = forms.Select(attrs=dict(attrs), choices=choices)
        assert ours.render("form-1-value", value) == theirs.render("form-1-value", value), value


def test_a_select_with_option_groups_falls_back_to_djangos_template():
    choices = [("Providers", [("PEM", "PEM"), ("JKS", "JKS")]), ("", "none")]
    assert widgets.Select(choices=choices).render("p", "JKS") == forms.Select(choices=choices).render("p", "JKS")


def test_a_select_of_model_choices_reads_them_in_one_query(db, django_assert_num_queries):
    from applications.models import Host

    for name in ("b", "a", "c"):
        Host.objects.create(name=name, address="10.0.0.1", os_type="linux")
    field = forms.ModelChoiceField(queryset=Host.objects.order_by("name"), widget=widgets.Select)
    with django_assert_num_queries(1):  # no COUNT(*) before the rows
        html = field.widget.render("host", None)
    assert html.index(">a<") < html.index(">b<") < html.index(">c<")
