"""Hosts: the pattern every resource follows (see api/__init__.py)."""

import django_filters
from django.db.models import Count
from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from api.concurrency import VersionedObjectMixin
from api.forms import form_data, serializer_for_form, valid_form
from api.schema import IF_MATCH
from applications import services
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
class HostViewSet(VersionedObjectMixin, viewsets.ModelViewSet):
    """Hosts, written through the host form and ``applications.services`` as in the browser."""

    serializer_class = HostSerializer
    filterset_class = HostFilter
    queryset = Host.objects.annotate(application_count=Count("applications")).order_by("name", "id")

    def saved(self, host: Host, status: int = 200) -> Response:
        host = self.get_queryset().get(pk=host.pk)
        headers = {"Location": reverse("api:host-detail", args=[host.pk])} if status == 201 else {}
        return self.with_etag(Response(HostSerializer(host).data, status=status, headers=headers), host)

    def write(self, host: Host | None, *, partial: bool) -> Response:
        sent = HostWrite(data=self.request.data, partial=partial)
        sent.is_valid(raise_exception=True)
        version = None
        if host is not None:
            version = self.expected_version()
            services.check_version(host, version)  # a conflict is said before any form error
        form = valid_form(HostForm(data=form_data(host, HostForm, sent.validated_data), instance=host))
        saved = services.save_object(form=form, actor=self.request.user, expected_version=version,
                                     note=form.cleaned_data.get("note", ""))
        return self.saved(saved, status=201 if host is None else 200)

    def create(self, request, *args, **kwargs):
        return self.write(None, partial=False)

    def update(self, request, *args, **kwargs):
        return self.write(self.get_object(), partial=kwargs.get("partial", False))

    def destroy(self, request, *args, **kwargs):
        host = self.get_object()
        services.delete_object(obj=host, actor=request.user, expected_version=self.expected_version())
        return Response(status=204)

