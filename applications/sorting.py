"""Lists sorted by their column headers: the order a header stands for, and the link it draws.

A list declares its columns once (``Column(key, label, order)``); ``sort_by(request, columns)`` reads
``?sort=key`` (ascending) or ``?sort=-key`` (descending); anything else is the first column, ascending.
It returns a ``Sorting``: what the view passes to ``order_by`` and the headers the template draws
(``applications/_sort_headers.html``). Each header links to its own order (the current column
toggles its direction) and keeps every other parameter of the page, filters and page size, but not
the page number or the audit cursor: a new order starts at its first page.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import F
from django.db.models.expressions import OrderBy
from django.http import QueryDict

PAGE_PARAMETERS = ("page", "before", "after")


@dataclass(frozen=True)
class Column:
    """``order``: the ``order_by`` terms of the ascending order (strings or expressions), the last
    ones breaking ties; empty: the column does not sort. ``annotate``: what the order needs annotated
    (an aggregate), added only when the list is sorted by this column. ``css``: class of the header."""

    key: str
    label: str
    order: Sequence = ()
    css: str = ""
    annotate: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Header:
    label: str
    url: str = ""
    direction: str = ""  # "ascending", "descending" or "" (not the current sort); the aria-sort value
    css: str = ""

    @property
    def arrow(self) -> str:
        return {"ascending": "▲", "descending": "▼"}.get(self.direction, "")


@dataclass
class Sorting:
    key: str
    descending: bool
    order_by: list = field(default_factory=list)
    headers: list[Header] = field(default_factory=list)
    annotations: dict = field(default_factory=dict)

    def apply(self, qs):
        """``qs`` annotated as the order needs and ordered."""
        return (qs.annotate(**self.annotations) if self.annotations else qs).order_by(*self.order_by)

    @property
    def value(self) -> str:
        """The ``sort`` parameter of the current order (for a filter form's hidden field)."""
        return f"-{self.key}" if self.descending else self.key


def reversed_term(term):
    if isinstance(term, str):
        return term[1:] if term.startswith("-") else f"-{term}"
    if isinstance(term, OrderBy):
        flipped = term.copy()
        flipped.descending = not term.descending
        return flipped
    if isinstance(term, F):
        return term.desc()
    return OrderBy(term, descending=True)


def parse(value: str | None, columns: Sequence[Column], default: str = "") -> tuple[Column, bool]:
    text = (value or "").strip() or default
    descending = text.startswith("-")
    wanted = text[1:] if descending else text
    for column in columns:
        if column.order and column.key == wanted:
            return column, descending
    if default and text != default:
        return parse(default, columns)
    return next(c for c in columns if c.order), False


def sort_by(query: QueryDict, columns: Sequence[Column], *, parameter: str = "sort", default: str = "") -> Sorting:
    """The order ``query`` asks for among ``columns``, with the header links of every column.
    ``default`` (a ``sort`` value): the order without one, or with one that names no column."""
    current, descending = parse(query.get(parameter), columns, default)
    order = list(current.order)
    if descending:
        order = [reversed_term(term) for term in order]
    kept = query.copy()
    for name in PAGE_PARAMETERS:
        kept.pop(name, None)
    headers = []
    for column in columns:
        if not column.order:
            headers.append(Header(column.label, css=column.css))
            continue
        is_current = column is current
        kept[parameter] = f"-{column.key}" if is_current and not descending else column.key
        direction = ("descending" if descending else "ascending") if is_current else ""
        headers.append(Header(column.label, url=f"?{kept.urlencode()}", direction=direction, css=column.css))
    return Sorting(current.key, descending, order, headers, dict(current.annotate))


def page_query(query: QueryDict) -> str:
    """The parameters of a list page (filters, order, page size) for its pagination links: all but the page."""
    kept = query.copy()
    kept.pop("page", None)
    return kept.urlencode()
