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
