"""Hosts: the pattern every resource follows (see api/__init__.py): a read serializer, the write
serializer from the browser's form, a FilterSet, and ``FormBackedViewSet`` for the writes."""

import django_filters
from django.db.models import Count
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers

from api.forms import serializer_for_form
from api.resources import FormBackedViewSet
from api.schema import IF_MATCH
from applications.forms import HostForm
from applications.models import Host, OperatingSystem


class HostSerializer(serializers.ModelSerializer):
    application_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Host
        fields = ["id", "name", "address", "os_type", "description", "application_count", "created_at",
                  "updated_at"]
        read_only_fields = fields


HostWrite = serializer_for_form(HostForm, "HostWrite")


class HostFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains", help_text="Part of the name (any case).")
    address = django_filters.CharFilter(lookup_expr="icontains")
    os_type = django_filters.ChoiceFilter(choices=OperatingSystem.choices)

    class Meta:
        model = Host
        fields = ["name", "address", "os_type"]


@extend_schema_view(
    create=extend_schema(request=HostWrite, responses={201: HostSerializer}),
    update=extend_schema(request=HostWrite, parameters=[IF_MATCH], responses={200: HostSerializer}),
    partial_update=extend_schema(request=HostWrite, parameters=[IF_MATCH], responses={200: HostSerializer}),
    destroy=extend_schema(parameters=[IF_MATCH], responses={204: None}),
)
class HostViewSet(FormBackedViewSet):
    """Hosts, written through the host form and ``applications.services`` as in the browser."""

    serializer_class = HostSerializer
    filterset_class = HostFilter
    queryset = Host.objects.annotate(application_count=Count("applications")).order_by("name", "id")
    form_class = HostForm
    write_serializer = HostWrite
    detail_route = "api:host-detail"
