"""Read-side helpers shared by views: the querysets pages list, with what they need joined in."""

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet

from applications.models import Application, PendingRestartChange


def applications_with_flags() -> QuerySet[Application]:
    """Applications with host and cluster joined and the restart flag as one subquery."""
    return Application.objects.select_related("host", "cluster").annotate(
        restart_required=Exists(PendingRestartChange.objects.filter(application=OuterRef("pk"))),
    )


def restart_required_count() -> int:
    return Application.objects.filter(
        Exists(PendingRestartChange.objects.filter(application=OuterRef("pk")))
    ).count()


SORTS = {
    "name": ["name"],
    "-name": ["-name"],
    "type": ["app_type", "name"],
    "version": ["version_key", "name"],
    "-version": ["-version_key", "name"],
    # Applications without a host last, on SQLite and PostgreSQL alike.
    "host": [F("host__name").asc(nulls_last=True), "name"],
}


def filter_applications(qs: QuerySet[Application], data: dict) -> QuerySet[Application]:
    from applications.versions import version_key

    if data.get("q"):
        text = data["q"]
        qs = qs.filter(Q(name__icontains=text) | Q(host__name__icontains=text) | Q(version__icontains=text))
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
        from applications.health import only_not_ready

        qs = only_not_ready(qs)
    return qs.order_by(*SORTS.get(data.get("sort") or "name", ["name"]))


def type_counts() -> dict[str, int]:
    return dict(Application.objects.values_list("app_type").annotate(n=Count("id")).values_list("app_type", "n"))
