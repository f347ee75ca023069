"""Findings: what the checks stored, with the filters of the findings page (``security.findings``)."""

import django_filters
from django_filters import utils
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from api.filters import ID_PATTERN, IdFilter
from applications.models import AppType
from security.findings import (
    KINDS,
    SEVERITIES,
    FindingFilters,
    FindingsOrder,
    counts_by_severity,
    findings_queryset,
    rows_for,
)
from security.models import Finding


class FindingSerializer(serializers.Serializer):
    """A row of the findings page: the finding and the object it is about."""

    id = serializers.IntegerField(source="finding.id")
    severity = serializers.CharField(source="finding.severity")
    code = serializers.CharField(source="finding.code")
    message = serializers.CharField(source="finding.message")
    hint = serializers.CharField(source="finding.hint", help_text="How to fix it.")
    subject = serializers.CharField(source="finding.subject", help_text="store:ID, application:ID or "
                                                                        "connection:ID")
    kind = serializers.CharField(help_text="store, application or connection")
    object_name = serializers.CharField()
    app_type = serializers.CharField(source="finding.app_type")
    host = serializers.IntegerField(source="finding.host_id", allow_null=True)
    cluster = serializers.IntegerField(source="finding.cluster_id", allow_null=True)
    store = serializers.IntegerField(source="finding.store_id", allow_null=True)
    application = serializers.IntegerField(source="finding.application_id", allow_null=True)
    connection = serializers.IntegerField(source="finding.connection_id", allow_null=True)


class FindingFilter(django_filters.FilterSet):
    """The findings page's filters; they make one ``FindingFilters`` for ``findings_queryset``."""

    severity = django_filters.ChoiceFilter(choices=[(s, s) for s in SEVERITIES], method="kept")
    kind = django_filters.ChoiceFilter(choices=list(KINDS.items()), method="kept")
    app_type = django_filters.ChoiceFilter(choices=AppType.choices, method="kept",
                                           help_text="Of the application, or of a connection's client.")
    host = IdFilter(method="kept", help_text="A host's id.")
    cluster = IdFilter(method="kept", help_text="A Cluster's id: the Cluster and its Nodes.")
    q = django_filters.CharFilter(method="kept", max_length=200, help_text="Text in the message, fix, code, or the "
                                                                           "store's or application's name.")

    class Meta:
        model = Finding
        fields = ["severity", "kind", "app_type", "host", "cluster", "q"]

    def kept(self, queryset, name, value):
        return queryset  # applied together in filter_queryset

    def findings_filters(self) -> FindingFilters:
        data = self.form.cleaned_data
        return FindingFilters(severity=data.get("severity") or "", kind=data.get("kind") or "",
                              app_type=data.get("app_type") or "", host=data.get("host"),
                              cluster=data.get("cluster"), text=(data.get("q") or "").strip())

    def filter_queryset(self, queryset):
        return findings_queryset(self.findings_filters())


class FindingViewSet(viewsets.ReadOnlyModelViewSet):
    """Every finding, errors first (then warnings, then information; by code). A Viewer reads."""

    lookup_value_regex = ID_PATTERN  # a number that is no id is no route (404)

    serializer_class = FindingSerializer
    filterset_class = FindingFilter
    queryset = Finding.objects.all()

    def list(self, request, *args, **kwargs):
        # As the findings page: the count per severity from the kept counts (no COUNT over the findings),
        # each severity's ids read through the index on (severity, code, id) (no sort of every finding).
        filterset = self.filterset_class(request.query_params, queryset=self.get_queryset(), request=request)
        if not filterset.is_valid():
            raise utils.translate_validation(filterset.errors)
        filters = filterset.findings_filters()
        ids = self.paginate_queryset(FindingsOrder(filters, counts_by_severity(filters)))
        return self.get_paginated_response(FindingSerializer(rows_for(list(ids)), many=True).data)

    @extend_schema(responses={200: FindingSerializer})
    def retrieve(self, request, *args, **kwargs):
        return Response(FindingSerializer(rows_for([self.get_object().pk])[0]).data)
