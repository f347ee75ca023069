"""Which options a page shows: one section or all, a text to look for, a page of rows.

The Options tab and the editor read an application's options through a window, so a page holds at
most ``EDITOR_PAGE_ROWS`` rows whatever the application holds (20,000 options is allowed): the page
costs the same at any size, and the editor posts one page, under Django's limit on fields.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet

from applications.catalogue import OptionSpec, specs_for
from applications.limits import EDITOR_PAGE_ROWS
from applications.models import Application, Option
from applications.numbers import parse_whole_number


@dataclass(frozen=True)
class OptionWindow:
    section: str = ""  # empty: every section
    text: str = ""
    page: int = 1

    @classmethod
    def from_query(cls, params) -> "OptionWindow":
        page = parse_whole_number(params.get("page")) or 1
        return cls(section=params.get("section", ""), text=params.get("q", "").strip(), page=page)

    def query(self, *, page: int | None = None) -> str:
        """The query string of this window (on another page), without the defaults."""
        pairs = [("section", self.section), ("q", self.text), ("page", page or self.page)]
        return urlencode([(k, v) for k, v in pairs if v and (k != "page" or v != 1)])

    @property
    def is_filtered(self) -> bool:
        return bool(self.section or self.text)

    def matches(self, section: str, name: str) -> bool:
        if self.section and section != self.section:
            return False
        text = self.text.casefold()
        return not text or text in section.casefold() or text in name.casefold()

    def options(self, app: Application) -> QuerySet:
        options = Option.objects.filter(application=app)
        if self.section:
            options = options.filter(section=self.section)
        if self.text:
            options = options.filter(Q(section__icontains=self.text) | Q(name__icontains=self.text))
        return options.order_by("section", "name")

    def page_of(self, app: Application, size: int = EDITOR_PAGE_ROWS) -> Page:
        return Paginator(self.options(app), size).get_page(self.page)


def section_counts(app: Application) -> list[tuple[str, int]]:
    """Each section of the application with its number of options, for the section filter."""
    rows = Option.objects.filter(application=app).values("section").annotate(n=Count("id")).order_by("section")
    return [(row["section"], row["n"]) for row in rows]


def known_not_set(app: Application, window: OptionWindow | None = None) -> list[OptionSpec]:
    """The catalogue's options for this application that are not set (in the window, if given)."""
    specs = specs_for(app.app_type, app.version)
    if not specs:
        return []
    keys = {spec.key for spec in specs}
    set_keys = set(
        Option.objects.filter(application=app, section__in={k[0] for k in keys}, name__in={k[1] for k in keys})
        .values_list("section", "name")
    )
    return [s for s in specs if s.key not in set_keys and (window is None or window.matches(*s.key))]
