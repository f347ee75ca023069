"""The findings page: every finding the checks stored, with the object it is about, filtered and counted.

Nothing here judges anything: the rows are the stored findings (``security.validation`` writes them),
read as they are. What this module adds is how an operator finds their way through them:

- the filters (severity, kind of object, application type, host, Cluster, text) as one ``Q``;
- the counts per filter value (what a value would give if chosen with the rest unchanged), from **one**
  query over the counts the database keeps per severity, kind, application type, host and Cluster
  (``FindingCount``), each filter's summed over the rows the *other* filters keep (``facets``);
- the order (errors, then warnings, then information; by code within each) read severity by
  severity through an index, so a page of 50 never sorts every finding (``FindingsOrder``);
- the rows of a page (or of a CSV chunk) with their object's name and link, in one query.

The kind, application type, host and Cluster of a finding are columns of the finding, copied when the
checks write it (``security.validation.placement_of``): those of the application it is about, or for a
connection those of its client (the application whose Connections tab holds it). Filters and counts
read those columns (and the counts kept over them), never a join to the applications.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import connection
from django.db.models import Case, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value, When

from applications.models import Application, AppType, Host
from security import finding_counts
from security.models import Finding, Severity, TrustedStore
from security.review import csv_cell, url_for_ids

SEVERITIES = [Severity.ERROR, Severity.WARNING, Severity.INFO]
SEVERITY_LABELS = {Severity.ERROR: "Errors", Severity.WARNING: "Warnings", Severity.INFO: "Information"}
KINDS = {"application": "Applications", "connection": "Connections", "store": "Trusted stores"}
KIND_LABELS = {"application": "application", "connection": "connection", "store": "trusted store"}
APP_TYPE_LABELS = dict(AppType.choices)
DIMENSIONS = ("severity", "kind", "app_type", "host", "cluster")


@dataclass(frozen=True)
class FindingFilters:
    severity: str = ""
    kind: str = ""
    app_type: str = ""
    host: int | None = None
    cluster: int | None = None
    text: str = ""

    def active(self) -> bool:
        return any(getattr(self, name) not in ("", None) for name in (*DIMENSIONS, "text"))


def text_branches(text: str) -> list[QuerySet[Finding]]:
    """The findings whose message, fix or code holds ``text`` (any case), those of a store so named, those of
    an application so named: three sets, each found on its own (PostgreSQL: trigram indexes on the store and
    application names; the findings' own text is read from ``Finding.search``, the three in lower case, as an
    index on them made every sweep's insert 3x slower, see migration ``0011_store_name_text_search_index``).
    A finding may be in more than one; their union is the search's result.

    A connection's messages name its client (or the Node that runs it) and its server; a store's do not
    name the store, nor some of an application's the application: those two names are looked up too.
    One condition over the findings joined to their stores and applications (what this was) could only
    be answered by reading every finding."""
    findings = Finding.objects.order_by()
    return [findings.filter(condition) for condition in text_conditions(text)]


def text_conditions(text: str) -> list[Q]:
    """The three ways a finding matches ``text`` (``text_branches``, ``text_match``)."""
    return [Q(search__holds=text.lower()),
            Q(store__in=TrustedStore.objects.order_by().filter(name__icontains=text).values("pk")),
            Q(application__in=Application.objects.order_by().filter(name__icontains=text).values("pk"))]


def text_condition(text: str) -> Q:
    if not text:
        return Q()
    first, *others = (branch.values("pk") for branch in text_branches(text))
    return Q(pk__in=first.union(*others))


def matching(filters: FindingFilters, *fields: str, without: str = "", **more) -> QuerySet:
    """The findings the text and the other filters keep, as rows of ``fields`` without duplicates: the
    union of the text's branches, each with the other filters applied (the rows of a few matches, never a
    join back to every finding). ``more``: further conditions (a severity)."""
    first, *others = (branch.filter(choices_condition(filters, without=without), **more).values_list(*fields)
                      for branch in text_branches(filters.text))
    return first.union(*others)


COLUMNS = {"severity": "severity", "kind": "kind", "app_type": "app_type", "host": "host_id", "cluster": "cluster_id"}


def chosen(filters: FindingFilters) -> dict[str, str | int]:
    """The filters that keep something, as {dimension: value}: a kind that is not one of ``KINDS`` keeps
    everything. The host and Cluster filters hold for findings about applications and about their
    connections alike (the columns say where the application is, or the connection's client)."""
    values = {"severity": filters.severity, "kind": filters.kind if filters.kind in KINDS else "",
              "app_type": filters.app_type, "host": filters.host, "cluster": filters.cluster}
    return {name: value for name, value in values.items() if value not in ("", None)}


def choices_condition(filters: FindingFilters, *, without: str = "") -> Q:
    """The filters but the text as one condition; ``without``: leave that one out (its own counts)."""
    result = Q()
    for name, value in chosen(filters).items():
        if name != without:
            result &= Q(**{COLUMNS[name]: value})
    return result


def condition(filters: FindingFilters, *, without: str = "") -> Q:
    """The filters as one condition; ``without``: leave that one out (its own counts)."""
    return text_condition(filters.text) & choices_condition(filters, without=without)


def findings_queryset(filters: FindingFilters) -> QuerySet[Finding]:
    """Every finding the filters keep, in the page's order (the CSV reads it in chunks)."""
    return Finding.objects.filter(condition(filters)).order_by(page_rank(), "code", "id")


@dataclass
class Facets:
    """How many findings each filter value gives with the other filters as they are."""

    severity: Counter = field(default_factory=Counter)
    kind: Counter = field(default_factory=Counter)
    app_type: Counter = field(default_factory=Counter)
    host: Counter = field(default_factory=Counter)
    cluster: Counter = field(default_factory=Counter)
    total: int = 0  # the findings all the filters keep

    def matched_by_severity(self, filters: FindingFilters) -> dict[str, int]:
        """The findings every filter keeps, per severity (the page's slices)."""
        return {s: (self.severity[s] if not filters.severity or filters.severity == s else 0) for s in SEVERITIES}


def facets(filters: FindingFilters) -> Facets:
    """The counts of every filter, in one query.

    Without a text filter they are read from the counts the database keeps per severity, kind,
    application type, host and Cluster (``FindingCount``, one row per combination: about a quarter of the
    findings), each filter's counts summed in SQL over the rows the *other* filters keep: a few hundred
    counts come back, not every combination. PostgreSQL reads, for the filters that choose no host and no
    Cluster, the sums of those counts per host and per Cluster the database keeps beside them
    (``FindingFacetCount``), and otherwise the chosen host's or Cluster's counts (``kept_counts_postgresql``);
    SQLite reads ``FindingCount`` once per filter (a ``UNION ALL`` of five grouped parts); the counts are
    the same (tests compare both with counts made over the findings).

    With a text filter they are counted over the findings the text matches (found through the trigram
    indexes), grouped by the five columns in one pass and summed per filter in Python: the matches are
    read once, and their groups are no more than the matches."""
    if filters.text:
        return facets_of_groups(filters, matched_groups(filters.text))
    result = Facets()
    counts = kept_counts_postgresql(filters) if connection.vendor == "postgresql" else kept_counts(filters)
    for name, value, n in counts:
        if name in ("host", "cluster"):
            value = value or None  # FindingCount says 0 for "no host"
        elif name == "app_type":
            value = value or None
        getattr(result, name)[value] += n or 0
    result.total = result.severity[filters.severity] if filters.severity else sum(result.severity.values())
    return result


def counts_by_severity(filters: FindingFilters) -> dict[str, int]:
    """The findings the filters keep, per severity (what ``FindingsOrder`` pages over), for a list without
    the other filters' counts (the API): the kept counts summed per severity in one small query, or
    with a text filter those of ``facets`` (the matches counted). PostgreSQL reads the severity's counts
    as the page does (``kept_counts_postgresql``: the sums per host, or the chosen host's or Cluster's counts
    through their index): summing every count (9,771 at 5,000 applications, 1,073 per host) grew with the estate."""
    if filters.text:
        return facets(filters).matched_by_severity(filters)
    if connection.vendor == "postgresql":
        result = Facets()
        for _name, severity, n in kept_counts_postgresql(filters, dimensions=("severity",)):
            result.severity[severity] += n or 0
        return result.matched_by_severity(filters)
    first, *others = (rows.filter(choices_condition(filters)).values_list("severity").annotate(n=Sum("n"))
                      for rows in finding_counts.kept_rows())
    counts: Counter = Counter()
    for severity, n in first.union(*others, all=True):
        counts[severity] += n or 0
    return {s: counts[s] for s in SEVERITIES}


def kept_counts(filters: FindingFilters) -> list[tuple[str, str | int, int]]:
    """(dimension, value, count) of each filter's values from the kept counts: five grouped parts per table
    (the counts, the changes not yet folded into them; summed by the caller)."""
    parts = []
    for rows in finding_counts.kept_rows():
        for name in DIMENSIONS:
            word, whole = ((Value(""), F(COLUMNS[name])) if name in ("host", "cluster")
                           else (F(COLUMNS[name]), Value(0)))
            parts.append(rows.filter(condition(filters, without=name))
                         .annotate(dimension=Value(name), word=word, whole=whole)
                         .values_list("dimension", "word", "whole").annotate(n=Sum("n")))
    return [(name, whole if name in ("host", "cluster") else word, n)
            for name, word, whole, n in parts[0].union(*parts[1:], all=True)]


def kept_counts_postgresql(filters: FindingFilters,
                           dimensions: tuple[str, ...] = DIMENSIONS) -> list[tuple[str, str | int, int]]:
    """As ``kept_counts``, in one statement over the fewest counts that hold each filter's. With no host and
    no Cluster among the *other* chosen filters, a filter's values are summed from the counts per host
    (severity, kind, application type, host) or per Cluster (Cluster) that the database keeps beside the
    counts (``FindingFacetCount``: 1,073 and 2,299 rows at 5,000 applications, where the counts per host
    *and* Cluster are 9,771); otherwise from the counts of the chosen host or Cluster (``FindingCount``
    read through its index on either). Each source adds the changes not yet folded, and is read once:
    one grouping set per filter read from it, each summing the rows the filter's others keep (``FILTER``);
    ``GROUPING()`` says which set a row belongs to. ``dimensions``: the filters whose counts are read."""
    chosen_values = chosen(filters)
    by_source: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for name in dimensions:
        places = tuple(other for other in ("host", "cluster") if other in chosen_values and other != name)
        if places:  # the counts of that host or Cluster, read through the index (in the part's WHERE)
            source = finding_counts.kept_rows_sql()
        else:
            source = finding_counts.kept_facet_rows_sql("cluster" if name == "cluster" else "host")
        by_source.setdefault((source, places), []).append(name)
    parts, params = [], []
    for (source, _places), names in by_source.items():
        others = {name: [o for o in chosen_values if o != name] for name in names}
        common = [o for o in chosen_values if all(o in others[name] for name in names)]
        columns = [COLUMNS[name] for name in names]
        sums = []
        for name in names:
            own = [o for o in others[name] if o not in common]
            sums.append("SUM(n) FILTER (WHERE " + (" AND ".join(f"{COLUMNS[o]} = %s" for o in own) or "TRUE") + ")")
            params += [chosen_values[o] for o in own]
        where = " AND ".join(f"{COLUMNS[o]} = %s" for o in common) or "TRUE"
        params += [chosen_values[o] for o in common]
        # Each part: the dimension, its value as a word and as a whole number, the sum (a grouping set per name).
        grouping = f"GROUPING({', '.join(columns)})" if len(columns) > 1 else "0"
        picks = []
        for i, name in enumerate(names):
            bit = 1 << (len(names) - 1 - i)
            word, whole = ("''", COLUMNS[name]) if name in ("host", "cluster") else (COLUMNS[name], "0")
            picks.append((f"WHEN {grouping} & {bit} = 0 THEN", name, word, whole, sums[i]))
        select = (
            "CASE " + " ".join(f"{when} '{name}'" for when, name, *_rest in picks) + " END, "
            "CASE " + " ".join(f"{when} CAST({word} AS TEXT)" for when, _n, word, _w, _s in picks) + " END, "
            "CASE " + " ".join(f"{when} {whole}" for when, _n, _w, whole, _s in picks) + " END, "
            "CASE " + " ".join(f"{when} {total}" for when, _n, _w, _wh, total in picks) + " END")
        sets = ", ".join(f"({column})" for column in columns)
        parts.append(f"SELECT {select} FROM {source} WHERE {where} GROUP BY GROUPING SETS ({sets})")
    # Params: the FILTERs come first in each part's text (in the SELECT), then its WHERE.
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        rows = cursor.fetchall()
    return [(name, whole if name in ("host", "cluster") else word, n) for name, word, whole, n in rows]


FACET_COLUMNS = ("severity", "kind", "app_type", "host_id", "cluster_id")


def matched_groups(text: str) -> list[tuple]:
    """The findings the text matches grouped by the five columns, with their number: the union of the
    text's branches (each match once, with its id) grouped in SQL around it."""
    union = matching(FindingFilters(text=text), "id", *FACET_COLUMNS)
    sql, params = union.query.sql_with_params()
    columns = ", ".join(FACET_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns}, COUNT(*) FROM ({sql}) AS matched GROUP BY {columns}", params)
        return cursor.fetchall()


def facets_of_groups(filters: FindingFilters, groups) -> Facets:
    """The counts of every filter from findings grouped by the five columns (rows of the five and a count)."""
    wanted = {"severity": filters.severity, "kind": filters.kind, "app_type": filters.app_type,
              "host": filters.host, "cluster": filters.cluster}
    result = Facets()
    for severity, kind, app_type, host, cluster, n in groups:
        values = {"severity": severity, "kind": kind, "app_type": app_type or None, "host": host, "cluster": cluster}
        misses = [name for name in DIMENSIONS if wanted[name] not in ("", None) and values[name] != wanted[name]]
        if not misses:
            result.total += n
            for name in DIMENSIONS:
                getattr(result, name)[values[name]] += n
        elif len(misses) == 1:
            # Kept by every other filter: counts for the value of the one it misses.
            getattr(result, misses[0])[values[misses[0]]] += n
    return result


class FindingsOrder:
    """The ids of the filtered findings in the page's order, for the paginator: errors, then warnings,
    then information, each read through the index on (severity, code, id) and sliced there. The
    count per severity comes from ``Facets`` (no COUNT query)."""

    def __init__(self, filters: FindingFilters, counts: dict[str, int]):
        self.filters = filters
        self.base = Finding.objects.filter(condition(filters, without="severity"))
        self.counts = counts

    def ids(self, severity: str, start: int, stop: int) -> list[int]:
        if self.filters.text:
            # The matches of this severity, sorted among themselves (not the severity's every finding).
            rows = matching(self.filters, "code", "id", without="severity", severity=severity)
            return [pk for _code, pk in rows.order_by("code", "id")[start:stop]]
        ids = self.base.filter(severity=severity).values_list("id", flat=True)
        n = self.counts[severity]
        if start > n - stop:
            # Nearer the severity's end: its first rows backwards (the index read backwards), not an
            # OFFSET past the rest (the last page of 11,000 warnings: 19 ms then, 1 ms so).
            return list(ids.order_by("-code", "-id")[n - stop:n - start])[::-1]
        return list(ids.order_by("code", "id")[start:stop])

    def count(self) -> int:
        return sum(self.counts.values())

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[int]:
        ids: list[int] = []
        offset = 0
        for severity in SEVERITIES:
            n = self.counts[severity]
            start, stop = max(window.start - offset, 0), min(window.stop - offset, n)
            if n and start < stop:
                ids += self.ids(severity, start, stop)
            offset += n
        return ids


# The findings page counts the matches of a text up to this many; past it, it says "1,000+" and lists the
# first ones in its order (``text_search``). Counting every match per filter value read all of them: 11,000
# findings for a word of most messages at 5,000 applications, 200-300 ms a page.
TEXT_COUNT_LIMIT = 1000


def text_match(text: str) -> Q:
    """``text_branches`` as one condition: read row by row in the page's order, it lets a read stop at the
    matches it needs (the stores and applications so named are two small sets looked up once)."""
    own, store, application = text_conditions(text)
    return own | store | application


@dataclass
class TextSearch:
    """What the findings page shows for a text filter, counted up to ``TEXT_COUNT_LIMIT``.

    ``kept``: the matches every filter keeps (exact up to the limit, past it some number over it); the page
    lists the first ``listed`` of them in its order, ``page_ids`` those of the page asked for (``page_start``
    the first one's position). ``more``: there are more than the limit. ``by_severity``: the matches of each
    severity with the other filters (the chips), ``None`` for "more than the limit". ``facets``: the counts of
    every filter value, or ``None`` when the text alone matches more than the limit (the choices then show no
    numbers rather than numbers of a part)."""

    filters: FindingFilters
    kept: int
    limit: int
    page_start: int
    page_ids: list[int]
    by_severity: dict[str, int | None]
    facets: Facets | None

    @property
    def more(self) -> bool:
        return self.kept > self.limit

    @property
    def listed(self) -> int:
        return min(self.kept, self.limit)

    @property
    def total(self) -> int | None:
        return None if self.more else self.kept

    def ids(self) -> MatchedIds:
        """The listed matches as the paginator's sequence (the page asked for is already read)."""
        return MatchedIds(self)


class MatchedIds:
    """The first ``TextSearch.listed`` matches in the page's order, for the paginator: the window
    ``text_search`` read, or another one read when asked (a page number past the last: the last page)."""

    def __init__(self, search: TextSearch):
        self.search = search

    def __len__(self) -> int:
        return self.search.listed

    def count(self) -> int:
        return self.search.listed

    def __getitem__(self, window: slice) -> list[int]:
        search = self.search
        stop = min(window.stop, search.listed)
        if stop <= window.start:
            return []
        if window.start == search.page_start and stop <= search.page_start + len(search.page_ids):
            return search.page_ids[:stop - window.start]
        return list(Finding.objects.filter(text_match(search.filters.text), choices_condition(search.filters))
                    .order_by(page_rank(), "code", "id").values_list("id", flat=True)[window.start:stop])


def page_rank() -> Case:
    """The page's order of severities (errors, then warnings, then information) as a number."""
    return Case(*(When(severity=s, then=Value(i)) for i, s in enumerate(SEVERITIES)), default=Value(len(SEVERITIES)),
                output_field=IntegerField())


def text_search(filters: FindingFilters, *, page_start: int = 0, page_size: int = 50,
                limit: int | None = None) -> TextSearch:
    """The findings page's text filter in **one** statement, whatever the text matches (the page's query count
    does not depend on it), that reads each finding at most once for the text:

    - ``sample``: the text's first ``limit`` + 1 matches in a plain scan of the findings (``text_match``),
      with their five filter columns, their place in the page's order and whether the other filters keep
      them; they come back grouped by the five columns, with the page's window of those the other filters
      keep. A text matching no more than the limit is then known entirely: its counts per filter value
      (``facets_of_groups``), its matches per severity, the page's ids. A rarer text costs one scan of the
      findings, a frequent one stops at ``limit`` + 1 matches.
    - ``ordered``: only when the sample is full (PostgreSQL skips the part otherwise: a one-time filter on
      the sample's count), the first ``limit`` + 1 matches of each severity that every other filter keeps:
      the chips' counts ("1,000+" past the limit) and the page's ids. A severity whose matches can be listed
      (``listed_severity``) is read in the page's order through the index on (severity, code, id), stopping
      there; one whose matches cannot (another severity is chosen, or the severities before it already
      hold ``limit`` matches) is only counted, in any order, stopping at ``limit`` + 1 matches. Read in the
      page's order, the warnings' 1,001st match for ``trust`` at 5,000 applications was their 11,623rd
      row (the codes that come first match nothing): 14 ms of the statement's 20, for a count; in any order
      it is about their 5,500th (4 ms).

    Before (3 December), these were three reads through the index and a scan for the counts, each of a
    rare text (``expire``: 3,529 of 41,279 findings at 5,000 applications) going through most findings."""
    limit = TEXT_COUNT_LIMIT if limit is None else limit
    others = choices_condition(filters)
    sample = (Finding.objects.filter(text_match(filters.text)).order_by()
              .annotate(page_rank=page_rank(),
                        kept=Case(When(others, then=Value(1)), default=Value(0), output_field=IntegerField())
                        if others else Value(1, output_field=IntegerField()))
              .values_list("id", "code", *FACET_COLUMNS, "page_rank", "kept")[:limit + 1])
    sample_sql, sample_params = sample.query.sql_with_params()
    severities_sql, severities_params = severity_parts_sql(filters, limit)
    columns = ", ".join(FACET_COLUMNS)
    start = max(0, min(page_start, limit))
    window = max(0, min(page_size, limit - start))
    blank = "'', '', '', CAST(NULL AS INTEGER), CAST(NULL AS INTEGER)"
    ordered = " UNION ALL ".join(f"SELECT * FROM severity{i}" for i in range(len(SEVERITIES)))
    past_the_limit = "(SELECT COUNT(*) FROM sample) > %s"
    statement = (
        f"WITH sample (id, code, {columns}, page_rank, kept) AS ({sample_sql}), {severities_sql}, "
        f"ordered AS ({ordered}) "
        # The sample's matches grouped by the five columns (the counts when the sample holds every match)...
        f"SELECT 0, COUNT(*), NULL, NULL, NULL, {columns}, 1 FROM sample GROUP BY {columns} "
        # ... the page's window of them in the page's order ...
        f"UNION ALL SELECT * FROM (SELECT 1, 1, page_rank, code, id, {blank}, 1 FROM sample WHERE kept = 1 "
        "ORDER BY page_rank, code, id LIMIT %s OFFSET %s) AS page "
        # ... and past the limit, each severity's first matches counted (up to limit + 1) ...
        f"UNION ALL SELECT 2, COUNT(*), NULL, NULL, NULL, severity, '', '', CAST(NULL AS INTEGER), "
        f"CAST(NULL AS INTEGER), 1 FROM ordered WHERE {past_the_limit} GROUP BY severity "
        # ... with the page's window of those that can be listed, in the page's order: a few rows back, not
        # each severity's 1,001 (parsing and sorting those was 3-5 ms of the page).
        f"UNION ALL SELECT * FROM (SELECT 3, 1, page_rank, code, id, {blank}, 1 FROM ordered "
        f"WHERE listed AND {past_the_limit} ORDER BY page_rank, code, id LIMIT %s OFFSET %s) AS listed_page")
    params = [*sample_params, *severities_params, window, start, limit, limit, window, start]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        rows = cursor.fetchall()
    groups = [(*row[5:10], row[1]) for row in rows if row[0] == 0]
    if sum(n for *_key, n in groups) <= limit:
        counted = facets_of_groups(filters, groups)
        kept = counted.total
        by_severity = {s: counted.severity[s] for s in SEVERITIES}
        page = sorted(row[2:5] for row in rows if row[0] == 1)
    else:  # more matches than counted: the counts of other filters' values would be of a part, none is shown
        counted = None
        per_severity = Counter({row[5]: row[1] for row in rows if row[0] == 2})
        by_severity = {s: (per_severity[s] if per_severity[s] <= limit else None) for s in SEVERITIES}
        kept = sum(n for s, n in per_severity.items() if not filters.severity or s == filters.severity)
        page = sorted(row[2:5] for row in rows if row[0] == 3)
    return TextSearch(filters=filters, kept=kept, limit=limit, page_start=start,
                      page_ids=[pk for _rank, _code, pk in page], by_severity=by_severity, facets=counted)


def listed_severity(filters: FindingFilters, index: int, limit: int) -> str:
    """Whether the matches of ``SEVERITIES[index]`` can be among the first ``limit`` the page lists, as a
    condition in SQL over the severity parts before it (``severity0`` ...): with a severity chosen, only that
    one's are listed; without, a severity's are listed until those before it hold ``limit``."""
    if filters.severity:
        return "TRUE" if SEVERITIES[index] == filters.severity else "FALSE"
    if index == 0:
        return "TRUE"
    before = " + ".join(f"(SELECT COUNT(*) FROM severity{i})" for i in range(index))
    return f"{before} < {int(limit)}"


def severity_parts_sql(filters: FindingFilters, limit: int) -> tuple[str, list]:
    """``text_search``'s severity parts as common table expressions ``severity0`` ... (one per severity, in the
    page's order): up to ``limit`` + 1 matches of the severity that every other filter keeps, ``listed`` when
    read in the page's order (the severity's matches can be listed), not when only counted (any order: the
    read stops at the first ``limit`` + 1 matches wherever they are). PostgreSQL runs one of the two reads
    (one-time filters on ``listed_severity``)."""
    # One queryset compiled, each severity's two reads written around it (PostgreSQL flattens the subquery: the
    # read in the page's order still goes through the index on (severity, code, id)). Six compiled querysets
    # were 3.3 ms of each text search.
    matches = (Finding.objects.filter(text_match(filters.text), choices_condition(filters, without="severity"))
               .annotate(page_rank=page_rank()).order_by().values_list("id", "code", "severity", "page_rank"))
    matches_sql, matches_params = matches.query.sql_with_params()
    of_severity = f"SELECT * FROM ({matches_sql}) AS matches WHERE severity = %s"
    parts, params = [], []
    for index, severity in enumerate(SEVERITIES):
        listed = listed_severity(filters, index, limit)
        parts.append(f"severity{index} (id, code, severity, page_rank, listed) AS ("
                     f"SELECT *, TRUE FROM ({of_severity} ORDER BY code, id LIMIT %s) AS in_order WHERE {listed} "
                     f"UNION ALL SELECT *, FALSE FROM ({of_severity} LIMIT %s) AS counted WHERE NOT ({listed}))")
        params += [*matches_params, severity, limit + 1, *matches_params, severity, limit + 1]
    return ", ".join(parts), params


class FindingData(NamedTuple):
    """A finding as its row shows it: its own columns (the application type and host are those it was
    written with, as its filters read them) and its host's name. Plain values, not a model instance with
    its related instances: a page's 50 rows were 350 instances to build (2.5 ms)."""

    id: int
    subject: str
    code: str
    severity: str
    message: str
    hint: str
    app_type: str
    host_id: int | None
    cluster_id: int | None
    store_id: int | None
    application_id: int | None
    connection_id: int | None
    host_name: str | None

    @property
    def pk(self) -> int:
        return self.id


@dataclass
class FindingRow:
    finding: FindingData
    kind: str
    object_name: str
    url: str

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)


def name_of(model, key: str) -> Subquery:
    return Subquery(model.objects.filter(pk=OuterRef(key)).values("name"))


def row_names() -> dict[str, Subquery]:
    """The names a row shows, each looked up by its id for each of the page's findings (an index read each).
    As joins, PostgreSQL hashed every application (5,012 at 5,000 applications: 2 of the query's 2.7 ms)
    for the 50 findings of a page."""
    return {"host_name": name_of(Host, "host_id"), "store_name": name_of(TrustedStore, "store_id"),
            "application_name": name_of(Application, "application_id"),
            "client_name": name_of(Application, "connection__client_id"),
            "server_name": name_of(Application, "connection__port__application_id")}


ROW_VALUES = (
    *FindingData._fields[:-1], "host_name",
    "store_name", "application_name", "connection__client_id", "client_name",
    "connection__port__port_id", "server_name",
)


def rows_for(ids: list[int]) -> list[FindingRow]:
    """The rows of these findings (ids in the page's order), their objects' names in one query."""
    # No ids: still one query (Django makes none for an empty IN), so that a page's query count does not
    # depend on whether anything matched.
    values = (Finding.objects.filter(Q(pk__in=ids) if ids else Q(pk__isnull=True))
              .order_by().annotate(**row_names()).values_list(*ROW_VALUES))
    loaded = {row[0]: row for row in values}
    ordered = [loaded[pk] for pk in ids if pk in loaded]
    store_url, app_url, connections_url = (url_for_ids(name) for name in (
        "security:store_detail", "applications:detail", "applications:connections"))
    width = len(FindingData._fields)
    rows = []
    for values in ordered:
        f = FindingData(*values[:width])
        store_name, app_name, client_id, client_name, port_id, server_name = values[width:]
        kind = f.subject.split(":", 1)[0]
        if f.store_id:
            rows.append(FindingRow(f, kind, store_name, store_url(f.store_id)))
        elif f.application_id:
            rows.append(FindingRow(f, kind, app_name, app_url(f.application_id)))
        elif f.connection_id:
            rows.append(FindingRow(f, kind, f"{client_name} → {server_name}:{port_id}", connections_url(client_id)))
        else:
            rows.append(FindingRow(f, kind, f.subject, ""))
    return rows


CSV_HEADER = ["severity", "object kind", "object", "application type", "host", "message", "fix", "code"]


def csv_row(row: FindingRow) -> list[str]:
    """The application type and host are those of the application the finding is about, or of a connection's
    client (the finding's own columns, as the filters read them); none for a store."""
    f = row.finding
    about_an_application = bool(f.application_id or f.connection_id)
    return [csv_cell(v) for v in (
        f.severity, row.kind_label, row.object_name,
        APP_TYPE_LABELS.get(f.app_type, f.app_type) if about_an_application and f.app_type else "",
        (f.host_name or "") if about_an_application else "", f.message, f.hint, f.code,
    )]
