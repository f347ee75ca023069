"""The expiry timeline of the certificate library, as plain numbers for an SVG template.

Operators would rather look than read dates: one bar per certificate from not-before to
not-after, a dashed line for today, colours for expired / expiring soon / valid / not yet valid.
A short-lived certificate (valid for less than ``SHORT_LIVED_DAYS``) would be a sliver on a scale of
years: its bar is drawn at least ``MIN_BAR`` wide and carries a diamond mark, so it cannot be missed.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.html import escape

WIDTH = 1000
LABEL_WIDTH = 260
ROW_HEIGHT = 22
TOP = 24
SHORT_LIVED_DAYS = 90
MIN_BAR = 6


@dataclass(frozen=True)
class Bar:
    label: str
    x: float
    width: float
    y: int
    css: str
    title: str
    url: str
    short_lived: bool = False

    @property
    def mark_x(self) -> float:
        """Where the short-lived mark sits: the middle of the bar."""
        return round(self.x + self.width / 2, 1)

    @property
    def mark_points(self) -> str:
        """A diamond over the bar (SVG polygon points), for a short-lived certificate."""
        cx, cy = self.mark_x, self.y + 10.5
        return f"{cx},{cy - 8} {cx + 6},{cy} {cx},{cy + 8} {cx - 6},{cy}"


@dataclass(frozen=True)
class Timeline:
    bars: list[Bar]
    ticks: list[tuple[float, str]]
    today_x: float
    height: int
    width: int = WIDTH
    label_width: int = LABEL_WIDTH


def status_class(not_before: dt.datetime, not_after: dt.datetime, now: dt.datetime, soon_days: int) -> str:
    if not_after < now:
        return "bar-expired"
    if not_before > now:
        return "bar-future"
    if not_after < now + dt.timedelta(days=soon_days):
        return "bar-soon"
    return "bar-ok"


def build_timeline(certs, *, now: dt.datetime, soon_days: int, max_rows: int = 60,
                   url_of: Callable | None = None) -> Timeline | None:
    """``url_of(cert)``: each bar's link (the certificate's page: ``get_absolute_url`` by default; a list
    that has its rows' links already gives them, one ``reverse`` a bar was most of a bar's cost)."""
    url_of = url_of or (lambda cert: cert.get_absolute_url())
    certs = list(certs)[:max_rows]
    if not certs:
        return None
    start = min(min(c.not_before for c in certs), now - dt.timedelta(days=365))
    end = max(max(c.not_after for c in certs), now + dt.timedelta(days=365))
    # Long-lived roots (30 years) would squeeze everything else: cap the view at 12 years ahead.
    end = min(end, now + dt.timedelta(days=365 * 12))
    start = max(start, now - dt.timedelta(days=365 * 8))
    span = (end - start).total_seconds()
    plot = WIDTH - LABEL_WIDTH - 10

    def x_of(moment: dt.datetime) -> float:
        clamped = min(max(moment, start), end)
        return round(LABEL_WIDTH + (clamped - start).total_seconds() / span * plot, 1)

    bars = []
    for row, cert in enumerate(certs):
        x1, x2 = x_of(cert.not_before), x_of(cert.not_after)
        short_lived = cert.not_after - cert.not_before < dt.timedelta(days=SHORT_LIVED_DAYS)
        title = f"{cert.common_name or cert.subject}: {cert.not_before:%Y-%m-%d} → {cert.not_after:%Y-%m-%d}"
        if short_lived:
            title += f" (short-lived: valid for {(cert.not_after - cert.not_before).days} days)"
        bars.append(Bar(
            label=(cert.common_name or cert.subject)[:38],
            x=x1,
            width=max(x2 - x1, MIN_BAR),
            y=TOP + row * ROW_HEIGHT,
            css=status_class(cert.not_before, cert.not_after, now, soon_days),
            title=title,
            url=url_of(cert),
            short_lived=short_lived,
        ))
    ticks = []
    for year in range(start.year + 1, end.year + 1):
        moment = dt.datetime(year, 1, 1, tzinfo=dt.UTC)
        ticks.append((x_of(moment), str(year)))
    if len(ticks) > 14:
        ticks = ticks[:: (len(ticks) // 14) + 1]
    return Timeline(bars=bars, ticks=ticks, today_x=x_of(now), height=TOP + len(certs) * ROW_HEIGHT + 10)


def bars_svg(timeline: Timeline) -> str:
    """The bars of the timeline's SVG, character for character what the template loop of
    ``security/certificate_list.html`` wrote (a bar's ten lookups in the template were most of the page's
    cost after its rows). Numbers as the template wrote them: ``str`` of the int or float."""
    out = []
    for bar in timeline.bars:
        title = escape(bar.title)
        mark = (f'<polygon class="short-lived-mark" points="{escape(bar.mark_points)}" data-short-lived>'
                f'<title>{title}</title></polygon>' if bar.short_lived else "")
        out.append(f'\n      <a href="{escape(bar.url)}"><text x="4" y="{bar.y + 14}">{escape(bar.label)}</text>'
                   f'\n      <rect class="{escape(bar.css)}" x="{bar.x}" y="{bar.y + 4}" width="{bar.width}"'
                   f' height="13" rx="2"><title>{title}</title></rect>\n      {mark}</a>\n    ')
    return "".join(out)
