"""Ports (an application's Server Info tab) and connections (its Connections tab), written through
their forms and ``applications.services`` as the tabs write them."""

import django_filters
from django.db.models import Count
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers

from api.filters import IdFilter, StrictBooleanFilter
from api.forms import StrictIntegerField, serializer_for_form
from api.pagination import FromTheNearerEnd
from api.resources import FormBackedViewSet
from api.schema import IF_MATCH
from applications.forms import ConnectionForm, PortForm
from applications.models import Application, Connection, Port, Protocol


class PortSerializer(serializers.ModelSerializer):
    application_name = serializers.CharField(source="application.name", read_only=True)
    connection_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Port
        fields = ["id", "application", "application_name", "port_id", "number", "mode", "transport_params",
                  "secured", "mutual_tls", "connection_count"]
        read_only_fields = fields


PortWrite = serializer_for_form(PortForm, "PortWrite", application=Application())
PortCreate = type("PortCreate", (PortWrite,), {
    "application": StrictIntegerField(min_value=1, help_text="The server application that owns the port.")})


class PortFilter(django_filters.FilterSet):
    application = IdFilter(field_name="application_id")
    secured = StrictBooleanFilter(field_name="secured")

    class Meta:
        model = Port
        fields = ["application", "secured"]


def application_named_in(sent: dict, key: str) -> Application:
    return get_object_or_404(Application, pk=sent.pop(key))


@extend_schema_view(
    create=extend_schema(request=PortCreate, responses={201: PortSerializer}),
    update=extend_schema(request=PortWrite, parameters=[IF_MATCH], responses={200: PortSerializer}),
    partial_update=extend_schema(request=PortWrite, parameters=[IF_MATCH], responses={200: PortSerializer}),
    destroy=extend_schema(parameters=[IF_MATCH], responses={204: None}),
)
class PortViewSet(FormBackedViewSet):
    """Deleting a port takes the connections through it along, as in the browser."""

    serializer_class = PortSerializer
    filterset_class = PortFilter
    queryset = (Port.objects.select_related("application").annotate(connection_count=Count("connections"))
                .order_by("application__name", "port_id", "id"))
    form_class = PortForm
    detail_route = "api:port-detail"

    @property
    def write_serializer(self):
        return PortCreate if self.action == "create" else PortWrite

    def new_instance(self, sent: dict):
        return Port(application=application_named_in(sent, "application"))

    def form_kwargs(self, instance, sent: dict) -> dict:
        return {"application": instance.application}

    def bound_data(self, instance, sent: dict, form_class=None) -> dict:
        # The TLS boxes are not columns (they write tls / tls-mutual): a PATCH that leaves them out
        # leaves them as the port is.
        current = {} if instance is None else {"secured": instance.secured, "mutual_tls": instance.mutual_tls}
        return {**current, **super().bound_data(instance, sent, form_class)}


class ConnectionSerializer(serializers.ModelSerializer):
    client_name = serializers.CharField(source="client.name", read_only=True)
    server = serializers.IntegerField(source="port.application_id", read_only=True)
    server_name = serializers.CharField(source="port.application.name", read_only=True)
    port_id = serializers.CharField(source="port.port_id", read_only=True)
    secure = serializers.BooleanField(source="port.secured", read_only=True,
                                      help_text="A connection is secure exactly when its port is secured.")

    class Meta:
        model = Connection
        fields = ["id", "client", "client_name", "server", "server_name", "port", "port_id", "secure", "protocol",
                  "addp_local_timeout", "addp_remote_timeout", "addp_trace", "transport_params", "created_at"]
        read_only_fields = fields


ConnectionWrite = serializer_for_form(ConnectionForm, "ConnectionWrite", client=Application())
ConnectionCreate = type("ConnectionCreate", (ConnectionWrite,), {
    "client": StrictIntegerField(min_value=1, help_text="The client application that holds the connection.")})


class ConnectionFilter(django_filters.FilterSet):
    client = IdFilter(field_name="client_id")
    server = IdFilter(field_name="port__application_id")
    protocol = django_filters.ChoiceFilter(choices=Protocol.choices)

    class Meta:
        model = Connection
        fields = ["client", "server", "protocol"]


@extend_schema_view(
    create=extend_schema(request=ConnectionCreate, responses={201: ConnectionSerializer}),
    update=extend_schema(request=ConnectionWrite, parameters=[IF_MATCH], responses={200: ConnectionSerializer}),
    partial_update=extend_schema(request=ConnectionWrite, parameters=[IF_MATCH],
                                 responses={200: ConnectionSerializer}),
    destroy=extend_schema(parameters=[IF_MATCH], responses={204: None}),
)
class ConnectionViewSet(FormBackedViewSet):
    serializer_class = ConnectionSerializer
    filterset_class = ConnectionFilter
    queryset = Connection.objects.select_related("client", "port__application").order_by("client__name", "id")
    form_class = ConnectionForm
    detail_route = "api:connection-detail"

    def list(self, request, *args, **kwargs):
        # 20,000 connections at 5,000 applications: sorted by the client's name, a page is found by id.
        page = self.paginate_queryset(FromTheNearerEnd(self.filter_queryset(self.get_queryset())))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @property
    def write_serializer(self):
        return ConnectionCreate if self.action == "create" else ConnectionWrite

    def new_instance(self, sent: dict):
        return Connection(client=application_named_in(sent, "client"))

    def form_kwargs(self, instance, sent: dict) -> dict:
        return {"client": instance.client}

    def bound_data(self, instance, sent: dict, form_class=None) -> dict:
        current = {} if instance is None else {"server": instance.port.application_id,
                                               "port_id": instance.port.port_id}
        return {**current, **super().bound_data(instance, sent, form_class)}
