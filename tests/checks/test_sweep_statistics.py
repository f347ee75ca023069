"""A sweep leaves PostgreSQL's planner statistics of the tables it fills up to date
(``applications.bulk.analyze_if_changed``): without them the planner reads a table filled in one go as
if it were empty, and each "findings of these objects" read went through every finding."""

from django.db import connection

from applications.bulk import analyze_if_changed
from security import sweeps
from security.models import ConnectionCheck, Finding, Severity
from tests.checks.test_sweep_garbage import estate
from tests.conftest import require


def start_empty() -> None:
    """The findings and checks empty, without the pages tests before left in them, and the planner knowing it:
    what the tests compare with does not depend on the tests that ran before."""
    assert not Finding.objects.exists() and not ConnectionCheck.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE security_finding, security_connectioncheck")
        cursor.execute("ANALYZE security_finding, security_connectioncheck")


def planner_rows(model) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table])
        return cursor.fetchone()[0]


def test_a_sweep_leaves_the_planner_the_number_of_findings_it_wrote(world):
    require(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL)")
    estate(world)
    start_empty()
    assert planner_rows(Finding) == planner_rows(ConnectionCheck) == 0

    sweeps.run_sweep(sweeps.sweep_create(trigger="ui", actor="tests").pk)

    assert Finding.objects.count() > 0
    assert planner_rows(Finding) == Finding.objects.count()
    assert planner_rows(ConnectionCheck) == ConnectionCheck.objects.count() > 0


def test_a_table_is_analysed_again_only_when_its_size_has_moved(world):
    require(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL)")
    estate(world)
    start_empty()
    sweeps.run_sweep(sweeps.sweep_create(trigger="ui", actor="tests").pk)
    assert analyze_if_changed(Finding, ConnectionCheck) == []  # the sweep's end analysed both

    Finding.objects.bulk_create(Finding(subject=f"store:{n}", code="test.padding", severity=Severity.WARNING,
                                        message="padding " * 40) for n in range(300))
    assert analyze_if_changed(Finding, ConnectionCheck) == [Finding._meta.db_table]
    assert planner_rows(Finding) == Finding.objects.count()
