"""Live TLS probes: start one for a connection or for all, read the results (``security.probe``)."""

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.response import Response

from api.filters import ID_PATTERN, IdFilter
from api.forms import StrictIntegerField
from api.problems import QueueUnavailable
from applications.models import Connection
from security.models import ProbeOutcome, ProbeResult
from security.probe import enqueue_probes, probe_refusal, probeable_connections


class ProbeResultSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProbeResult
        fields = ["id", "connection", "at", "host", "port_id", "port_number", "outcome", "detail", "provider",
                  "store", "store_name", "store_digest", "used_by", "chain_pem", "duration_ms", "host_checked"]
        read_only_fields = fields


class ProbeRequest(serializers.Serializer):
    connection = StrictIntegerField(required=False, allow_null=True, min_value=1, max_value=2**31 - 1,
                                    help_text="The connection to probe (its id); none or null: every connection "
                                              "through a secure port.")


class Refused(serializers.Serializer):
    connection = serializers.IntegerField()
    reason = serializers.CharField()


class ProbeStarted(serializers.Serializer):
    requested = serializers.ListField(child=serializers.IntegerField(), help_text="The connections probed (their "
                                                                                  "results follow in /probes/).")
    refused = Refused(many=True, help_text="Connections that cannot be probed, and why.")


class ProbeFilter(django_filters.FilterSet):
    connection = IdFilter(field_name="connection_id")
    outcome = django_filters.ChoiceFilter(choices=ProbeOutcome.choices)

    class Meta:
        model = ProbeResult
        fields = ["connection", "outcome"]


@extend_schema_view(
    create=extend_schema(request=ProbeRequest, responses={
        202: ProbeStarted, 503: OpenApiResponse(description="The task queue could not be reached.")},
        description="Probe a connection (or every connection through a secure port) with the trusted store of "
                    "the applications that run it, as the browser's Probe button. A Security officer only."),
)
class ProbeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                   viewsets.GenericViewSet):
    """Probe results, newest first. A Viewer reads; a Security officer probes."""

    lookup_value_regex = ID_PATTERN  # a number that is no id is no route (404)

    serializer_class = ProbeResultSerializer
    filterset_class = ProbeFilter
    queryset = ProbeResult.objects.order_by("-at", "-id")

    def create(self, request, *args, **kwargs):
        sent = ProbeRequest(data=request.data)
        sent.is_valid(raise_exception=True)
        wanted = sent.validated_data.get("connection")
        connections = Connection.objects.select_related("client", "port__application__host")
        if wanted is not None:
            connection = connections.filter(pk=wanted).first()
            if connection is None:
                raise serializers.ValidationError({"connection": ["No such connection."]})
            refusal = probe_refusal(connection)
            if refusal:
                raise serializers.ValidationError({"connection": [f"Not probed: {refusal}"]})
            candidates = [connection]
        else:
            candidates = list(connections.filter(pk__in=probeable_connections()))
        requested, refused = [], []
        for connection in candidates:
            refusal = probe_refusal(connection)
            if refusal:
                refused.append({"connection": connection.pk, "reason": refusal})
            else:
                requested.append(connection.pk)
        # One task for them all: one handshake per endpoint, PROBE_CONCURRENCY at once.
        if requested and not enqueue_probes(requested):
            raise QueueUnavailable()
        return Response(ProbeStarted({"requested": requested, "refused": refused}).data, status=202)
