"""``field__in_array``: the rows ``field__in`` keeps, with the values sent as ONE array parameter on
PostgreSQL (``= ANY(%s)``): psycopg re-parses each statement of more than 50 parameters, and the review
sends a few hundred ids, paths and subjects a page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications.models import Application, AppType, Option


@pytest.fixture
def apps(db):
    made = [Application.objects.create(name=f"App_{i}", app_type=AppType.OTHER, version="8.5.100.01")
            for i in range(60)]
    for app in made[::3]:
        Option.objects.create(application=app, section="security", name="provider", value=f"PEM-{app.pk}")
    return made


def test_it_keeps_the_rows_in_keeps_in_one_parameter(apps):
    wanted = [a.pk for a in apps[5:58]] + [None, apps[5].pk]  # more than 50, a None and a repeat
    with CaptureQueriesContext(connection) as queries:
        found = set(Application.objects.filter(pk__in_array=wanted).values_list("pk", flat=True))
        options = set(Option.objects.filter(application_id__in_array=wanted).values_list("value", flat=True))
    assert found == set(Application.objects.filter(pk__in=wanted).values_list("pk", flat=True)) == {
        a.pk for a in apps[5:58]}
    assert options == set(Option.objects.filter(application_id__in=wanted).values_list("value", flat=True))
    assert options and all(value.startswith("PEM-") for value in options)
    if connection.vendor == "postgresql":
        assert all("= ANY(" in q["sql"] and " IN (" not in q["sql"] for q in queries.captured_queries)


def test_strings_and_an_empty_list(apps):
    names = ["App_1", "App_2", "nobody"]
    assert set(Application.objects.filter(name__in_array=names).values_list("name", flat=True)) == {"App_1", "App_2"}
    assert list(Application.objects.filter(pk__in_array=[])) == []
    # Empty, or-ed with another condition: the other condition still holds.
    from django.db.models import Q

    assert list(Application.objects.filter(Q(pk__in_array=[]) | Q(name="App_3")).values_list("name", flat=True)) == [
        "App_3"]


def test_a_one_column_queryset_is_a_subquery_read_once(apps):
    # PostgreSQL: ``= ANY(ARRAY(SELECT ...))`` (the planner reads it once, then uses the index; or-ed,
    # ``IN (SELECT ...)`` was a sequential scan); elsewhere the usual ``IN (SELECT ...)``.
    from django.db.models import Q

    holders = Option.objects.filter(section="security").order_by("-pk").values("application_id")
    wanted = Q(pk__in_array=holders) | Q(name="App_1")
    with CaptureQueriesContext(connection) as queries:
        found = set(Application.objects.filter(wanted).values_list("pk", flat=True))
    assert found == {a.pk for a in apps[::3]} | {apps[1].pk}
    assert found == set(Application.objects.filter(Q(pk__in=holders) | Q(name="App_1")).values_list("pk", flat=True))
    assert len(queries) == 1
    sql = queries.captured_queries[0]["sql"]
    if connection.vendor == "postgresql":
        assert "= ANY(ARRAY(SELECT" in sql and " IN (SELECT" not in sql
    else:
        assert " IN (SELECT" in sql
    # An empty subquery keeps nothing, and the other condition still holds.
    none = Option.objects.filter(section="nowhere").values("application_id")
    assert list(Application.objects.filter(Q(pk__in_array=none) | Q(name="App_3")).values_list("name", flat=True)) == [
        "App_3"]


def test_a_queryset_of_two_columns_is_refused(apps):
    with pytest.raises(ValueError, match="1 selected fields"):
        list(Application.objects.filter(pk__in_array=Option.objects.values("application_id", "pk")))


def test_a_set_or_a_dicts_keys_keep_the_same_rows_without_the_filter_walking_them(apps, monkeypatch):
    """Django's ``filter`` walks a list value element by element for expressions; a set or a dict's keys it
    passes on as they are (the review sends its ids that way)."""
    from django.db.models.sql.query import Query

    wanted = [a.pk for a in apps[5:58]]
    by_list = set(Application.objects.filter(pk__in_array=wanted).values_list("pk", flat=True))
    walked = []
    original = Query.resolve_lookup_value
    monkeypatch.setattr(Query, "resolve_lookup_value", lambda self, value, *args: (
        walked.append(value), original(self, value, *args))[1])

    by_set = set(Application.objects.filter(pk__in_array=set(wanted)).values_list("pk", flat=True))
    by_keys = set(Application.objects.filter(pk__in_array=dict.fromkeys(wanted).keys()).values_list("pk", flat=True))
    names = set(Application.objects.filter(name__in_array={"App_1", "App_2", "nobody"}).values_list("name", flat=True))

    assert by_set == by_keys == by_list == {a.pk for a in apps[5:58]}
    assert names == {"App_1", "App_2"}
    assert not any(isinstance(value, int) for value in walked)  # no id was resolved one by one
