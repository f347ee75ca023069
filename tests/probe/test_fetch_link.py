"""Issue 15.3: where a probe found a server's chain untrusted, the officer is offered "Fetch this server's
chain", pre-filled with the endpoint the probe reached (the review and the application's panel)."""

import html
import re

from django.urls import reverse

from security.models import TrustedStore
from security.probe import probe_connection
from security.stores import store_save
from tests.probe.test_probe_connection import listening_on

LINK = re.compile(r'<a class="small fetch-chain" href="([^"]+)">Fetch this server\'s chain</a>')


def links(client, url) -> list[str]:
    return [html.unescape(href) for href in LINK.findall(client.get(url).content.decode())]


def test_an_untrusted_probe_links_to_the_fetch_page_pre_filled(client_as, probe_world, serve):
    with serve("untrusted") as port:
        connection = listening_on(probe_world, port)
        probe_connection(connection_id=connection.pk)
    expected = f"{reverse('security:certificate_fetch')}?host=127.0.0.1&port={port}&server_name=127.0.0.1"
    officer = client_as("security")
    node = reverse("applications:detail", args=[probe_world.node1.pk])
    assert links(officer, reverse("security:review")) == [expected]
    assert links(officer, node) == [expected]
    page = officer.get(expected).content.decode()
    assert 'name="host" value="127.0.0.1"' in page and f'name="port" value="{port}"' in page
    # Only to those who may fetch: a viewer sees the probe, not the link.
    viewer = client_as("viewer")
    assert links(viewer, reverse("security:review")) == [] and links(viewer, node) == []


def test_no_link_once_trusted_or_when_the_probe_is_stale(client_as, probe_world, serve):
    with serve("trusted") as port:
        connection = listening_on(probe_world, port)
        probe_connection(connection_id=connection.pk)
    officer = client_as("security")
    assert links(officer, reverse("security:review")) == []  # trusted: nothing to fetch
    with serve("untrusted") as port:
        connection.port.number = port
        connection.port.save()
        probe_connection(connection_id=connection.pk)
    assert len(links(officer, reverse("security:review"))) == 1
    store = TrustedStore.objects.get(name="Genesys CA")
    store_save(store=store, certificates=[probe_world.cert("ca.pem"), probe_world.cert("other-ca.pem")],
               password=None, actor="tests")  # the store changed: that probe no longer counts
    assert links(officer, reverse("security:review")) == []
