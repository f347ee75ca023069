"""The editor's rows, written in Python (``views_options.editor_row``), are character for character what the
template loop they replaced wrote, for every kind of row: existing, known not set, new, secret, read-only,
mandatory, with and without errors."""

import pytest
from django.template import Context, Template

from applications.forms import OptionFormSet
from applications.models import Option
from applications.options_window import OptionWindow
from applications.views_options import editor_initial, editor_row, unbound_rows
from cobrowse_admin import secret_box

# The loop of options_edit.html before the rows were written in Python.
TEMPLATE_ROWS = Template(
    '{% for form in formset %}\n      {% with spec=form.spec %}\n      <tr class="{% if form.errors %}table-danger'
    '{% endif %}">\n        {% if form.initial.existing or form.initial.known %}\n          <td class="mono">'
    '{{ form.section }}{{ form.initial.section }}</td>\n          <td class="mono">{{ form.name }}'
    '{{ form.initial.name }}'
    '{% if form.initial.known %} <span class="badge text-bg-light border">not set</span>{% endif %}</td>\n'
    '        {% else %}\n          <td><input type="text" name="{{ form.section.html_name }}" '
    'id="{{ form.section.auto_id }}" value="{{ form.section.value|default:\'\' }}" '
    'class="form-control form-control-sm mono" placeholder="new section" aria-label="Section"></td>\n'
    '          <td><input type="text" name="{{ form.name.html_name }}" id="{{ form.name.auto_id }}" '
    'value="{{ form.name.value|default:\'\' }}" class="form-control form-control-sm mono" placeholder="new option" '
    'aria-label="Option name"></td>\n        {% endif %}\n        <td>\n          {{ form.value }}{{ form.existing }}\n'
    '          {% if form.errors %}\n          {% for error in form.non_field_errors %}<div class="text-danger small">'
    '{{ error }}</div>{% endfor %}\n          {% for error in form.value.errors %}<div class="text-danger small">'
    '{{ error }}</div>{% endfor %}\n          {% endif %}\n        </td>\n        <td>{% if form.initial.existing and '
    'not form.is_mandatory %}{{ form.delete }}{% endif %}</td>\n        <td class="small">{% if spec %}'
    '{% if form.is_mandatory %}<span class="badge text-bg-light border">mandatory</span> {% endif %}'
    '{{ spec.description }} <span class="text-muted">Valid: {{ spec.value_hint }}. Default: '
    '{{ spec.default|default:"none" }}. Takes effect {{ spec.takes_effect }}.{% if spec.secret %} Write-only: leave '
    'empty to keep.{% endif %}</span>{% if form.read_only_reason %}<div class="small text-muted">'
    '{{ form.read_only_reason }}</div>{% endif %}{% elif form.initial.existing %}<span class="text-muted">Not in the '
    'catalogue: free text, takes effect after restart.{% if form.is_secret %} A secret (by its name): write-only, '
    'leave empty to keep.{% endif %}</span>{% if form.read_only_reason %}<div class="small text-muted">'
    '{{ form.read_only_reason }}</div>{% endif %}{% endif %}</td>\n      </tr>\n      {% endwith %}\n    {% endfor %}')


def both(formset) -> tuple[str, str]:
    return TEMPLATE_ROWS.render(Context({"formset": formset})), "".join(editor_row(form) for form in formset)


def editor_formset(app, *, may_edit_protected: bool, data=None):
    window = OptionWindow.from_query({})
    page = window.page_of(app)
    if data is None:
        return OptionFormSet(application=app, initial=editor_initial(app, window, list(page.object_list)),
                             may_edit_protected=may_edit_protected)
    return OptionFormSet(data, application=app, initial=editor_initial(app, window, list(page.object_list)),
                         may_edit_protected=may_edit_protected)


@pytest.fixture
def odd_options(env):
    """Values that need escaping, a secret, an option outside the catalogue and one outside its select."""
    Option.objects.create(application=env.node, section="security", name="truststore-password",
                          value=secret_box.encrypt("s3cret"), is_secret=True)
    Option.objects.create(application=env.node, section="custom", name='we"ird <name>', value="a & b <c>")
    Option.objects.create(application=env.node, section="custom", name="api-password",
                          value=secret_box.encrypt("not shown"), is_secret=True)
    Option.objects.create(application=env.cluster, section="log", name="expire", value="bogus & <b>")
    return env


@pytest.mark.parametrize("officer", [True, False], ids=["security officer", "operator"])
def test_the_rows_of_a_page_are_those_the_template_wrote(odd_options, officer):
    for app in (odd_options.cluster, odd_options.node, odd_options.message):
        template, python = both(editor_formset(app, may_edit_protected=officer))
        assert python == template
        assert "<tr" in python


@pytest.mark.parametrize("officer", [True, False], ids=["security officer", "operator"])
def test_the_rows_of_a_get_written_without_forms_are_those_of_the_forms(odd_options, officer):
    """The editor's GET writes its rows without building a form per row (``unbound_rows``): the same HTML
    as the forms' (``editor_row``), for existing, known-not-set, new, secret, read-only, select and
    invalid-select rows."""
    for app in (odd_options.cluster, odd_options.node, odd_options.message):
        formset = editor_formset(app, may_edit_protected=officer)
        without_forms = "".join(unbound_rows(formset))
        assert "forms" not in formset.__dict__  # nothing built
        assert without_forms == "".join(editor_row(form) for form in formset)
        assert without_forms.count("<tr") == len(formset.forms) > 3


@pytest.mark.parametrize("officer", [True, False], ids=["security officer", "operator"])
def test_the_rows_of_a_refused_save_with_their_errors_are_those_the_template_wrote(odd_options, officer):
    formset = editor_formset(odd_options.node, may_edit_protected=officer)
    data = {"form-TOTAL_FORMS": str(len(formset.forms)), "form-INITIAL_FORMS": str(formset.initial_form_count())}
    for i, form in enumerate(formset.forms):
        for name in ("section", "name", "value"):
            data[f"form-{i}-{name}"] = form.initial.get(name, "")
        data[f"form-{i}-existing"] = str(bool(form.initial.get("existing")))
    last = len(formset.forms) - 1
    data.update({f"form-{last}-name": "lonely <one>", f"form-{last - 1}-section": "x&y",
                 f"form-{last - 1}-name": "n", f"form-{last - 1}-value": 'v"<>'})
    posted = editor_formset(odd_options.node, may_edit_protected=officer, data=data)
    assert posted.is_valid()
    posted.forms[0].add_error("value", "refused: <not> a valid value")
    posted.forms[last].add_error(None, "the section name cannot be empty")

    template, python = both(posted)

    assert python == template
    assert "table-danger" in python and "refused: &lt;not&gt;" in python
