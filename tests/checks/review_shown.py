"""The rows a page of the connection review shows, in its order: the connections its HTML lists
(``data-connection``), built as the page builds them (``security.review.review_rows``). The page's template
gets the rows' HTML only (``security.views_checks.review``)."""

import re

from applications.models import Connection
from security.review import ReviewRow, review_rows, with_clients, with_row_data

ROW = re.compile(r'<tr data-connection="(\d+)"')


def shown_ids(response) -> list[int]:
    return [int(pk) for pk in ROW.findall(response.content.decode())]


def shown_rows(response) -> list[ReviewRow]:
    ids = shown_ids(response)
    loaded = with_row_data(Connection.objects.filter(pk__in=ids)).in_bulk()
    return review_rows(with_clients([loaded[pk] for pk in ids]))
