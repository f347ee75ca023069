"""The certificate library's rows, written in Python (``views_library.certificate_row_html``), are character
for character what the template loop of ``security/certificate_list.html`` wrote: expired, not yet valid,
valid, a CA and not a CA, RSA, EC and Ed25519 keys, held by stores or not."""

from django.template import Context, Template
from django.urls import reverse

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
    page = viewer.get(reverse("security:certificate_list")).content.decode()
    for text in ("expired", "not yet valid", "badge text-bg-warning", "Copy"):
        assert text in page, text
