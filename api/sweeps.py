"""Validation sweeps: start one ("Validate now"), follow its state and progress (``security.sweeps``)."""

import django_filters
from django.db.models import Count
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.response import Response

from api.filters import ID_PATTERN
from api.problems import QueueUnavailable
from security import sweeps
from security.models import Sweep, SweepStatus


class SweepSerializer(serializers.Serializer):
    """A sweep and its progress (``sweeps.sweep_progress``, as the browser's progress bar)."""

    id = serializers.IntegerField(source="sweep.pk")
    status = serializers.ChoiceField(source="sweep.status", choices=SweepStatus.choices)
    trigger = serializers.CharField(source="sweep.trigger", help_text="beat, ui (also the API) or command")
    requested_by = serializers.CharField(source="sweep.requested_by_name")
    created_at = serializers.DateTimeField(source="sweep.created_at")
    started_at = serializers.DateTimeField(source="sweep.started_at", allow_null=True)
    finished_at = serializers.DateTimeField(source="sweep.finished_at", allow_null=True)
    finished = serializers.BooleanField(source="sweep.finished", help_text="done or failed")
    done = serializers.IntegerField(help_text="Objects validated so far.")
    total = serializers.IntegerField(help_text="Objects to validate (stores, then applications).")
    percent = serializers.IntegerField()
    errors = serializers.IntegerField(source="sweep.error_count", help_text="Error findings when it finished.")
    warnings = serializers.IntegerField(source="sweep.warning_count")
    message = serializers.CharField(source="sweep.message")


class SweepFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=SweepStatus.choices)

    class Meta:
        model = Sweep
        fields = ["status"]


@extend_schema_view(
    create=extend_schema(request=None, responses={
        202: SweepSerializer, 503: OpenApiResponse(description="The task queue could not be reached.")},
        description="Validate everything now (the browser's \"Validate now\"): 202 with the queued sweep; "
                    "follow it at its Location until finished is true."),
)
class SweepViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                   viewsets.GenericViewSet):
    """Sweeps, newest first. A Viewer reads; an Operator starts one, as in the browser."""

    lookup_value_regex = ID_PATTERN  # a number that is no id is no route (404)

    serializer_class = SweepSerializer
    filterset_class = SweepFilter
    queryset = Sweep.objects.order_by("-created_at", "-id")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()).annotate(done_count=Count("items")))
        progress = [sweeps.sweep_progress(sweep, done=sweep.done_count) for sweep in page]
        return self.get_paginated_response(SweepSerializer(progress, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        return Response(SweepSerializer(sweeps.sweep_progress(self.get_object())).data)

    def create(self, request, *args, **kwargs):
        sweep, queued = sweeps.start_sweep(actor=request.user, trigger="ui")
        if not queued:
            raise QueueUnavailable(f"{sweeps.QUEUE_DOWN} Sweep #{sweep.pk} did not start; the changes saved "
                                   "meanwhile stay pending and run when the queue is back.")
        sweep.refresh_from_db()  # without a broker the sweep has run already
        return Response(SweepSerializer(sweeps.sweep_progress(sweep)).data, status=202,
                        headers={"Location": reverse("api:sweep-detail", args=[sweep.pk])})
