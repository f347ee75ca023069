"""Trusted stores: create, change members, fields and password, delete, download the built file,
through the browser's store form and ``security.stores`` (see api/__init__.py).

The store's version (``stores.store_version``: its fields, members and password token) is its ETag.
The password is write-only: no response, schema example or audit event holds it.
"""

import django_filters
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.concurrency import VersionedObjectMixin
from api.files import FILE_RENDERERS, file_response, file_responses
from api.forms import form_data, serializer_for_form, valid_form
from api.history import CompareSerializer, groups_body
from api.problems import Conflict
from api.schema import IF_MATCH
from applications import snapshots
from applications.numbers import parse_whole_number
from security import store_history
from security import stores as store_service
from security.crypto.errors import CertificateError
from security.forms_library import StoreForm
from security.models import Provider, StoreEntry, StoreVersion, TrustedStore


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


class StoreSavedSerializer(StoreDetailSerializer):
    """A store as saved, and what the applications set from it did (as the browser's messages say)."""

    applications_updated = serializers.ListField(
        child=serializers.IntegerField(), read_only=True,
        help_text="Applications whose security section took the store's new path or password (restart required).")
    applications_not_updated = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="Why an application could not follow the store.")

    class Meta(StoreDetailSerializer.Meta):
        fields = [*StoreDetailSerializer.Meta.fields, "applications_updated", "applications_not_updated"]
        read_only_fields = fields


StoreWrite = serializer_for_form(StoreForm, "StoreWrite")


class StoreVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = StoreVersion
        fields = ["number", "at", "actor_name", "source", "note", "summary"]
        read_only_fields = fields


class RevertRequest(serializers.Serializer):
    to = serializers.IntegerField(min_value=1, max_value=2**31 - 1, help_text="The version number to put back.")
    note = serializers.CharField(required=False, allow_blank=True, max_length=1000, trim_whitespace=False,
                                 help_text="Why (kept in the history; required when the settings say so).")


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
    create=extend_schema(request=StoreWrite, responses={201: StoreSavedSerializer}),
    update=extend_schema(request=StoreWrite, parameters=[IF_MATCH], responses={200: StoreSavedSerializer}),
    partial_update=extend_schema(request=StoreWrite, parameters=[IF_MATCH], responses={200: StoreSavedSerializer}),
    destroy=extend_schema(parameters=[IF_MATCH], responses={204: None}),
)
class StoreViewSet(VersionedObjectMixin, viewsets.ModelViewSet):
    """Trusted stores. A Viewer reads; only a Security officer writes or downloads the built file (a JKS
    file holds what its password protects)."""

    serializer_class = StoreSerializer
    filterset_class = StoreFilter
    queryset = TrustedStore.objects.order_by("name", "id")

    def get_serializer_class(self):
        return {"list": StoreSerializer, "versions": StoreVersionSerializer}.get(self.action, StoreDetailSerializer)

    def version_of(self, store: TrustedStore) -> str:
        return store_service.store_version(store)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        store_service.with_health(page, names=False)  # the list shows the number of users, not their names
        return self.get_paginated_response(StoreSerializer(page, many=True).data)

    def detail_response(self, store: TrustedStore, status: int = 200, *, followed=None) -> Response:
        """The store as stored now, with its ETag; after a write (``followed``: the applications that
        took its change and the reasons others could not) those too."""
        store = TrustedStore.objects.get(pk=store.pk)
        store_service.with_health([store])
        body = StoreDetailSerializer(store).data
        if followed is not None:
            changed, problems = followed
            body = {**body, "applications_updated": [app.pk for app in changed],
                    "applications_not_updated": list(problems)}
        headers = {"Location": reverse("api:store-detail", args=[store.pk])} if status == 201 else {}
        return self.with_etag(Response(body, status=status, headers=headers), store)

    def retrieve(self, request, *args, **kwargs):
        return self.detail_response(self.get_object())

    def write(self, store: TrustedStore, *, partial: bool, dry_run: bool = False) -> Response:
        sent = StoreWrite(data=self.request.data, partial=partial)
        sent.is_valid(raise_exception=True)
        version = None
        if store.pk:
            version = self.expected_version()
            store_service.check_store_version(store, version)  # a conflict is said before any form error
        form = valid_form(StoreForm(data=store_form_data(store, sent.validated_data), instance=store))
        if dry_run:
            return self.preview_response(store, form)
        saved = store_service.store_form_save(form=form, actor=self.request.user, expected_version=version)
        return self.detail_response(saved.store, status=201 if version is None else 200,
                                    followed=(saved.followed, saved.not_followed))

    def create(self, request, *args, **kwargs):
        return self.write(TrustedStore(), partial=False)

    def update(self, request, *args, **kwargs):
        return self.write(self.get_object(), partial=kwargs.get("partial", False),
                          dry_run=request.query_params.get("dry_run") in ("1", "true"))

    def preview_response(self, store: TrustedStore, form) -> Response:
        """What the write would do to the connections run with the store (``security.impact``); nothing saved."""
        from security.impact import store_impact

        stored = TrustedStore.objects.get(pk=store.pk)
        body = {"dry_run": True, **store_impact(stored, store_service.form_members(form)).as_json()}
        return self.with_etag(Response(body), stored)

    @extend_schema(request=StoreWrite, parameters=[IF_MATCH], responses={200: OpenApiTypes.OBJECT},
                   description="The impact preview of an update (the body of PATCH): which connections run with the "
                               "store would lose or gain their trust path (judged from the chains their last probes "
                               "saw), which cannot be told (not probed — unknown), the certificates removed, added "
                               "and held afterwards, and the applications to restart. Nothing is saved; PATCH or PUT "
                               "with ?dry_run=1 answers the same.")
    @action(detail=True, methods=["post"])
    def preview(self, request, pk=None):
        return self.write(self.get_object(), partial=True, dry_run=True)

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

    # History: the versions store_save records, compared and put back as the browser does.

    @extend_schema(responses={200: StoreVersionSerializer(many=True)}, description="The store's versions, newest "
                   "first.")
    @action(detail=True, methods=["get"])
    def versions(self, request, pk=None):
        store = self.get_object()
        versions = StoreVersion.objects.filter(store=store).only(
            "id", "store_id", "number", "at", "actor_name", "source", "note", "summary").order_by("-number")
        page = self.paginate_queryset(versions)
        return self.get_paginated_response(StoreVersionSerializer(page, many=True).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("a", OpenApiTypes.STR, description="A version number, or current (the default)."),
            OpenApiParameter("b", OpenApiTypes.STR, description="A version number, or current (the default)."),
            OpenApiParameter("all", OpenApiTypes.BOOL, description="true: the rows that did not change too."),
        ],
        responses={200: CompareSerializer}, description="Two versions side by side (what the browser's compare shows).")
    @action(detail=True, methods=["get"])
    def compare(self, request, pk=None):
        store = self.get_object()
        sides = []
        for name in ("a", "b"):
            text = request.query_params.get(name) or "current"
            if text == "current":
                sides.append((f"{store.name} now", store_history.store_snapshot(store)))
                continue
            number = parse_whole_number(text)
            version = StoreVersion.objects.filter(store=store, number=number).only("number", "snapshot").first() \
                if number is not None else None
            if version is None:
                raise serializers.ValidationError({name: ["No such version: give a version number from versions/, "
                                                          "or current."]})
            sides.append((f"version {version.number}", version.snapshot))
        groups = snapshots.compare(store_history.display_groups(sides[0][1]), store_history.display_groups(sides[1][1]),
                                   show_all=request.query_params.get("all") in ("true", "1"))
        return Response({"left": sides[0][0], "right": sides[1][0], "groups": groups_body(groups)})

    @extend_schema(request=RevertRequest, parameters=[IF_MATCH], responses={200: StoreSavedSerializer},
                   description="Put the store back as a version, through the store form and service (a new version "
                               "noted \"revert to N\"); the applications set from it follow, as after a save.")
    @action(detail=True, methods=["post"])
    def revert(self, request, pk=None):
        from security.section import store_changed

        store = self.get_object()
        version = self.expected_version()
        store_service.check_store_version(store, version)  # a conflict is said first, as for a save
        sent = RevertRequest(data=request.data)
        sent.is_valid(raise_exception=True)
        try:
            done = store_history.revert_store(store=store, to=sent.validated_data["to"], actor=request.user,
                                              note=sent.validated_data.get("note", ""), expected_version=version)
        except store_history.StoreRevertRefused as exc:
            raise Conflict(str(exc)) from None
        followed = ([], [])
        if done is not None:
            followed = store_changed(store=TrustedStore.objects.get(pk=store.pk), actor=request.user)
        return self.detail_response(store, followed=followed)
