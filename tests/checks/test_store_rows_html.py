"""The trusted stores list's rows, written in Python (``views_library.store_row_html``), are character for
character what the template loop of ``security/store_list.html`` wrote: errors, warnings, never validated,
validation pending, no path, two paths, used by none, by a few and by more than the list names."""

from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from security.models import TrustedStore
from tests.checks.world import World

# The loop of security/store_list.html before the rows were written in Python.
TEMPLATE_ROWS = Template(
    '{% for s in page %}\n    <tr><td><a href="{{ s.detail_url }}">{{ s.name }}</a></td><td>{{ s.provider }}</td>'
    '<td class="mono small option-value">{% if s.path %}<div>{{ s.path }}</div>{% endif %}{% if s.windows_path %}'
    '<div>{{ s.windows_path }}</div>{% endif %}{% if not s.path and not s.windows_path %}—{% endif %}</td><td>'
    '{{ s.certificate_count }}</td>\n      <td class="small" data-status="{% if s.health.errors %}errors{% elif '
    's.health.warnings %}warnings{% elif s.last_validated_at %}ok{% else %}never{% endif %}"{% if '
    's.health.first_problem %} title="{{ s.health.first_problem }}"{% endif %}>{% if s.health.errors %}<span '
    'class="badge text-bg-danger">{{ s.health.errors }} error{{ s.health.errors|pluralize }}</span>{% endif %}{% if '
    's.health.warnings %} <span class="badge text-bg-warning">{{ s.health.warnings }} warning'
    '{{ s.health.warnings|pluralize }}</span>{% endif %}{% if not s.health.errors and not s.health.warnings %}{% if '
    's.last_validated_at %}<span class="text-success">no problem found</span>{% else %}<span class="text-muted">not '
    'validated yet</span>{% endif %}{% endif %}{% if s.checks_requested_at %} <span class="badge text-bg-info">'
    'validation pending</span>{% endif %}</td>\n      <td class="small" data-used-by="{{ s.used_by }}">{% if '
    's.used_by %}{% for name, url in s.used_by_links %}<a href="{{ url }}">{{ name }}</a>{% if not forloop.last %}, '
    '{% endif %}{% endfor %}{% if s.used_by > s.used_by_names|length %} <a class="text-muted" href="'
    '{{ s.detail_url }}">({{ s.used_by }} in all)</a>{% endif %}{% else %}<span class="text-muted">no application'
    '</span>{% endif %}</td>\n      <td class="small text-nowrap">{{ s.last_validated_at|date:"Y-m-d H:i"|'
    'default:"never" }}</td></tr>\n  {% endfor %}')


def test_the_rows_of_the_list_are_those_the_template_wrote(client_as, world: World):
    good = world.store('Genesys "CA" <one> & two', windows_path="C:\\Genesys\\ca.pem")
    expired = world.store("Old CA", certs=("expired-ca.pem",))
    world.store("Windows only", provider="MSCAPI")
    pending = world.store("Pending CA")
    for store in (good, expired):
        world.validate(store)
    TrustedStore.objects.filter(pk=pending.pk).update(checks_requested_at=timezone.now())
    for app in (world.node1, world.node2, world.cluster, world.message):
        world.security(app, store=good)
    world.security(world.config, store=expired)

    page = client_as("viewer").get(reverse("security:store_list")).context["page"]
    template = TEMPLATE_ROWS.render(Context({"page": page}))
    python = "".join(store.row_html for store in page)

    assert python == template
    shown = ("4 in all", "error", "not validated yet", "validation pending", "no application", "—", "&quot;CA&quot;")
    assert all(text in python for text in shown), [text for text in shown if text not in python]
