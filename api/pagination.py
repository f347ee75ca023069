"""100 objects a page, by page number; the count is one query whatever the page."""

from functools import cached_property

from django.db.models import QuerySet
from rest_framework.pagination import PageNumberPagination

PAGE_SIZE = 100


class NumberedPages(PageNumberPagination):
    page_size = PAGE_SIZE


class FromTheNearerEnd:
    """A sorted queryset as the paginator's list, for long lists sorted over a join: the page's ids are
    read first (the sort and the OFFSET over the sort's columns only, not every joined row: a deferred
    join), from the end of the order nearer to the page (the last page is the first rows of the
    reversed order, not an OFFSET past every row), then their rows loaded by id in one query.

    The queryset's order must be total (end with the id), so that the reversed order is exactly the
    order read backwards."""

    ordered = True  # the paginator's warning about unordered lists

    def __init__(self, queryset: QuerySet):
        self.queryset = queryset

    @cached_property
    def total(self) -> int:
        return self.queryset.count()

    def count(self) -> int:
        return self.total

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, window: slice) -> list:
        start, stop = window.start or 0, min(window.stop, self.total)
        if start >= stop:
            return []
        ids = self.queryset.values_list("pk", flat=True)
        if start > self.total - stop:  # nearer the end
            page_ids = list(ids.reverse()[self.total - stop:self.total - start])[::-1]
        else:
            page_ids = list(ids[start:stop])
        rows = self.queryset.order_by().in_bulk(page_ids)
        return [rows[pk] for pk in page_ids if pk in rows]  # one deleted since the ids were read is gone
