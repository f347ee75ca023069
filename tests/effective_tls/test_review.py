"""The connection review shows the effective TLS of each connection (its cell and the CSV's columns), read
by ``security.effective_tls`` for the page in a number of queries that does not grow with the estate."""

import csv
import io

from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.models import Application, AppType, Connection, Host, Port
from security.effective_tls import PARAMETERS
from tests.effective_tls.conftest import set_app_option, set_host_option

REVIEW = reverse("security:review")
EXPORT = reverse("security:review_export")


def grow(world, start: int, stop: int) -> None:
    """Clients ``start`` to ``stop``, each on a host of its own with TLS options, each connected to the secure
    port with parameters of its own; every other one a Cluster with two Nodes."""
    for i in range(start, stop):
        host = Host.objects.create(name=f"h{i:03d}", address=f"10.8.0.{i + 1}", os_type="linux")
        set_host_option(host, "sec-protocol", "TLSv12")
        if i % 2:
            client = Application.objects.create(name=f"C{i:03d}", app_type=AppType.COBROWSE_CLUSTER,
                                                version="8.5.003.04", host=host)
            for n in range(2):
                node = Application.objects.create(name=f"C{i:03d}_N{n}", app_type=AppType.COBROWSE_NODE,
                                                  version="8.5.003.04", host=host, cluster=client)
                set_app_option(node, "provider", "PEM")
                set_app_option(node, "trusted-ca", f"/opt/ca-{i}.pem")
        else:
            client = Application.objects.create(name=f"C{i:03d}", app_type=AppType.OTHER, version="8.5.1", host=host)
            set_app_option(client, "trusted-ca", f"/opt/app-{i}.pem")
        Connection.objects.create(client=client, port=world.port, transport_params="tls-target-name-check=host")


def count(client, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(db_connection) as captured:
        response = client.get(url)
        assert response.status_code == 200
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    return len(captured)


def test_the_review_page_and_csv_show_the_effective_tls(tls_world, client_as):
    grow(tls_world, 0, 2)
    browser = client_as("viewer")
    html = browser.get(REVIEW).content.decode()
    assert "Effective TLS" in html
    row = html[html.index(f'<tr data-connection="{Connection.objects.get(client__name="C000").pk}"'):]
    row = row.split("</tr>")[0]
    assert '<span class="mono">trusted-ca</span> = <span class="mono text-break">/opt/app-0.pem</span>' in row
    assert "(Application C000)" in row and "(Host h000)" in row
    # The row's own connection by its level only (the row names it), in full in its title.
    assert 'title="Connection C000 → Chat_Server:secure">(Connection)</span>' in row
    assert reverse("security:connection_tls", args=[Connection.objects.get(client__name="C000").pk]) in row
    cluster_row = html[html.index(f'<tr data-connection="{Connection.objects.get(client__name="C001").pk}"'):]
    assert ('/opt/ca-1.pem</span> <span class="text-muted" title="Application C001_N0">(Application C001_N0)'
            in cluster_row.split("</tr>")[0])

    lines = list(csv.reader(io.StringIO(b"".join(browser.get(EXPORT).streaming_content).decode())))
    header, rows = lines[0], {line[0]: dict(zip(lines[0], line, strict=True)) for line in lines[1:]}
    assert all(f"effective {name}" in header and f"effective {name} from" in header for name in PARAMETERS)
    assert (rows["C000"]["effective trusted-ca"], rows["C000"]["effective trusted-ca from"]) == (
        "/opt/app-0.pem", "Application C000")
    assert (rows["C000"]["effective tls"], rows["C000"]["effective tls from"]) == ("1", "Port Chat_Server:secure")
    assert (rows["C001"]["effective sec-protocol"], rows["C001"]["effective sec-protocol from"]) == (
        "TLSv12", "Host h001")
    assert (rows["C000"]["effective tls-crl"], rows["C000"]["effective tls-crl from"]) == ("", "")


def test_the_review_costs_the_same_queries_for_a_small_and_a_larger_estate(tls_world, client_as):
    grow(tls_world, 0, 4)
    browser = client_as("viewer")
    small = {url: count(browser, url) for url in (REVIEW, REVIEW + "?sort=-server", EXPORT)}
    grow(tls_world, 4, 30)
    Port.objects.filter(pk=tls_world.port.pk).update(transport_params="tls=1;cipher-list=HIGH")
    large = {url: count(browser, url) for url in small}
    assert large == small
