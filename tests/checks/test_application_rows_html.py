"""The applications list's rows, written in Python (``applications.views.application_row_html``), are
character for character what the template loop of ``applications/application_list.html`` wrote: ready,
not ready with errors and warnings, another verdict, no verdict, disabled, restart required, validation
pending, no host, no cluster, a name to escape."""

from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from applications.models import Application, AppType, PendingRestartChange
from security.models import ApplicationCheck
from tests.checks.world import World

# The loop of applications/application_list.html before the rows were written in Python.
TEMPLATE_ROWS = Template(
    '{% for app in page %}\n    <tr class="{% if not app.enabled %}row-disabled{% endif %}">\n      <td><a href="'
    "{% url 'applications:detail' app.pk %}\">{{ app.name }}</a></td>\n      <td>{{ app.get_app_type_display }}"
    '</td>\n      <td class="mono">{{ app.version }}</td>\n      <td>{{ app.host.name|default:"—" }}</td>\n      '
    '<td>{{ app.cluster.name|default:"" }}</td>\n      <td class="small text-nowrap" data-tls="'
    '{{ app.health.verdict }}">{% include "applications/_health.html" with health=app.health %}</td>\n      '
    "<td data-enabled=\"{{ app.enabled|yesno:'yes,no' }}\">{% if app.enabled %}yes{% else %}<span class=\"badge "
    'text-bg-light border">disabled</span>{% endif %}</td>\n      <td>\n        {% if app.restart_required %}'
    '<span class="badge badge-restart">restart required</span>{% endif %}\n        {% if app.checks_requested_at %}'
    '<span class="badge text-bg-info">validation pending</span>{% endif %}\n      </td>\n    </tr>\n  {% endfor %}')


def test_the_rows_of_the_list_are_those_the_template_wrote(client_as, world: World):
    verdicts = [(world.node1, "ready", 0, 1), (world.node2, "not ready", 2, 3), (world.cluster, "not ready", 1, 0),
                (world.message, "", 0, 1)]
    for app, verdict, errors, warnings in verdicts:
        ApplicationCheck.objects.update_or_create(application=app, defaults={
            "verdict": verdict, "errors": errors, "warnings": warnings})
    odd = world.app('Node "east" <01> & co', AppType.COBROWSE_NODE, "8.5.003.04", cluster=world.cluster)
    ApplicationCheck.objects.update_or_create(application=odd, defaults={"verdict": "not checked yet"})
    Application.objects.filter(pk=world.config.pk).update(enabled=False, checks_requested_at=timezone.now())
    PendingRestartChange.objects.create(application=world.node2, section="web", name="x", new_value="1")

    page = client_as("viewer").get(reverse("applications:list")).context["page"]
    template = TEMPLATE_ROWS.render(Context({"page": page}))
    python = "".join(app.row_html for app in page)

    assert python == template
    shown = ("row-disabled", "validation pending", "restart required", ">ready<", "2 errors", "3 warnings",
             "1 error<", "1 warning<", "not checked yet", ">—<", "Node &quot;east&quot; &lt;01&gt; &amp; co",
             'data-enabled="no"', "Co-browse")
    assert all(text in python for text in shown), [text for text in shown if text not in python]
