"""Paging through the audit trail by position in time instead of by page number.

The trail only grows (100,000 events is an ordinary year for a large deployment). Page numbers
cost a COUNT(*) over every matching event on each view, and page 2,000 an OFFSET that reads the
2,000 pages before it. Here a page is "the events older (or newer) than this one": each page
reads its 51 rows from the index on the event time, however deep it is, and nothing counts.
"""

from dataclasses import dataclass, field

from django.db.models import QuerySet

from applications.models import AuditEvent
from applications.numbers import parse_whole_number


@dataclass
class EventPage:
    """Events, newest first, with the cursors of the pages around them (event ids)."""

    object_list: list[AuditEvent] = field(default_factory=list)
    has_newer: bool = False
    has_older: bool = False

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    @property
    def newer_cursor(self) -> int | None:
        return self.object_list[0].pk if self.object_list else None

    @property
    def older_cursor(self) -> int | None:
        return self.object_list[-1].pk if self.object_list else None


def cursor(value) -> int | None:
    return parse_whole_number(value)


def older_than(events: QuerySet[AuditEvent], anchor: AuditEvent, *, inclusive: bool = False) -> QuerySet[AuditEvent]:
    # Written so the database walks the index on ``at`` down from the anchor (no OR of two ranges).
    same_time_excluded = {"pk__gt": anchor.pk} if inclusive else {"pk__gte": anchor.pk}
    return events.filter(at__lte=anchor.at).exclude(at=anchor.at, **same_time_excluded)


def newer_than(events: QuerySet[AuditEvent], anchor: AuditEvent, *, inclusive: bool = False) -> QuerySet[AuditEvent]:
    same_time_excluded = {"pk__lt": anchor.pk} if inclusive else {"pk__lte": anchor.pk}
    return events.filter(at__gte=anchor.at).exclude(at=anchor.at, **same_time_excluded)


def event_page(events: QuerySet[AuditEvent], *, before=None, after=None, size: int = 50) -> EventPage:
    """The page of ``events`` older than the event ``before``, newer than ``after``, or the newest.

    One query for the page (``size + 1`` rows tell whether there is more), one to find the anchor
    event and one to tell whether there is more on the other side."""
    before, after = cursor(before), cursor(after)
    anchor = AuditEvent.objects.filter(pk=before or after).only("at").first() if (before or after) else None
    if anchor is None:
        rows = list(events.order_by("-at", "-id")[: size + 1])
        return EventPage(rows[:size], has_newer=False, has_older=len(rows) > size)
    if before:
        rows = list(older_than(events, anchor).order_by("-at", "-id")[: size + 1])
        items = rows[:size]
        # Newer than what is shown: newer than its first event, or (nothing shown) from the anchor on.
        newer = newer_than(events, items[0]) if items else newer_than(events, anchor, inclusive=True)
        return EventPage(items, has_newer=newer.exists(), has_older=len(rows) > size)
    rows = list(newer_than(events, anchor).order_by("at", "id")[: size + 1])
    items = rows[:size][::-1]
    older = older_than(events, items[-1]) if items else older_than(events, anchor, inclusive=True)
    return EventPage(items, has_newer=len(rows) > size, has_older=older.exists())
