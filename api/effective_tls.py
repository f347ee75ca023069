"""A host's options (read, and changes through ``host_options_apply`` as the host page saves them) and
the effective TLS of a connection or a port (``security.effective_tls``, as the pages show it).

The host options' ETag is the host's options revision, which every write of them moves: ``"<revision>"``.
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.concurrency import etag
from api.options import OptionsWrite, invalid_options, revision_from
from api.schema import IF_MATCH
from applications.host_options import host_options_apply
from applications.models import Application, Connection, Host, Port
from applications.options import OptionChange, OptionsInvalid
from security.effective_tls import PARAMETERS, effective_client_tls, effective_port_tls


class HostOptionSerializer(serializers.Serializer):
    section = serializers.CharField()
    name = serializers.CharField()
    value = serializers.CharField()


class HostOptionsSerializer(serializers.Serializer):
    host = serializers.IntegerField()
    revision = serializers.IntegerField()
    options = HostOptionSerializer(many=True)


def host_options_body(host: Host) -> dict:
    return {"host": host.pk, "revision": host.options_revision, "options": [
        {"section": s, "name": n, "value": v}
        for s, n, v in host.options.order_by("section", "name").values_list("section", "name", "value")]}


class HostOptionsView(APIView):
    @extend_schema(responses={200: HostOptionsSerializer})
    def get(self, request, pk):
        host = get_object_or_404(Host, pk=pk)
        response = Response(host_options_body(host))
        response["ETag"] = etag(str(host.options_revision))
        return response

    @extend_schema(request=OptionsWrite, parameters=[IF_MATCH], responses={200: HostOptionsSerializer})
    def patch(self, request, pk):
        """Set (or, with ``value: null``, remove) options of the host, all or nothing, as the host page
        saves: the same validation, ``[security]`` for a Security officer only, no secrets, audited.
        If-Match: the ETag read (the options revision); 412 when they changed since."""
        host = get_object_or_404(Host, pk=pk)
        sent = OptionsWrite(data=request.data)
        sent.is_valid(raise_exception=True)
        changes = [OptionChange(c["section"], c["name"], c["value"]) for c in sent.validated_data["changes"]]
        try:
            host_options_apply(host=host, changes=changes, actor=request.user, expected_revision=revision_from(request),
                               note=sent.validated_data.get("note", "").strip())
        except OptionsInvalid as invalid:
            raise invalid_options(invalid) from None
        host.refresh_from_db()
        response = Response(host_options_body(host))
        response["ETag"] = etag(str(host.options_revision))
        return response


class SourceSerializer(serializers.Serializer):
    value = serializers.CharField()
    source = serializers.ChoiceField(choices=["connection", "application", "host", "port"])
    object = serializers.CharField()
    edit_url = serializers.CharField(help_text="The page where it is edited.")


class EffectiveParameterSerializer(serializers.Serializer):
    value = serializers.CharField(allow_null=True, help_text="null: set nowhere.")
    source = serializers.ChoiceField(choices=["connection", "application", "host", "port"], allow_null=True,
                                     help_text="The level it comes from (null: set nowhere).")
    object = serializers.CharField(allow_null=True, help_text="The object of that level, e.g. the host's name.")
    edit_url = serializers.CharField(allow_null=True)
    overridden = SourceSerializer(many=True, help_text="The lower levels' values it overrides, in order.")


class EffectiveTlsSerializer(serializers.Serializer):
    side = serializers.ChoiceField(choices=["client", "server"])
    parameters = serializers.DictField(child=EffectiveParameterSerializer(),
                                       help_text=f"Every parameter: {', '.join(PARAMETERS)}.")


class ConnectionEffectiveTlsView(APIView):
    @extend_schema(responses={200: EffectiveTlsSerializer},
                   parameters=[OpenApiParameter("runner", int, description=(
                       "For a Cluster client: the id of the Node whose section and host to read (each Node may "
                       "resolve the connection differently); default the first Node by name."))],
                   description="The client side of the connection: its transport parameters, then the client "
                               "application's security section, its host's, then the target port's; tls and "
                               "tls-mutual from the port only.")
    def get(self, request, pk):
        connection = get_object_or_404(Connection.objects.only("pk", "client_id"), pk=pk)
        runner = request.query_params.get("runner")
        if runner is not None and not (runner.isdigit() and Application.objects.filter(
                pk=int(runner), cluster_id=connection.client_id).exists()):
            raise serializers.ValidationError({"runner": ["not the id of a Node of the connection's Cluster client"]})
        return Response(effective_client_tls(connection, runner=int(runner) if runner else None).as_json())


class PortEffectiveTlsView(APIView):
    @extend_schema(responses={200: EffectiveTlsSerializer},
                   description="The server side of the port: its transport parameters, then the server "
                               "application's security section, then its host's.")
    def get(self, request, pk):
        port = get_object_or_404(Port.objects.only("pk"), pk=pk)
        return Response(effective_port_tls(port).as_json())
