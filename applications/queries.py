"""Read-side helpers shared by views: the querysets pages list, with what they need joined in."""

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet

from applications.health import only_not_ready, worst_first
from applications.models import Application, Host, PendingRestartChange
from applications.sorting import Column, Sorting


def with_restart_flag(qs: QuerySet[Application]) -> QuerySet[Application]:
    return qs.annotate(restart_required=Exists(PendingRestartChange.objects.filter(application=OuterRef("pk"))))


def applications_with_flags() -> QuerySet[Application]:
    """Applications with host, cluster and backup server joined and the restart flag as one subquery."""
    return with_restart_flag(Application.objects.select_related("host", "cluster", "backup_server"))


def application_page(filters: dict | None, sorting: Sorting, number, size: int) -> Page:
    """A page of the applications list: the ids of the page first, from the filtered and sorted
    applications alone (no join but what a filter or the order needs), then those 50 applications with
    everything the list shows. Joining the host, the cluster and the restart flag of every matching
    application before keeping 50 was what made a search grow with the estate."""
    ids = with_restart_flag(Application.objects.all())
    if filters is not None:
        ids = filter_applications(ids, filters)
    page = Paginator(sorting.apply(ids).values_list("pk", flat=True), size).get_page(number)
    wanted = list(page.object_list)
    loaded = applications_with_flags().in_bulk(wanted)
    page.object_list = [loaded[pk] for pk in wanted if pk in loaded]
    return page


class CountedApart:
    """A sorted list for ``Paginator`` whose number of rows is counted on the same rows unsorted. Django
    counts a queryset annotated for its order (the hosts worst first: an aggregate over every host's
    applications) by computing that aggregate again inside the count; the number of rows does not depend
    on the order."""

    def __init__(self, rows: QuerySet, unsorted: QuerySet):
        self.rows, self.unsorted = rows, unsorted

    def count(self) -> int:
        return self.unsorted.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window):
        return self.rows[window]


def restart_required_count() -> int:
    return Application.objects.filter(
        Exists(PendingRestartChange.objects.filter(application=OuterRef("pk")))
    ).count()


def application_columns() -> list[Column]:
    """The columns of the applications list and the order each sorts by (``applications.sorting``).
    TLS sorts worst first through the health registry (the order belongs to the security app)."""
    return [
        Column("name", "Name", ["name"]),
        Column("type", "Type", ["app_type", "name"]),
        Column("version", "Version", ["version_key", "name"]),
        # Applications without a host (or cluster) last, on SQLite and PostgreSQL alike, both ways.
        Column("host", "Host", [F("host__name").asc(nulls_last=True), "name"]),
        Column("cluster", "Cluster", [F("cluster__name").asc(nulls_last=True), "name"]),
        Column("tls", "TLS", worst_first("application")[1], annotate=worst_first("application")[0]),
        Column("enabled", "Enabled", ["-enabled", "name"]),
        Column("status", "Status", ["-restart_required", F("checks_requested_at").desc(nulls_last=True), "name"]),
    ]


def host_columns() -> list[Column]:
    return [
        Column("name", "Name", ["name"]),
        Column("address", "Address", ["address", "name"]),
        Column("os", "Operating system", ["os_type", "name"]),
        Column("applications", "Applications", ["application_count", "name"],
               annotate={"application_count": Count("applications")}),
        Column("tls", "TLS of its applications", worst_first("host")[1], annotate=worst_first("host")[0]),
    ]


def application_counts(hosts: list[Host]) -> dict[int, int]:
    """The number of applications of each host of a page, in one query."""
    # By id: the page's hosts as a subquery would sort every host again (worst first: an aggregate).
    return dict(Application.objects.filter(host__in=[host.pk for host in hosts]).order_by().values("host").annotate(
        n=Count("pk")).values_list("host", "n"))


def text_condition(text: str) -> Q:
    """The applications whose name or version holds ``text``, or whose host is named so: the union of
    two id sets, each found through its own indexes (PostgreSQL: trigram indexes on the names and the
    version, migration ``0013_application_text_search_indexes``), not one condition over the applications
    joined to their hosts, which could only be answered by reading every application."""
    applications = Application.objects.order_by()
    own = applications.filter(Q(name__icontains=text) | Q(version__icontains=text))
    by_host = applications.filter(host__in=Host.objects.order_by().filter(name__icontains=text).values("pk"))
    return Q(pk__in=own.values("pk").union(by_host.values("pk")))


def filter_applications(qs: QuerySet[Application], data: dict) -> QuerySet[Application]:
    from applications.versions import version_key

    if data.get("q"):
        qs = qs.filter(text_condition(data["q"]))
    if data.get("app_type"):
        qs = qs.filter(app_type=data["app_type"])
    if data.get("host"):
        qs = qs.filter(host=data["host"])
    if data.get("version"):
        op, text = data["version"]
        key = version_key(text)
        lookups = {"=": "version_key", ">=": "version_key__gte", "<=": "version_key__lte", ">": "version_key__gt",
                   "<": "version_key__lt"}
        if op == "=" and text.count(".") < 3:
            # "8.5.003" matches 8.5.003.xx: compare the given parts only.
            width = len(key.split(".")[0]) + 1
            qs = qs.filter(version_key__startswith=key[: width * (text.count(".") + 1) - 1])
        else:
            qs = qs.filter(**{lookups[op]: key})
    if data.get("restart"):
        qs = qs.filter(restart_required=True)
    if data.get("not_ready"):
        qs = only_not_ready(qs)
    return qs


def type_counts() -> dict[str, int]:
    # COUNT(*), not of the ids: the index on the type answers it alone (no read of the applications' rows).
    return dict(Application.objects.values_list("app_type").annotate(n=Count("*")).values_list("app_type", "n"))
