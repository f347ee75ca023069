"""The findings page: every stored finding with its object, message and fix; filters and their counts; CSV."""

import csv
import html
import io
import re

import pytest
from django.urls import reverse

from applications.models import Application
from security.findings import (
    DIMENSIONS,
    SEVERITIES,
    Facets,
    FindingFilters,
    FindingsOrder,
    counts_by_severity,
    facets,
    findings_queryset,
)
from security.models import Finding, Severity
from tests.checks.test_pages import text
from tests.checks.world import World

URL = reverse("security:findings")


@pytest.fixture
def estate(world: World) -> World:
    """A store with an expired CA (store error), a Node with PEM and no trusted-ca (application errors),
    a Cluster connected through a non-secure port (connection warning), and a Node on another host."""
    world.expired = world.store("Old CA", certs=("expired-ca.pem",))
    world.security(world.node1, provider="PEM")
    world.connect(world.cluster, world.message_default)
    world.other_host = world.host("cb-linux-02", "linux", "10.0.1.12")
    world.loner = world.app("Lone_Server", "cobrowse_server", "8.5.000.12", host=world.other_host)
    world.connect(world.loner, world.message_secure)
    for obj in (world.expired, world.cluster, world.loner):
        world.validate(obj)
    return world


def codes_on(response) -> list[str]:
    return [row.finding.code for row in response.context["rows"]]


def test_it_lists_every_finding_with_its_object_message_and_fix(client_as, estate):
    response = client_as("viewer").get(URL)

    assert response.status_code == 200
    stored = Finding.objects.all()
    assert len(response.context["rows"]) == stored.count() > 5
    page = response.content.decode()
    for finding in stored:
        assert text_of(finding.message) in plain(response)
        assert text_of(finding.hint) in plain(response)
    node = reverse("applications:detail", args=[estate.node1.pk])
    assert f'href="{node}">Cobrowse_Node_1</a>' in page
    store = reverse("security:store_detail", args=[estate.expired.pk])
    assert f'href="{store}">Old CA</a>' in page
    connections = reverse("applications:connections", args=[estate.cluster.pk])
    assert f'href="{connections}">Cobrowse_Cluster → MessageServer:default</a>' in page
    # The codes are for tooltips and scripts, not the text an operator reads.
    assert "connection.insecure_port" not in text(response)
    assert 'title="connection.insecure_port"' in page


def text_of(value: str) -> str:
    return " ".join(value.split())


def plain(response) -> str:
    return html.unescape(text(response))


def test_errors_come_before_warnings(client_as, estate):
    severities = [row.finding.severity for row in client_as("viewer").get(URL).context["rows"]]

    assert severities == sorted(severities, key=["error", "warning", "info"].index)
    assert severities[0] == "error" and severities[-1] == "warning"


@pytest.mark.parametrize(("query", "expected"), [
    ({"severity": "warning"}, lambda f: f.severity == "warning"),
    ({"kind": "store"}, lambda f: f.store_id is not None),
    ({"kind": "connection"}, lambda f: f.connection_id is not None),
    ({"app_type": "cobrowse_server"}, lambda f: "Lone_Server" in f.message),
    ({"q": "expired"}, lambda f: "expired" in (f.message + f.hint + f.code).lower()),
])
def test_each_filter_keeps_exactly_its_findings(client_as, estate, query, expected):
    response = client_as("viewer").get(URL, query)

    wanted = sorted(f.pk for f in Finding.objects.all() if expected(f))
    assert wanted, "the estate must have findings of this filter"
    assert sorted(row.finding.pk for row in response.context["rows"]) == wanted
    assert response.context["counts"].total == len(wanted)


def test_host_and_cluster_filters_follow_the_application_and_the_connections_client(client_as, estate):
    viewer = client_as("viewer")

    by_host = viewer.get(URL, {"host": estate.other_host.pk}).context["rows"]
    by_cluster = viewer.get(URL, {"cluster": estate.cluster.pk}).context["rows"]

    assert by_host and all("Lone_Server" in row.object_name for row in by_host)
    names = {row.object_name for row in by_cluster}
    assert "Cobrowse_Node_1" in names and "Cobrowse_Cluster → MessageServer:default" in names
    assert not any("Lone_Server" in name or row.kind == "store" for row in by_cluster for name in [row.object_name])


def test_each_filter_value_counts_what_it_would_give_with_the_other_filters(client_as, estate):
    response = client_as("viewer").get(URL, {"severity": "error"})
    counts = response.context["counts"]

    errors = Finding.objects.filter(severity="error")
    # The other severities are counted as if chosen instead.
    assert counts.severity["warning"] == Finding.objects.filter(severity="warning").count() > 0
    assert counts.severity["error"] == errors.count()
    # The kinds count only errors, since the severity filter stays.
    assert counts.kind["store"] == errors.filter(store__isnull=False).count() > 0
    assert counts.kind["connection"] == errors.filter(connection__isnull=False).count()
    assert counts.host[estate.other_host.pk] == errors.filter(
        application=estate.loner).count() + errors.filter(connection__client=estate.loner).count()
    page = response.content.decode()
    assert f">cb-linux-02 ({counts.host[estate.other_host.pk]})</option>" in page
    assert f'data-severity="warning" href="?severity=warning">Warnings <span class="badge text-bg-warning">' \
           f'{counts.severity["warning"]}</span>' in page


def test_the_pages_slices_follow_the_order_of_the_whole_list(estate):
    filters = FindingFilters()
    counts = facets(filters)
    order = FindingsOrder(filters, counts.matched_by_severity(filters))
    everything = list(findings_queryset(filters).values_list("id", flat=True))

    assert order.count() == len(everything)
    for start, stop in ((0, 3), (2, 7), (len(everything) - 2, len(everything) + 5)):
        assert order[start:stop] == everything[start:stop]


def test_the_counts_per_severity_are_those_of_the_findings_the_filters_keep(estate):
    for filters in (FindingFilters(), FindingFilters(severity="error"), FindingFilters(kind="connection"),
                    FindingFilters(host=estate.other_host.pk, kind="application"),
                    FindingFilters(app_type="cobrowse_node"), FindingFilters(text="expired"),
                    FindingFilters(kind="no such kind")):
        kept = findings_queryset(filters)
        assert counts_by_severity(filters) == {s: kept.filter(severity=s).count() for s in SEVERITIES}, filters
    assert sum(counts_by_severity(FindingFilters()).values()) == Finding.objects.count() > 0


@pytest.mark.parametrize("query", [
    {"host": "abc"}, {"cluster": "999999"}, {"severity": "fatal"}, {"kind": "'; drop"}, {"page": "x"},
    {"app_type": "<b>"}, {"q": "x" * 500},
])
def test_a_filter_value_that_is_no_choice_filters_nothing_and_breaks_nothing(client_as, estate, query):
    response = client_as("viewer").get(URL, query)

    assert response.status_code == 200
    assert response.context["counts"].total == Finding.objects.count()
    assert 'id="filter-errors"' in response.content.decode() or "page" in query


def test_the_csv_has_every_finding_with_message_and_fix(client_as, estate):
    response = client_as("viewer").get(reverse("security:findings_export"), {"kind": "application"})

    assert response["Content-Disposition"] == 'attachment; filename="findings.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["severity", "object kind", "object", "application type", "host", "message", "fix", "code"]
    wanted = Finding.objects.filter(application__isnull=False)
    assert len(rows) - 1 == wanted.count() > 0
    assert {r[6] for r in rows[1:]} == {f.hint for f in wanted}
    node = next(r for r in rows[1:] if r[2] == "Cobrowse_Node_1")
    assert node[3:5] == ["Co-browse Node", "cb-linux-01"]


def test_the_csv_gives_a_connection_its_clients_type_and_host_and_a_store_none(client_as, estate):
    response = client_as("viewer").get(reverse("security:findings_export"))

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))[1:]
    connection_rows = [r for r in rows if r[1] == "connection"]
    store_rows = [r for r in rows if r[1] == "trusted store"]
    assert connection_rows and store_rows
    for row in connection_rows:
        client = Application.objects.get(name=row[2].split(" → ")[0])
        assert row[3:5] == [client.get_app_type_display(), client.host.name]
    assert all(row[3:5] == ["", ""] for row in store_rows)


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_the_csv_keeps_a_formula_as_text(client_as, estate, start):
    finding = Finding.objects.filter(application=estate.node1).first()
    Finding.objects.filter(pk=finding.pk).update(message=f"{start}HYPERLINK(\"http://x\")", hint=f"{start}1+1")

    response = client_as("viewer").get(reverse("security:findings_export"))

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    row = next(r for r in rows if r[5].endswith('HYPERLINK("http://x")'))
    assert row[5] == f"'{start}HYPERLINK(\"http://x\")" and row[6] == f"'{start}1+1"


def test_no_findings_says_everything_is_in_order(client_as, world):
    response = client_as("viewer").get(URL)

    assert "No findings: everything checked is in order." in text(response)


def test_the_findings_page_is_in_the_top_navigation(client_as, estate):
    page = client_as("viewer").get(reverse("applications:list")).content.decode()

    # Whatever marks the active item (classes, aria-current), the item is a link to the page.
    nav = page[page.index("<nav"):page.index("</nav>")]
    assert re.search(rf'<a [^>]*href="{re.escape(URL)}"[^>]*>\s*Findings\s*</a>', nav)


def test_the_sweep_page_shows_messages_not_only_codes(client_as, estate):
    from security import sweeps

    sweep = sweeps.sweep_create(trigger="command", actor="tests")
    sweeps.run_sweep(sweep.pk)

    response = client_as("viewer").get(reverse("security:sweep_detail", args=[sweep.pk]))

    finding = Finding.objects.filter(store=estate.expired, code="store.expired").get()
    assert text_of(finding.message) in plain(response)
    assert "store.expired" not in text(response)
    assert 'title="store.expired"' in response.content.decode()


def placements() -> list[tuple]:
    return list(Finding.objects.order_by("pk").values_list("pk", "kind", "app_type", "host_id", "cluster_id"))


def test_a_node_moved_to_another_cluster_is_found_there_once_its_checks_have_run(client_as, estate):
    other = estate.app("Other_Cluster", "cobrowse_cluster", "8.5.003.04", host=estate.linux)
    estate.node1.cluster = other
    estate.node1.save()
    estate.validate(estate.node1)

    viewer = client_as("viewer")
    there = {row.object_name for row in viewer.get(URL, {"cluster": other.pk}).context["rows"]}
    before = {row.object_name for row in viewer.get(URL, {"cluster": estate.cluster.pk}).context["rows"]}

    assert "Cobrowse_Node_1" in there and "Cobrowse_Node_1" not in before


def test_the_migration_gives_findings_stored_before_it_the_placement_the_checks_write(estate):
    from importlib import import_module

    from django.apps import apps

    written = placements()
    Finding.objects.update(kind="", app_type="", host=None, cluster=None)

    import_module("security.migrations.0007_findings_page").fill_placement(apps, None)

    assert placements() == written
    assert {kind for _, kind, *_ in written} == {"store", "application", "connection"}


def matches_in_python(filters: FindingFilters) -> tuple[list[Finding], list[Finding]]:
    """The findings the text matches, and those of them every other filter keeps, in the page's order, found
    by a plain Python filter over every finding (the text in the message, fix or code, or in the name of the
    store or application the finding is about; any case)."""
    text = filters.text.lower()
    every = Finding.objects.select_related("store", "application")

    def found(f: Finding) -> bool:
        return (text in f"{f.message}\n{f.hint}\n{f.code}".lower() or (f.store_id and text in f.store.name.lower())
                or (f.application_id and text in f.application.name.lower()))

    matched = sorted((f for f in every if found(f)), key=lambda f: (SEVERITIES.index(f.severity), f.code, f.pk))
    return matched, [f for f in matched if not missed_filters(f, filters)]


def missed_filters(f: Finding, filters: FindingFilters) -> list[str]:
    values = {"severity": f.severity, "kind": f.kind, "app_type": f.app_type, "host": f.host_id,
              "cluster": f.cluster_id}
    return [name for name, value in values.items() if getattr(filters, name) not in ("", None)
            and getattr(filters, name) != value]


def facets_in_python(matched: list[Finding], filters: FindingFilters) -> Facets:
    result = Facets()
    for f in matched:
        misses = missed_filters(f, filters)
        values = {"severity": f.severity, "kind": f.kind, "app_type": f.app_type or None, "host": f.host_id,
                  "cluster": f.cluster_id}
        for name in DIMENSIONS:
            if not misses or misses == [name]:
                getattr(result, name)[values[name]] += 1
        result.total += not misses
    return result


@pytest.mark.parametrize("limit", [1000, 3, 1])
def test_a_text_search_finds_counts_and_lists_what_a_plain_filter_over_every_finding_does(estate, limit):
    """``text_search`` (one statement: the text's matches up to the limit, or each severity's in the page's
    order past it) against a plain Python filter over every finding, for several texts and filters, each page
    of 1, 2 and 50 findings: the same findings in the same order, the same counts per filter value (the counts
    of ``facets`` too), "more than the limit" (``None``) past it."""
    from security.findings import text_search

    cases = [FindingFilters(text="expired"), FindingFilters(text="TLS"), FindingFilters(text="cb-linux"),
             FindingFilters(text="Old CA"), FindingFilters(text="tls", severity="error"),
             FindingFilters(text="tls", kind="connection", host=estate.other_host.pk),
             FindingFilters(text="Lone_server", app_type="cobrowse_server"),
             FindingFilters(text="secure", kind="store"),
             FindingFilters(text="CA"),  # under three characters: no trigram index could answer it
             # Characters a LIKE pattern would take for wildcards are found as they are.
             FindingFilters(text="insecure_p"), FindingFilters(text="e_p"), FindingFilters(text="%"),
             FindingFilters(text="nothing matches this")]
    over_the_limit = 0
    for filters in cases:
        matched, kept = matches_in_python(filters)
        assert [f.pk for f in kept] == list(findings_queryset(filters).values_list("id", flat=True)), filters
        for size in (1, 2, 50):
            pages = [text_search(filters, page_start=start, page_size=size, limit=limit)
                     for start in range(0, max(len(kept), 1), size)]
            assert [pk for page in pages for pk in page.page_ids] == [f.pk for f in kept][:limit], (filters, size)
        search = pages[0]
        assert search.more == (len(kept) > limit) and search.listed == min(len(kept), limit), filters
        assert search.total == (len(kept) if len(kept) <= limit else None), filters
        expected = facets_in_python(matched, filters)
        assert search.by_severity == {s: (n if (n := expected.severity[s]) <= limit else None)
                                      for s in SEVERITIES}, filters
        if len(matched) <= limit:
            assert search.facets == expected == facets(filters), filters
        else:
            over_the_limit += 1
            assert search.facets is None, filters
    assert over_the_limit or limit == 1000
    assert any(matches_in_python(filters)[1] for filters in cases)


def test_a_text_search_page_past_the_last_shows_the_last(client_as, estate, monkeypatch):
    from security import views_findings

    monkeypatch.setattr(views_findings, "PAGE_SIZE", 2)
    everything = list(findings_queryset(FindingFilters(text="tls")).values_list("id", flat=True))
    assert len(everything) > 4
    response = client_as("viewer").get(URL, {"q": "tls", "page": 999})
    last = (len(everything) - 1) // 2 * 2
    assert [row.finding.pk for row in response.context["rows"]] == everything[last:last + 2]
    assert response.context["page"].number == (len(everything) + 1) // 2


def test_a_text_matching_more_than_the_limit_says_so_and_lists_the_first_ones(client_as, estate, monkeypatch):
    """Past ``TEXT_COUNT_LIMIT`` matches the page counts no further: "More than N", the first N listed in the
    page's order, each severity's count exact up to N and "N+" past it, the other choices without numbers
    (never numbers counted over a part of the matches)."""
    from security import findings as module
    from security import views_findings

    text = "tls"
    filters = FindingFilters(text=text)
    everything = list(findings_queryset(filters).values_list("id", flat=True))
    per_severity = {s: findings_queryset(filters).filter(severity=s).count() for s in SEVERITIES}
    limit = 2
    assert len(everything) > limit and any(0 < n <= limit for n in per_severity.values()), per_severity
    monkeypatch.setattr(module, "TEXT_COUNT_LIMIT", limit)
    monkeypatch.setattr(views_findings, "TEXT_COUNT_LIMIT", limit)

    response = client_as("viewer").get(URL, {"q": text})

    assert [row.finding.pk for row in response.context["rows"]] == everything[:limit]
    page = html.unescape(response.content.decode())
    assert f"More than {limit}" in re.sub(r"<[^>]+>", "", page)
    for severity, n in per_severity.items():
        shown = f"{limit}+" if n > limit else str(n)
        if n or severity != "info":
            chip = rf'data-severity="{severity}"[^>]*>[^<]*<span class="badge [^"]*">{re.escape(shown)}</span>'
            assert re.search(chip, page), (severity, shown)
    assert response.context["counts"] is None
    assert re.search(r">cb-linux-02</option>", page)  # no number rather than a number of a part


def test_a_text_search_whose_errors_fill_the_limit_still_counts_its_warnings(estate):
    """Past the limit, a severity whose matches cannot be listed (the errors before it hold ``limit``) is
    counted in any order rather than read in the page's order: the chips and "more than the limit" are the
    same as a plain filter's, with the limit exactly the errors' number (the warnings then push it over)."""
    from security.findings import text_search

    filters = FindingFilters(text="tls")
    matched, _kept = matches_in_python(filters)
    per_severity = {s: sum(f.severity == s for f in matched) for s in SEVERITIES}
    assert per_severity[Severity.ERROR] >= 1 and per_severity[Severity.WARNING] >= 1
    limit = per_severity[Severity.ERROR]

    search = text_search(filters, page_size=50, limit=limit)

    assert search.more and search.listed == limit and search.total is None
    assert search.page_ids == [f.pk for f in matched][:limit]
    assert search.by_severity == {s: (n if n <= limit else None) for s, n in per_severity.items()}
    # Chosen, the warnings are listed in the page's order, the errors only counted.
    warnings = text_search(FindingFilters(text="tls", severity=Severity.WARNING), page_size=50, limit=limit)
    assert warnings.page_ids == [f.pk for f in matched if f.severity == Severity.WARNING][:min(50, limit)]
    assert warnings.by_severity == search.by_severity
