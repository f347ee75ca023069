"""Trusted stores: create, change members, fields and password, delete, download the built file,
through the browser's store form and ``security.stores`` (see api/__init__.py).

The store's version (``stores.store_version``: its fields, members and password token) is its ETag.
The password is write-only: no response, schema example or audit event holds it.
"""

import django_filters
from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.concurrency import VersionedObjectMixin
from api.files import FILE_RENDERERS, file_response, file_responses
from api.forms import form_data, serializer_for_form, valid_form
from api.problems import Conflict
from api.schema import IF_MATCH
from security import stores as store_service
from security.crypto.errors import CertificateError
from security.forms_library import StoreForm
from security.models import Provider, StoreEntry, TrustedStore


class StoreSerializer(serializers.ModelSerializer):
    """A store as the list shows it (``stores.with_health`` sets the counts)."""

    has_password = serializers.BooleanField(read_only=True, help_text="A JKS password is set (never shown).")
    certificate_count = serializers.IntegerField(read_only=True)
    used_by = serializers.IntegerField(read_only=True, help_text="Applications set from it or whose trusted-ca "
                                                                 "names its path.")
    errors = serializers.IntegerField(source="health.errors", read_only=True, help_text="Its own findings.")
    warnings = serializers.IntegerField(source="health.warnings", read_only=True)

    class Meta:
        model = TrustedStore
        fields = ["id", "name", "provider", "path", "windows_path", "description", "has_password",
                  "certificate_count", "used_by", "errors", "warnings", "contents_digest", "last_validated_at",
                  "checks_requested_at", "created_at", "updated_at"]
        read_only_fields = fields


class MemberSerializer(serializers.ModelSerializer):
    certificate = serializers.IntegerField(source="certificate_id")
    common_name = serializers.CharField(source="certificate.common_name")
    fingerprint_sha256 = serializers.CharField(source="certificate.fingerprint_sha256")
    not_after = serializers.DateTimeField(source="certificate.not_after")
    is_ca = serializers.BooleanField(source="certificate.is_ca")

    class Meta:
        model = StoreEntry
        fields = ["position", "alias", "certificate", "common_name", "fingerprint_sha256", "not_after", "is_ca"]
        read_only_fields = fields


class StoreDetailSerializer(StoreSerializer):
    members = serializers.SerializerMethodField(help_text="In the order of the file (the first CA is alias root).")
    applications = serializers.SerializerMethodField(help_text="The ids of the applications using it.")

    class Meta(StoreSerializer.Meta):
        fields = [*StoreSerializer.Meta.fields, "members", "applications"]
        read_only_fields = fields

    @extend_schema_field(MemberSerializer(many=True))
    def get_members(self, store: TrustedStore) -> list[dict]:
        entries = store.entries.select_related("certificate").order_by("position", "id")
        return MemberSerializer(entries, many=True).data

    def get_applications(self, store: TrustedStore) -> list[int]:
        return store_service.applications_using(store)


StoreWrite = serializer_for_form(StoreForm, "StoreWrite")


class StoreFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains", help_text="Part of the name (any case).")
    provider = django_filters.ChoiceFilter(choices=Provider.choices)
    path = django_filters.CharFilter(method="on_path", help_text="Part of either path.")

    class Meta:
        model = TrustedStore
        fields = ["name", "provider", "path"]

    def on_path(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(path__icontains=value) | Q(windows_path__icontains=value))


def store_form_data(store: TrustedStore, sent: dict) -> dict:
    """The store form's data: the store as it is (its members in order) with what was sent over it."""
    data = form_data(store, StoreForm, {})
    data.pop("certificates", None)
    if store.pk:
        data["certificates"] = list(store.entries.order_by("position", "id").values_list("certificate_id", flat=True))
    data.update(sent)
    return data


@extend_schema_view(
    retrieve=extend_schema(responses={200: StoreDetailSerializer}),
    create=extend_schema(request=StoreWrite, responses={201: StoreDetailSerializer}),
    update=extend_schema(request=StoreWrite, parameters=[IF_MATCH], responses={200: StoreDetailSerializer}),
    partial_update=extend_schema(request=StoreWrite, parameters=[IF_MATCH], responses={200: StoreDetailSerializer}),
    destroy=extend_schema(parameters=[IF_MATCH], responses={204: None}),
)
class StoreViewSet(VersionedObjectMixin, viewsets.ModelViewSet):
    """Trusted stores. A Viewer reads; only a Security officer writes or downloads the built file (a JKS
    file holds what its password protects)."""

    serializer_class = StoreSerializer
    filterset_class = StoreFilter
    queryset = TrustedStore.objects.order_by("name", "id")

    def get_serializer_class(self):
        return StoreSerializer if self.action == "list" else StoreDetailSerializer

    def version_of(self, store: TrustedStore) -> str:
        return store_service.store_version(store)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        store_service.with_health(page)
        return self.get_paginated_response(StoreSerializer(page, many=True).data)

    def detail_response(self, store: TrustedStore, status: int = 200) -> Response:
        store = TrustedStore.objects.get(pk=store.pk)
        store_service.with_health([store])
        headers = {"Location": reverse("api:store-detail", args=[store.pk])} if status == 201 else {}
        return self.with_etag(Response(StoreDetailSerializer(store).data, status=status, headers=headers), store)

    def retrieve(self, request, *args, **kwargs):
        return self.detail_response(self.get_object())

    def write(self, store: TrustedStore, *, partial: bool) -> Response:
        sent = StoreWrite(data=self.request.data, partial=partial)
        sent.is_valid(raise_exception=True)
        version = None
        if store.pk:
            version = self.expected_version()
            store_service.check_store_version(store, version)  # a conflict is said before any form error
        form = valid_form(StoreForm(data=store_form_data(store, sent.validated_data), instance=store))
        saved = store_service.store_form_save(form=form, actor=self.request.user, expected_version=version)
        return self.detail_response(saved.store, status=201 if version is None else 200)

    def create(self, request, *args, **kwargs):
        return self.write(TrustedStore(), partial=False)

    def update(self, request, *args, **kwargs):
        return self.write(self.get_object(), partial=kwargs.get("partial", False))

    def destroy(self, request, *args, **kwargs):
        store_service.store_delete(store=self.get_object(), actor=request.user,
                                   expected_version=self.expected_version())
        return Response(status=204)

    @extend_schema(
        responses=file_responses("application/x-pem-file", "application/octet-stream", "application/pkix-cert",
                                 "application/x-pkcs7-certificates"),
        description="The store's file as the browser builds it: PEM, a JKS keystore (first CA under alias root), "
                    "or for a Windows (MSCAPI) store a .cer (one certificate) or .p7b to import.")
    @action(detail=True, methods=["get"], renderer_classes=FILE_RENDERERS)
    def download(self, request, pk=None):
        store = self.get_object()
        if not store.entries.exists():
            raise Conflict("This store holds no certificate yet: add one before downloading it.")
        try:
            artifact = store_service.build_artifact(store)
        except CertificateError as exc:
            raise Conflict(f"The store cannot be built: {exc}.") from None
        return file_response(artifact)
