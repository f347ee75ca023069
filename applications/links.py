"""Links of a page's rows, the URL pattern reversed once for the page."""

from collections.abc import Callable

from django.urls import reverse


def url_for_ids(name: str) -> Callable[[int], str]:
    """``reverse(name, args=[pk])`` for many ids: the pattern is reversed once and the id put in.
    A page of the review has 150 links; reversing each cost more than rendering its row."""
    marker = 987654321
    before, found, after = reverse(name, args=[marker]).partition(str(marker))
    if not found or str(marker) in after:
        return lambda pk: reverse(name, args=[pk])
    return lambda pk: f"{before}{int(pk)}{after}"
