"""The property of issue 10.2: every page gives a connection the same verdict.

Over the demo environment and a scaled one, after a validation sweep, the verdict of every connection
on the connection review (what the operator reads in each row: the verdict and the Nodes it fails on)
equals the verdict on its client's readiness panel; for a Cluster client, on the Cluster's panel and,
for each Node, on that Node's panel. Both sides are read from the rendered pages. The filters
"failing only" and "insecure only" keep exactly the rows whose verdict and findings say so.
"""

import html
import io
import re

from django.core.management import call_command
from django.urls import reverse

from applications.models import Application, AppType, Connection
from security import sweeps
from security.models import Finding

ROW = re.compile(r'<tr data-connection="(\d+)" data-verdict="(\w+)" data-failing="([^"]*)"')


def parse_rows(page: str) -> dict[int, tuple[str, frozenset[str]]]:
    return {int(pk): (state, frozenset(n for n in html.unescape(failing).split("|") if n))
            for pk, state, failing in ROW.findall(page)}


def review(client, query: str = "") -> dict[int, tuple[str, frozenset[str]]]:
    """Every row of the review, page after page, as the operator sees them."""
    rows: dict = {}
    page = 1
    while True:
        response = client.get(f"{reverse('security:review')}?{query}&page={page}")
        assert response.status_code == 200
        found = parse_rows(response.content.decode())
        rows.update(found)
        if response.context["page"].has_next():
            page += 1
        else:
            return rows


def panel(client, app: Application) -> tuple[str, dict[int, tuple[str, frozenset[str]]]]:
    """The readiness verdict of the application's General tab and the verdict of each connection on it."""
    page = client.get(app.get_absolute_url()).content.decode()
    verdict = re.search(r'id="tls-verdict">([^<]+)<', page)
    table = page[page.index('id="tls-connections"'):] if 'id="tls-connections"' in page else ""
    table = table[:table.index("</table>")] if table else ""
    return (verdict.group(1) if verdict else ""), parse_rows(table)


def assert_every_page_agrees(client) -> int:
    sweeps.run_sweep(sweeps.sweep_create(trigger="command").pk)
    rows = review(client)
    assert set(rows) == set(Connection.objects.values_list("pk", flat=True))
    compared = 0
    client_of, secured = {}, {}
    for pk, client_id, is_secured in Connection.objects.values_list("pk", "client_id", "port__secured"):
        client_of[pk], secured[pk] = client_id, is_secured
    clients = Application.objects.filter(pk__in=set(client_of.values())).order_by("pk")
    for app in clients:
        verdict, lines = panel(client, app)
        own = {pk: row for pk, row in rows.items() if client_of[pk] == app.pk}
        for pk, row in own.items():
            assert lines[pk] == row, f"{app.name}, connection {pk}: panel {lines[pk]} but review {row}"
            compared += 1
        if app.is_cobrowse and any(state == "not_ready" for state, _ in own.values()):
            assert verdict == "not ready", app.name
        if app.app_type != AppType.COBROWSE_CLUSTER:
            continue
        for node in app.nodes.order_by("name"):
            node_verdict, node_lines = panel(client, node)
            for pk, (_state, failing) in own.items():
                # Not ready for this Node exactly when the review names it; otherwise what is left without errors.
                expected = ("not_ready", frozenset([node.name])) if node.name in failing else (
                    "ready" if secured[pk] else "not_secure", frozenset())
                assert node_lines[pk] == expected, f"{node.name}, connection {pk}: {node_lines[pk]} != {expected}"
                compared += 1
            if any(node.name in failing for _, failing in own.values()):
                assert node_verdict == "not ready", node.name
    # The filters keep exactly what the verdicts and the findings say.
    assert set(review(client, "failing=on")) == {pk for pk, (state, _) in rows.items() if state == "not_ready"}
    assert set(review(client, "insecure=on")) == set(
        Finding.objects.filter(code="connection.insecure_port").values_list("connection_id", flat=True))
    return compared


def test_the_demo_gives_every_connection_one_verdict_on_every_page(client_as):
    call_command("seed_demo", verbosity=0, stdout=io.StringIO())
    viewer = client_as("viewer")

    compared = assert_every_page_agrees(viewer)

    assert compared >= Connection.objects.count()
    # What was seen: the Cluster's TLS connection said "Findings: none" while its Nodes had TLS off.
    cluster = Application.objects.get(name="Cobrowse_Cluster")
    secure = Connection.objects.get(client=cluster, port__port_id="secure")
    assert review(viewer)[secure.pk] == (
        "not_ready", frozenset({"Cobrowse_Node_1", "Cobrowse_Node_2", "Cobrowse_Node_3"}))


def test_a_scaled_estate_gives_every_connection_one_verdict_on_every_page(client_as):
    call_command("seed_demo", scale=200, verbosity=0, stdout=io.StringIO())

    compared = assert_every_page_agrees(client_as("viewer"))

    assert compared >= Connection.objects.count()
