"""The last sweep and what waits for its checks, as the dashboard's card and the review's header show them:
one query when a sweep exists (``security.sweeps.validation_state``)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from security import sweeps
from security.models import TrustedStore


def pending(world, applications: int, stores: int) -> None:
    now = timezone.now()
    Application.objects.update(checks_requested_at=None)
    TrustedStore.objects.update(checks_requested_at=None)
    Application.objects.filter(pk__in=list(Application.objects.order_by("pk").values_list("pk", flat=True)[
        :applications])).update(checks_requested_at=now)
    TrustedStore.objects.filter(pk__in=list(TrustedStore.objects.order_by("pk").values_list("pk", flat=True)[
        :stores])).update(checks_requested_at=now)


def test_before_the_first_sweep_the_counts_alone(world):
    world.store("Genesys CA")
    world.store("Other CA")
    pending(world, applications=3, stores=2)

    state = sweeps.validation_state()

    assert state == sweeps.ValidationState(None, 3, 2)


def test_with_sweeps_the_last_one_and_the_counts_in_one_query(world):
    world.store("Genesys CA")
    older = sweeps.sweep_create(trigger="ui", actor="tests")
    newer = sweeps.sweep_create(trigger="command", actor="tests")
    pending(world, applications=2, stores=1)

    with CaptureQueriesContext(connection) as queries:
        state = sweeps.validation_state()

    assert len(queries) == 1
    assert state.sweep.pk == newer.pk != older.pk
    assert (state.pending_applications, state.pending_stores) == (2, 1)
    pending(world, applications=0, stores=0)
    after = sweeps.validation_state()
    assert (after.pending_applications, after.pending_stores) == (0, 0)


def test_the_review_and_the_dashboard_say_what_is_pending(world, client_as):
    world.store("Genesys CA")
    sweep = sweeps.sweep_create(trigger="ui", actor="tests")
    pending(world, applications=4, stores=1)
    viewer = client_as("viewer")

    review = viewer.get(reverse("security:review")).content.decode()
    dashboard = viewer.get(reverse("dashboard")).content.decode()

    assert "Validation is pending for 4 application(s) and 1 store(s)" in review
    assert f"#{sweep.pk}" in review
    assert "4 applications waiting" in dashboard
