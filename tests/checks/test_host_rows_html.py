"""The hosts list's rows, written in Python (``applications.views.host_row_html``), are character for
character what the template loop of ``applications/host_list.html`` wrote: not ready, ready with one
application, not checked yet, no verdict at all, a name and an address to escape."""

from django.template import Context, Template
from django.urls import reverse

from applications.models import AppType, OperatingSystem
from security.models import ApplicationCheck
from tests.checks.world import World

# The loop of applications/host_list.html before the rows were written in Python.
TEMPLATE_ROWS = Template(
    "{% for host in page %}\n    <tr><td><a href=\"{% url 'applications:host_detail' host.pk %}\">{{ host.name }}"
    '</a></td><td class="mono">{{ host.address }}</td><td>{{ host.get_os_type_display }}</td>\n      <td>'
    '{{ host.application_count }}</td>\n      <td class="small" data-tls="{{ host.health.verdict }}">{% if '
    'host.health.verdict == "not ready" %}<span class="badge text-bg-danger">not ready</span> <span '
    'class="text-danger-emphasis">{{ host.health.not_ready }} of {{ host.health.judged }} application'
    '{{ host.health.judged|pluralize }}</span>{% elif host.health.verdict == "ready" %}<span class="badge '
    'text-bg-success">ready</span> <span class="text-muted">{{ host.health.judged }} application'
    '{{ host.health.judged|pluralize }}</span>{% elif host.health %}<span class="text-muted">not checked yet'
    '</span>{% else %}<span class="text-muted">—</span>{% endif %}</td></tr>\n  {% endfor %}')


def test_the_rows_of_the_list_are_those_the_template_wrote(client_as, world: World):
    store = world.store("Genesys CA")
    world.security(world.node1, store=store)
    world.connect(world.cluster, world.message_secure)
    world.validate(world.cluster)
    world.validate(world.message)
    world.validate(store)
    world.node1.host = world.windows  # the Windows host: one ready Node; cb-linux-01: two not ready
    world.node1.save()
    odd = world.host('lab "east" <01> & co', OperatingSystem.WINDOWS, "10.0.9.<1>")
    pending = world.app("Cobrowse_Node_9", AppType.COBROWSE_NODE, "8.5.003.04", host=odd)
    ApplicationCheck.objects.update_or_create(application=pending, defaults={"verdict": "not checked yet"})

    page = client_as("viewer").get(reverse("applications:host_list")).context["page"]
    template = TEMPLATE_ROWS.render(Context({"page": page}))
    python = "".join(host.row_html for host in page)

    assert python == template
    shown = ("2 of 2 applications", "1 application<", "not checked yet", "—", "&quot;east&quot; &lt;01&gt; &amp;",
             "10.0.9.&lt;1&gt;", "Windows")
    assert all(text in python for text in shown), [text for text in shown if text not in python]
