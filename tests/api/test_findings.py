"""Findings over the API: the findings page's filters (``security.findings``), over findings the real
checks wrote for a small deployment."""

import pytest

from applications.models import AppType
from security.findings import FindingFilters, findings_queryset
from security.models import Finding
from tests.checks.world import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cert_files):
    w = World(cert_files)
    expired = w.store("Expired CA", certs=("expired-ca.pem",))
    good = w.store("Genesys CA", certs=("ca.pem",))
    w.security(w.node1, store=expired)
    w.security(w.node2, store=good)
    w.connect(w.node1, w.message_default)  # not secure: a finding on the connection
    for obj in (expired, good, w.cluster, w.node1, w.node2, w.message):
        w.validate(obj)
    assert Finding.objects.count() > 3
    return w


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def expected(**filters) -> list[int]:
    return list(findings_queryset(FindingFilters(**filters)).values_list("id", flat=True))


def test_a_viewer_lists_every_finding_errors_first_with_its_object(api, world):
    response = api("viewer").get("/api/v1/findings/")
    assert ids(response) == expected()
    rows = response.json()["results"]
    severities = [row["severity"] for row in rows]
    assert severities == sorted(severities, key=["error", "warning", "info"].index)
    store_row = next(row for row in rows if row["kind"] == "store")
    assert store_row["object_name"] == "Expired CA" and store_row["store"] is not None


@pytest.mark.parametrize("field", ["severity", "kind", "app_type"])
def test_each_choice_filter_keeps_what_the_page_keeps(api, world, field):
    values = set(Finding.objects.values_list(field, flat=True)) - {""}
    assert len(values) >= 2, values
    for value in values:
        kept = ids(api("viewer").get(f"/api/v1/findings/?{field}={value}"))
        assert kept == expected(**{field: value}) and kept
        assert set(Finding.objects.filter(pk__in=kept).values_list(field, flat=True)) == {value}


def test_host_cluster_and_text_filters(api, world):
    client = api("viewer")
    by_cluster = ids(client.get(f"/api/v1/findings/?cluster={world.cluster.pk}"))
    assert by_cluster == expected(cluster=world.cluster.pk) and by_cluster
    assert ids(client.get(f"/api/v1/findings/?host={world.core.pk}")) == expected(host=world.core.pk)
    by_text = ids(client.get("/api/v1/findings/?q=Expired CA"))
    assert by_text == expected(text="Expired CA") and by_text
    combined = ids(client.get(f"/api/v1/findings/?cluster={world.cluster.pk}&kind=connection"))
    assert combined == expected(cluster=world.cluster.pk, kind="connection") and combined
    assert ids(client.get(f"/api/v1/findings/?app_type={AppType.MESSAGE_SERVER}&cluster={world.cluster.pk}")) == []


@pytest.mark.parametrize("query", ["severity=fatal", "kind=host", "host=abc", "cluster=1.5", "host=0",
                                   f"host={10**30}", "q=a%00b"])
def test_a_filter_value_that_is_no_choice_is_a_400_problem(api, world, query):
    response = api("viewer").get(f"/api/v1/findings/?{query}")
    assert response.status_code == 400 and response["Content-Type"] == "application/problem+json"


def test_a_read_gives_one_finding(api, world):
    finding = Finding.objects.filter(kind="connection").first()
    body = api("viewer").get(f"/api/v1/findings/{finding.pk}/").json()
    assert (body["id"], body["code"], body["connection"]) == (finding.pk, finding.code, finding.connection_id)
    assert body["object_name"] == "Cobrowse_Node_1 → MessageServer:default"
    assert api("viewer").get("/api/v1/findings/999999/").status_code == 404


def test_the_list_takes_the_same_number_of_queries_for_few_or_many_findings(api, world, django_assert_max_num_queries):
    client = api("viewer")
    client.get("/api/v1/findings/")
    with django_assert_max_num_queries(6) as few:
        assert client.get("/api/v1/findings/").status_code == 200
    template = Finding.objects.filter(kind="connection").first()
    Finding.objects.bulk_create(Finding(subject=template.subject, code=f"test.{i:03}", severity="warning",
                                        message="m", connection_id=template.connection_id, kind="connection")
                                for i in range(150))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/api/v1/findings/?page=2")
    assert response.status_code == 200 and len(response.json()["results"]) == Finding.objects.count() - 100
    # The pages are the whole list in its order (errors, warnings, information; by code), the last one
    # read from the end of its severity.
    listed = [f["id"] for page in (1, 2) for f in client.get(f"/api/v1/findings/?page={page}").json()["results"]]
    assert listed == list(findings_queryset(FindingFilters()).values_list("id", flat=True))
    warnings = [f["id"] for page in (1, 2)
                for f in client.get(f"/api/v1/findings/?severity=warning&page={page}").json()["results"]]
    assert warnings == list(findings_queryset(FindingFilters(severity="warning")).values_list("id", flat=True))
