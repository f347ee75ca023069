"""The review's rows, written in Python (``security.review.row_html``), are character for character what the
template loop of ``security/review.html`` they replaced wrote: probed and never probed, failing Nodes, a
restart flag, several findings of one code, a connection not validated yet, as a Security officer (Probe
buttons) and as a viewer. Their cells of several lines (providers, stores, last probe), written with
f-strings since, are what the ``format_html`` calls they replaced wrote."""

import pytest
from django.template import Context, Template
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.timezone import localtime

from applications.models import AppType, PendingRestartChange
from security.models import ProbeResult
from security.review import (
    STORE_BADGES,
    ReviewOrder,
    add_links,
    grouped_html,
    provider_key,
    review_page,
    review_rows,
    rows_html,
    store_key,
)
from security.verdicts import history_url
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


# The cells as format_html wrote them before they were f-strings.
def provider_html_before(cell) -> str:
    if cell.provider:
        text = escape(cell.provider)
    elif cell.provider == "":
        text = '<span class="text-muted">empty (TLS off)</span>'
    else:
        text = '<span class="text-muted">not set</span>'
    if cell.provider_on:
        text += format_html(' <span class="text-muted">(on {})</span>', cell.provider_on)
    return text


def store_html_before(cell) -> str:
    badge = STORE_BADGES.get(cell.store_status, "text-bg-light border")
    return format_html('{} <span class="badge {}">{}</span>', cell.store.name if cell.store else "", badge,
                       cell.store_status_label)


def probe_html_before(probe) -> str:
    if probe is None:
        return mark_safe('<span class="text-muted">never</span>')
    result = probe.probe
    badge = "text-bg-secondary" if probe.stale else ("text-bg-success" if probe.ok else "text-bg-danger")
    html = format_html('<span class="badge probe-outcome {}" title="{}">{}</span>', badge, result.detail,
                       probe.outcome_label)
    if probe.stale:
        html += mark_safe(' <span class="badge text-bg-warning probe-stale">stale</span>')
    html += format_html('<div class="text-muted">{}: reached <span class="mono">{}</span>{} '
                        '<a class="probe-history-link" href="{}">history</a></div>',
                        localtime(result.at).strftime("%Y-%m-%d %H:%M"), probe.reached,
                        f", {probe.trust}" if probe.trust else "", history_url(result.connection_id))
    if probe.stale:
        html += format_html('<div class="probe-stale-why">No longer counts: {}. Probe again.</div>',
                            "; ".join(probe.stale))
    return html


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


def test_the_cells_of_several_lines_are_those_format_html_wrote(varied):
    stale = ProbeResult.objects.get()
    ProbeResult.objects.create(connection=stale.connection, host="10.9.9.9", port_id="secure", port_number=4021,
                               provider="JKS <x>", store_name="gone & <away>", outcome="ok", detail="ok")
    _page, connections = review_page(ReviewOrder(), 1, 50)
    rows = add_links(review_rows(connections))

    for row in rows:
        assert row.providers_html == grouped_html(row.runners, row.several_runners, provider_key, provider_html_before)
        assert row.stores_html == grouped_html(row.runners, row.several_runners, store_key, store_html_before)
        assert row.probe_html == probe_html_before(row.probe)
    cells = "".join(row.providers_html + row.stores_html + row.probe_html for row in rows)
    shown = ("Genesys &lt;CA&gt; &amp; co", "probe-stale", "No longer counts", "JKS &lt;x&gt;")
    assert all(text in cells for text in shown), [text for text in shown if text not in cells]
