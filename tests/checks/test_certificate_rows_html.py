"""The certificate library's rows, written in Python (``views_library.certificate_row_html``), are character
for character what the template loop of ``security/certificate_list.html`` wrote: expired, not yet valid,
valid, a CA and not a CA, RSA, EC and Ed25519 keys, held by stores or not. So are the bars of its expiry
timeline (``timeline.bars_svg``): every state, a short-lived certificate's mark, a name to escape."""

import datetime as dt
from types import SimpleNamespace

from django.template import Context, Template
from django.urls import reverse

from security.timeline import bars_svg, build_timeline
from tests.checks.world import World

# The loop of security/certificate_list.html before the rows were written in Python.
TEMPLATE_ROWS = Template(
    '{% load security_text %}{% for c in page %}\n    <tr class="{% if c.not_after < now %}table-danger{% elif '
    'c.not_after < soon %}table-warning{% endif %}">\n      <td><a href="{{ c.detail_url }}">'
    '{{ c.common_name|default:c.subject }}</a></td>\n      <td class="small">{{ c.issuer|truncatechars:60 }}</td>\n'
    '      <td class="text-nowrap">{{ c.not_after|date:"Y-m-d" }}{% if c.not_after < now %} <span class="badge '
    'text-bg-danger">expired</span>{% elif c.not_after < soon %} <span class="badge badge-restart">expires soon'
    '</span>{% elif c.not_before > now %} <span class="badge text-bg-secondary">not yet valid</span>{% endif %}</td>\n'
    '      <td class="small">{% if c.is_ca %}{{ c.role|role_label }}{% else %}<span class="badge text-bg-warning">'
    '{{ c.role|role_label }}</span>{% endif %}</td>\n      <td class="small">{{ c.key_type }} '
    '{{ c.key_size|default:"" }}</td>\n      <td class="small">{{ c.signature_hash|default:"—" }}</td>\n      <td>'
    '{{ c.store_count }}</td>\n      <td class="text-nowrap">{% fingerprint c.fingerprint_sha256 short=True %}</td>\n'
    '    </tr>\n  {% endfor %}')

# The bars' loop of security/certificate_list.html before they were written in Python.
TEMPLATE_BARS = Template(
    '{% for bar in timeline.bars %}\n      <a href="{{ bar.url }}"><text x="4" y="{{ bar.y|add:14 }}">{{ bar.label }}'
    '</text>\n      <rect class="{{ bar.css }}" x="{{ bar.x }}" y="{{ bar.y|add:4 }}" width="{{ bar.width }}" '
    'height="13" rx="2"><title>{{ bar.title }}</title></rect>\n      {% if bar.short_lived %}<polygon '
    'class="short-lived-mark" points="{{ bar.mark_points }}" data-short-lived><title>{{ bar.title }}</title>'
    '</polygon>{% endif %}</a>\n    {% endfor %}')


def test_the_rows_of_the_library_are_those_the_template_wrote(client_as, world: World):
    for name in ("ca.pem", "intermediate.pem", "server.pem", "expired-ca.pem", "notyet-ca.pem", "leaf-nonca.pem",
                 "ec-ca.pem", "ed25519-ca.pem", "sha1-ca.pem"):
        world.cert(name)
    world.store("Genesys CA", certs=("ca.pem", "intermediate.pem"))
    viewer = client_as("viewer")

    for query in ("", "?sort=-stores", "?expiring=on"):
        context = viewer.get(reverse("security:certificate_list") + query).context
        template = TEMPLATE_ROWS.render(Context({"page": context["page"], "now": context["now"],
                                                 "soon": context["soon"]}))
        python = "".join(cert.row_html for cert in context["page"])

        assert python == template, query
        assert context["timeline_bars"] == TEMPLATE_BARS.render(Context({"timeline": context["timeline"]})), query
        assert [bar.url for bar in context["timeline"].bars] == [cert.get_absolute_url() for cert in context["page"]]
    page = viewer.get(reverse("security:certificate_list")).content.decode()
    for text in ("expired", "not yet valid", "badge text-bg-warning", "Copy"):
        assert text in page, text


def test_the_bars_of_the_timeline_are_those_the_template_wrote():
    now = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)

    def cert(name: str, days_before: int, days_after: int):
        return SimpleNamespace(common_name=name, subject=f"CN={name}", not_before=now - dt.timedelta(days=days_before),
                               not_after=now + dt.timedelta(days=days_after), url=f"/c/{len(name)}/?a=1&b=2")

    certs = [cert('Root "A" <&>', 3650, 3650), cert("Short", 1, 6), cert("Old", 800, -30), cert("Later", -10, 400),
             cert("Soon", 300, 12), cert("x" * 50, 20, 20000)]
    timeline = build_timeline(certs, now=now, soon_days=30, url_of=lambda c: c.url)

    python = bars_svg(timeline)

    assert python == TEMPLATE_BARS.render(Context({"timeline": timeline}))
    shown = ("data-short-lived", "bar-expired", "bar-future", "bar-soon", "bar-ok", "&quot;A&quot; &lt;&amp;&gt;",
             "?a=1&amp;b=2")
    assert all(text in python for text in shown), [text for text in shown if text not in python]


def test_the_library_counts_the_stores_holding_each_certificate_and_sorts_by_them(client_as, world: World):
    ca, intermediate, server = (world.cert(name) for name in ("ca.pem", "intermediate.pem", "server.pem"))
    world.store("Genesys CA", certs=("ca.pem", "intermediate.pem"))
    world.store("Other CA", certs=("ca.pem",))
    viewer = client_as("viewer")

    page = viewer.get(reverse("security:certificate_list") + "?sort=-stores").context["page"]
    assert [(cert.pk, cert.store_count) for cert in page] == [(ca.pk, 2), (intermediate.pk, 1), (server.pk, 0)]
    assert page.paginator.count == 3
    expiring = viewer.get(reverse("security:certificate_list") + "?sort=stores&q=" + server.common_name).context
    assert [(cert.pk, cert.store_count) for cert in expiring["page"]] == [(server.pk, 0)]
