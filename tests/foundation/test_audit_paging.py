"""The audit page goes newer / older from an event: every event once, in order, with no COUNT(*)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications.models import AuditEvent
from applications.pagination import event_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail():
    """130 events; some share a timestamp (ties are ordered by id), and one is an older import."""
    start = timezone.now() - dt.timedelta(days=10)
    # ``at`` is a default, not auto_now_add (the audit chain hashes the time it was given): set here.
    AuditEvent.objects.bulk_create(
        AuditEvent(at=start + dt.timedelta(minutes=i // 3), actor_name="operator", action="update",
                   object_type="option" if i % 4 else "host", object_repr=f"event {i:03d}")
        for i in range(130))
    return list(AuditEvent.objects.order_by("-at", "-id").values_list("pk", flat=True))


def walk(events, *, direction: str, start=None, size=50):
    seen, page = [], event_page(events, size=size, **({direction: start} if start else {}))
    pages = [page]
    while (page.has_older if direction == "before" else page.has_newer):
        cursor = page.older_cursor if direction == "before" else page.newer_cursor
        page = event_page(events, size=size, **{direction: cursor})
        pages.append(page)
    for page in pages:
        seen += [e.pk for e in page]
    return pages, seen


def test_older_pages_show_every_event_once_newest_first(trail):
    pages, seen = walk(AuditEvent.objects.all(), direction="before")

    assert seen == trail
    assert [len(p) for p in pages] == [50, 50, 30]
    assert not pages[0].has_newer and all(p.has_newer for p in pages[1:])


def test_newer_pages_from_the_oldest_event_come_back_to_the_newest(trail):
    events = AuditEvent.objects.all()
    oldest = trail[-1]
    pages, _ = walk(events, direction="after", start=oldest)

    assert [e.pk for p in reversed(pages) for e in p] == trail[:-1]
    assert all(p.has_older for p in pages) and not pages[-1].has_newer


def test_a_filter_pages_the_same_way(trail):
    events = AuditEvent.objects.filter(object_type="host")
    _, seen = walk(events, direction="before", size=7)

    assert seen == list(events.order_by("-at", "-id").values_list("pk", flat=True))


def test_a_cursor_that_is_not_an_event_shows_the_newest_page(trail):
    for bad in ("abc", "-1", "99999999", ""):
        page = event_page(AuditEvent.objects.all(), before=bad)
        assert [e.pk for e in page] == trail[:50]


def test_the_audit_page_never_counts_the_trail(trail, client_as):
    client = client_as("viewer")
    first = client.get(reverse("applications:audit"))
    older = first.context["page"].older_cursor
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("applications:audit") + f"?before={older}&object_type=option")

    assert response.status_code == 200
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert f"before={response.context['page'].older_cursor}" in response.content.decode().replace("&amp;", "&")
    assert "object_type=option&after=" in response.content.decode().replace("&amp;", "&")
