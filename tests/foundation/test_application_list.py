"""The applications list: filters, numeric version sort, pagination, greyed disabled rows, restart badge,
and a number of SQL queries that does not grow with the number of applications."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.models import Application, AppType, Host, PendingRestartChange
from applications.versions import version_key
from applications.views import PAGE_SIZE

LIST = reverse("applications:list")


def make_apps(n: int, *, host: Host, cluster: Application | None = None, prefix: str = "App") -> list[Application]:
    apps = [
        Application(
            name=f"{prefix}_{i:05d}",
            app_type=AppType.COBROWSE_NODE if cluster else AppType.CHAT_SERVER,
            version=(version := f"8.5.{i % 120:03d}.{i % 7:02d}"),
            version_key=version_key(version),
            host=host,
            cluster=cluster,
            enabled=bool(i % 3),
        )
        for i in range(n)
    ]
    created = Application.objects.bulk_create(apps)
    PendingRestartChange.objects.bulk_create(
        PendingRestartChange(application=app, section="web", name="x", new_value="1") for app in created[::4]
    )
    return created


def names(response) -> list[str]:
    return [app.name for app in response.context["page"]]


def queries_to_render(client, url: str = LIST) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_list_renders_with_the_same_number_of_queries_for_10_and_for_1000_applications(env, client_as):
    client = client_as("viewer")
    make_apps(10, host=env.linux, cluster=env.cluster)
    client.get(LIST)  # warm up: session, user, groups and content types are cached after this
    small = queries_to_render(client)
    make_apps(990, host=env.windows, cluster=env.cluster, prefix="Bulk")
    assert Application.objects.count() > 1000
    # The TLS column loads a Cluster's Nodes only when the page shows a Cluster: a page of Nodes
    # makes one query fewer. What matters is that the count does not grow with the applications.
    assert queries_to_render(client) <= small
    assert queries_to_render(client, LIST + "?page=7&sort=-version&restart=on") <= small


def test_the_list_is_paginated(env, client_as):
    make_apps(120, host=env.linux)
    client = client_as("viewer")
    first = client.get(LIST)
    assert len(first.context["page"]) == PAGE_SIZE
    assert "Page 1 of 3 (124)" in first.content.decode()
    last = client.get(LIST + "?page=3")
    assert len(last.context["page"]) == 124 - 2 * PAGE_SIZE
    assert client.get(LIST + "?page=999").context["page"].number == 3
    assert client.get(LIST + "?page=abc").context["page"].number == 1


def test_pagination_links_keep_the_filters(env, client_as):
    make_apps(120, host=env.linux)
    page = client_as("viewer").get(LIST + "?app_type=chat_server&sort=-name").content.decode()
    assert "?app_type=chat_server&amp;sort=-name&amp;page=2" in page


def test_it_filters_by_type(env, client_as):
    response = client_as("viewer").get(LIST + "?app_type=cobrowse_node")
    assert names(response) == ["Cobrowse_Node_1"]


def test_it_filters_by_host(env, client_as):
    response = client_as("viewer").get(LIST + f"?host={env.windows.pk}")
    assert names(response) == ["Cobrowse_Node_1"]


def test_it_filters_by_text_in_name_host_or_version(env, client_as):
    client = client_as("viewer")
    assert names(client.get(LIST + "?q=server")) == ["ChatServer", "MessageServer"]
    assert names(client.get(LIST + "?q=WIN-01")) == ["Cobrowse_Node_1"]
    assert names(client.get(LIST + "?q=104.02")) == ["ChatServer"]


@pytest.fixture
def versions(env):
    for name, version in [("V_8_5_000", "8.5.000.12"), ("V_8_5_001", "8.5.001"), ("V_8_5_003_01", "8.5.003.01"),
                          ("V_8_5_010", "8.5.10"), ("V_8_5_030", "8.5.030.02"), ("V_8_4", "8.4.999")]:
        Application.objects.create(name=name, app_type=AppType.COBROWSE_NODE, version=version)


def only_v(response) -> list[str]:
    return [n for n in names(response) if n.startswith("V_")]


def test_a_version_filter_matches_the_given_parts_exactly(versions, client_as):
    client = client_as("viewer")
    assert only_v(client.get(LIST + "?version=8.5.003")) == ["V_8_5_003_01"]
    assert only_v(client.get(LIST + "?version=8.5.3")) == ["V_8_5_003_01"]
    assert only_v(client.get(LIST + "?version=8.5.003.01")) == ["V_8_5_003_01"]
    assert only_v(client.get(LIST + "?version=8.5.003.02")) == []
    assert only_v(client.get(LIST + "?version=8.4")) == ["V_8_4"]


def test_a_version_filter_compares_numerically(versions, client_as):
    client = client_as("viewer")
    assert only_v(client.get(LIST + "?version=>=8.5.001&sort=version")) == [
        "V_8_5_001", "V_8_5_003_01", "V_8_5_010", "V_8_5_030",
    ]
    assert only_v(client.get(LIST + "?version=<8.5.001&sort=version")) == ["V_8_4", "V_8_5_000"]
    assert only_v(client.get(LIST + "?version=>8.5.10&sort=version")) == ["V_8_5_030"]


def test_an_unreadable_version_filter_says_so(versions, client_as):
    response = client_as("viewer").get(LIST + "?version=>=eight")
    assert response.status_code == 200
    assert "is not a Genesys version" in response.content.decode()


def test_sorting_by_version_is_numeric_so_8_5_10_comes_after_8_5_003(versions, client_as):
    client = client_as("viewer")
    ascending = only_v(client.get(LIST + "?sort=version"))
    assert ascending == ["V_8_4", "V_8_5_000", "V_8_5_001", "V_8_5_003_01", "V_8_5_010", "V_8_5_030"]
    assert only_v(client.get(LIST + "?sort=-version")) == ascending[::-1]


def test_it_sorts_by_name_type_and_host(env, client_as):
    client = client_as("viewer")
    assert names(client.get(LIST + "?sort=-name")) == sorted(names(client.get(LIST)), reverse=True)
    by_host = names(client.get(LIST + "?sort=host"))
    assert by_host[-1] == "Cobrowse_Node_1"  # win-01 sorts after core-01
    by_type = names(client.get(LIST + "?sort=type"))
    assert by_type[0] == "ChatServer"


def test_disabled_applications_are_greyed(env, client_as):
    Application.objects.filter(pk=env.chat.pk).update(enabled=False)
    page = client_as("viewer").get(LIST).content.decode()
    row = page[page.index('<tr class="row-disabled">'):]
    assert "ChatServer" in row[: row.index("</tr>")]
    assert page.count('class="row-disabled"') == 1


def test_the_restart_badge_and_filter_show_applications_with_pending_changes(env, client_as):
    PendingRestartChange.objects.create(application=env.node, section="web", name="x", new_value="1")
    client = client_as("viewer")
    page = client.get(LIST).content.decode()
    assert page.count("badge-restart") == 1
    assert names(client.get(LIST + "?restart=on")) == ["Cobrowse_Node_1"]
    assert len(names(client.get(LIST))) == 4


def test_filters_combine(env, client_as):
    client = client_as("viewer")
    url = LIST + f"?app_type=chat_server&host={env.linux.pk}&version=>=8.5.100&q=chat"
    assert names(client.get(url)) == ["ChatServer"]


def test_a_text_search_counts_and_pages_its_matches_in_one_query(env, client_as):
    make_apps(120, host=env.linux, prefix="Found")
    client = client_as("viewer")
    client.get(LIST)  # warm up the session and the user
    first = client.get(LIST + "?q=found&sort=-name")
    assert "Page 1 of 3 (120)" in first.content.decode()
    assert names(first)[0] == "Found_00119"
    last = client.get(LIST + "?q=found&page=3")
    assert names(last) == [f"Found_{i:05d}" for i in range(100, 120)]
    assert "Page 3 of 3 (120)" in last.content.decode()
    # Beyond the last page, or no number: the last page and the first, as Django's paginator gives them.
    assert names(client.get(LIST + "?q=found&page=999")) == names(last)
    assert client.get(LIST + "?q=found&page=abc").context["page"].number == 1
    assert client.get(LIST + "?q=found&page=0").context["page"].number == 3
    assert names(client.get(LIST + "?q=nothing-matches")) == []
    # One query fewer than the same page without the text: the count comes with the page's ids.
    assert queries_to_render(client, LIST + "?q=found") == queries_to_render(client, LIST + "?app_type=chat_server") - 1


def test_the_host_filter_lists_every_host_by_name_and_keeps_the_one_chosen(env, client_as):
    Host.objects.create(name="alpha-01", address="10.0.0.9", os_type="linux")
    page = client_as("viewer").get(LIST + f"?host={env.windows.pk}").content.decode()
    select = page[page.index('<select name="host"'):]
    select = select[: select.index("</select>")]
    assert select.index(">any host<") < select.index(">alpha-01<") < select.index(">core-01<") < select.index(
        ">win-01<")
    assert f'<option value="{env.windows.pk}" selected>win-01</option>' in select
    assert "select a valid choice" in client_as("viewer").get(LIST + "?host=999999").content.decode().lower()
