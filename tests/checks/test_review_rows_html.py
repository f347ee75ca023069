"""The review's rows, written in Python (``security.review.row_html``), are character for character what the
template loop of ``security/review.html`` they replaced wrote: probed and never probed, failing Nodes, a
restart flag, several findings of one code, a connection not validated yet, as a Security officer (Probe
buttons) and as a viewer."""

import pytest
from django.template import Context, Template

from applications.models import AppType, PendingRestartChange
from security.models import ProbeResult
from security.review import ReviewOrder, add_links, review_page, review_rows, rows_html
from tests.checks.world import World

# The loop of security/review.html before the rows were written in Python.
TEMPLATE_ROWS = Template(
    '{% for row in rows %}\n    <tr data-connection="{{ row.connection.pk }}" data-verdict="{{ row.verdict.state }}" '
    'data-failing="{{ row.verdict.failing|join:\'|\' }}">\n      <td><a href="{{ row.client_url }}">'
    '{{ row.client.name }}</a>{% if row.connection.client_restart_required %} <span class="badge badge-restart">'
    'restart required</span>{% endif %}<div class="small text-muted">{{ row.client_type }} {{ row.client.version }}'
    '</div></td>\n      <td><a href="{{ row.server_url }}">{{ row.server.name }}</a><div class="small text-muted">'
    '{{ row.server_type }}</div></td>\n      <td class="text-nowrap"><span class="mono">'
    '{{ row.connection.port.port_id }}</span> {% include "_tls_badge.html" with secured=row.connection.port.secured %}'
    '<div class="mono small">{{ row.server.host.address|default:"?" }}:{{ row.connection.port.number }}</div></td>\n'
    '      <td>{% include "security/_verdict_badge.html" with verdict=row.verdict %}{% if row.verdict.failing and '
    'row.several_runners %}<div class="small">on {{ row.verdict.failing|join:", " }}</div>{% endif %}</td>\n'
    '      <td class="small">{{ row.providers_html }}</td>\n      <td class="small">{{ row.stores_html }}</td>\n'
    '      <td class="small">{{ row.effective_html }}</td>\n'
    '      <td class="small">{{ row.probe_html }}{% if can_secure %}{% if row.server.host and '
    'row.connection.port.secured %}<form method="post" action="{{ row.probe_url }}" class="mt-1">{% csrf_token %}'
    '<input type="hidden" name="next" value="{{ this_page }}"><button class="btn btn-sm btn-outline-secondary" '
    'type="submit">{% if row.probe %}Probe again{% else %}Probe{% endif %}</button></form>{% if row.fetch_url %}'
    '<a class="small fetch-chain" href="{{ row.fetch_url }}">Fetch this server\'s chain</a>{% endif %}{% elif not '
    'row.connection.port.secured %}<div class="text-muted" title="A probe tests a TLS handshake: this port does not '
    'speak TLS.">no TLS to probe</div>{% endif %}{% endif %}</td>\n      <td class="small">{% for f, more in '
    'row.finding_lines %}<div><span class="badge {% if f.severity == \'error\' %}text-bg-danger{% elif f.severity == '
    '\'warning\' %}text-bg-warning{% else %}text-bg-secondary{% endif %}">{{ f.severity }}</span> <span '
    'class="text-muted" title="{{ f.code }}">{{ f.message }}</span>{% if more %} <span class="fw-semibold">(and '
    '{{ more }} more like it)</span>{% endif %}</div>{% empty %}<span class="text-muted">none</span>{% endfor %}</td>\n'
    '    </tr>\n  {% empty %}X{% endfor %}')


@pytest.fixture
def varied(world: World):
    store = world.store("Genesys <CA> & co")
    world.security(world.node1, store=store)
    world.security(world.node2, store=store)
    secure = world.connect(world.cluster, world.message_secure)
    world.connect(world.cluster, world.message_default)
    world.connect(world.node1, world.message_secure)
    lone = world.app('Node "3" <odd>', AppType.COBROWSE_NODE, "8.5.003.04", host=None)
    world.security(lone, provider="JKS", trusted_ca="/nowhere.jks", password="x")
    world.connect(lone, world.message_secure)  # never validated
    ProbeResult.objects.create(connection=secure, host=world.core.address, port_id="secure", port_number=4021,
                               provider="PEM", store=store, store_name=store.name, store_digest=store.contents_digest,
                               outcome="untrusted", detail='not trusted: "<cert>" & more')
    PendingRestartChange.objects.create(application=world.cluster, section="log", name="verbose",
                                        running_value="standard", new_value="debug")
    world.validate(store)
    for app in (world.cluster, world.node1):
        world.validate(app)
    return world


@pytest.mark.parametrize("can_secure", [True, False], ids=["security officer", "viewer"])
def test_the_rows_of_a_page_are_those_the_template_wrote(varied, can_secure):
    _page, connections = review_page(ReviewOrder(), 1, 50)
    rows = rows_html(add_links(review_rows(connections)), can_secure=can_secure, csrf_token="t0k3n",
                     this_page="/security/review/?page=1&q=<x>")

    template = TEMPLATE_ROWS.render(Context({"rows": rows, "can_secure": can_secure, "csrf_token": "t0k3n",
                                             "this_page": "/security/review/?page=1&q=<x>"}))
    python = "".join(row.html for row in rows)

    assert python == template
    assert len(rows) == 4
    shown = ("restart required", "more like it", "no TLS to probe" if can_secure else "never", "Node &quot;3&quot;")
    assert all(text in python for text in shown), [text for text in shown if text not in python]
    assert ("Probe again" in python) is can_secure
