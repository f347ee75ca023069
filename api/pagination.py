"""100 objects a page, by page number; the count is one query whatever the page."""

from rest_framework.pagination import PageNumberPagination

PAGE_SIZE = 100


class NumberedPages(PageNumberPagination):
    page_size = PAGE_SIZE
