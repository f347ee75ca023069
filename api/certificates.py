"""Certificates: the library, its upload (a dry-run preview, then the import), downloads and delete,
through the browser's upload form and ``security.certificates`` (see api/__init__.py)."""

import django_filters
from django.db.models import Count
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from api.concurrency import VersionedObjectMixin
from api.files import FILE_RENDERERS, file_response, file_responses
from api.filters import StrictBooleanFilter
from api.forms import StrictCharField, StrictIntegerField, valid_form
from api.problems import Conflict
from api.schema import IF_MATCH
from security import certificates as cert_service
from security.forms_library import FetchForm, UploadForm
from security.models import Certificate, TrustedStore


class CertificateSerializer(serializers.ModelSerializer):
    store_count = serializers.IntegerField(read_only=True, help_text="The trusted stores holding it.")
    warnings = serializers.SerializerMethodField(help_text="Why it is a poor trust anchor (not a CA, expired, "
                                                           "not yet valid); empty when none.")

    class Meta:
        model = Certificate
        fields = ["id", "common_name", "subject", "issuer", "serial_hex", "fingerprint_sha256", "not_before",
                  "not_after", "is_ca", "self_signed", "key_type", "key_size", "signature_hash", "source_kind",
                  "source_filename", "uploaded_at", "store_count", "warnings"]
        read_only_fields = fields

    def get_warnings(self, cert: Certificate) -> list[str]:
        return cert_service.certificate_warnings(is_ca=cert.is_ca, not_before=cert.not_before,
                                                 not_after=cert.not_after, now=timezone.now())


class StoreRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CertificateDetailSerializer(CertificateSerializer):
    stores = serializers.SerializerMethodField()

    class Meta(CertificateSerializer.Meta):
        fields = [*CertificateSerializer.Meta.fields, "stores"]
        read_only_fields = fields

    @extend_schema_field(StoreRef(many=True))
    def get_stores(self, cert: Certificate) -> list[dict]:
        return [{"id": pk, "name": name} for pk, name in
                TrustedStore.objects.filter(entries__certificate=cert).order_by("name").values_list("pk", "name")]


class CertificateFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", help_text="Part of the name or subject, or of the SHA-256 "
                                                             "fingerprint (colons optional).")
    expiring = StrictBooleanFilter(method="only_expiring", help_text="true: expired or expiring within "
                                                                              "the warning threshold.")
    is_ca = StrictBooleanFilter()

    class Meta:
        model = Certificate
        fields = ["q", "expiring", "is_ca"]

    def search(self, queryset, name, value):
        return queryset.filter(cert_service.text_condition(value))

    def only_expiring(self, queryset, name, value):
        return queryset.filter(cert_service.expiring_condition(timezone.now())) if value == "true" else queryset


class UploadRequest(serializers.Serializer):
    files = serializers.ListField(child=serializers.FileField(), help_text=UploadForm.base_fields["files"].help_text)
    password = serializers.CharField(required=False, allow_blank=True, write_only=True, trim_whitespace=False,
                                     style={"input_type": "password"},
                                     help_text=UploadForm.base_fields["password"].help_text)
    store = serializers.IntegerField(required=False, allow_null=True, min_value=1,
                                     help_text="Also add the certificates to this trusted store (its id).")
    dry_run = serializers.BooleanField(default=False, help_text="true: only preview what would be imported.")
    accept_warnings = serializers.BooleanField(
        default=False, help_text="Import the certificates with warnings too (not a CA, expired or not yet valid).")


class FoundCertificateSerializer(serializers.Serializer):
    fingerprint_sha256 = serializers.CharField(source="fingerprint")
    common_name = serializers.CharField()
    subject = serializers.CharField()
    issuer = serializers.CharField()
    not_before = serializers.DateTimeField()
    not_after = serializers.DateTimeField()
    is_ca = serializers.BooleanField()
    role = serializers.CharField(help_text="root, intermediate or leaf")
    key = serializers.CharField()
    signature_hash = serializers.CharField()
    warnings = serializers.ListField(child=serializers.CharField())
    existing_id = serializers.IntegerField(allow_null=True, help_text="Already in the library: its id.")


class FilePreviewSerializer(serializers.Serializer):
    filename = serializers.CharField()
    kind = serializers.CharField(source="kind_label")
    certificates = FoundCertificateSerializer(many=True)
    private_key_found = serializers.BooleanField(help_text="A private key was in the file: it is never kept.")
    error = serializers.CharField()
    repeated = serializers.IntegerField(help_text="Certificates already listed under an earlier file.")


PORT_RANGE = "A port is a number from 1 to 65535."


class FetchRequest(serializers.Serializer):
    host = StrictCharField(max_length=253, help_text=FetchForm.base_fields["host"].help_text)
    port = StrictIntegerField(min_value=1, max_value=65535, help_text="Its TLS (secure) port, 1 to 65535.",
                              error_messages={"min_value": PORT_RANGE, "max_value": PORT_RANGE})
    server_name = StrictCharField(required=False, allow_blank=True, max_length=253,
                                  help_text=FetchForm.base_fields["server_name"].help_text)


class PresentedCertificateSerializer(FoundCertificateSerializer):
    importable = serializers.SerializerMethodField(help_text="A CA the browser's fetch page offers to import; a leaf "
                                                             "(the server's own certificate) is not offered.")

    def get_importable(self, found) -> bool:
        return found.role != "leaf"


class FetchResult(serializers.Serializer):
    endpoint = serializers.CharField(help_text="host:port as reached.")
    server_name = serializers.CharField(help_text="The name sent in the handshake (SNI).")
    certificates = PresentedCertificateSerializer(many=True, help_text="As presented, the leaf first.")
    sent_root = serializers.BooleanField(help_text="false: the server sent no root; upload the root CA from its "
                                                   "issuer.")
    missing_root_issuer = serializers.CharField(help_text="When no root was sent: the issuer to ask for.")


class UploadResult(serializers.Serializer):
    dry_run = serializers.BooleanField()
    store = serializers.IntegerField(allow_null=True)
    files = FilePreviewSerializer(many=True)
    importable = serializers.IntegerField(help_text="Certificates not yet in the library.")
    warned_new = serializers.IntegerField(help_text="Of those, the ones with warnings.")
    created = serializers.ListField(child=serializers.IntegerField(), help_text="Imported now (ids); empty in a "
                                                                                "dry run.")
    already_present = serializers.ListField(child=serializers.IntegerField())
    skipped_with_warnings = serializers.IntegerField(help_text="Left out: with warnings, accept_warnings not set.")


@extend_schema_view(
    destroy=extend_schema(parameters=[IF_MATCH], responses={204: None}),
    retrieve=extend_schema(responses={200: CertificateDetailSerializer}),
)
class CertificateViewSet(VersionedObjectMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                         mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """The certificate library. Only a Security officer uploads or deletes; a Viewer reads."""

    serializer_class = CertificateSerializer
    filterset_class = CertificateFilter
    queryset = Certificate.objects.annotate(store_count=Count("entries")).order_by("not_after", "pk")

    def get_serializer_class(self):
        return CertificateDetailSerializer if self.action == "retrieve" else CertificateSerializer

    def version_of(self, cert: Certificate) -> str:
        return cert_service.certificate_version(cert)

    def destroy(self, request, *args, **kwargs):
        cert = self.get_object()
        try:
            cert_service.certificate_delete(certificate=cert, actor=request.user,
                                            expected_version=self.expected_version())
        except ValueError as exc:  # a store holds it
            raise Conflict(str(exc)) from None
        return Response(status=204)

    @extend_schema(
        request={"multipart/form-data": UploadRequest}, responses={200: UploadResult, 201: UploadResult},
        description="Upload certificate files (PEM, DER, PKCS#7, PKCS#12, JKS). With dry_run: the preview the "
                    "browser shows (what would be imported, warnings, what is already in the library), nothing "
                    "saved. Without: the same, then the import (201). The password only reads the file: it is "
                    "never stored nor answered back.",
    )
    @action(detail=False, methods=["post"], parser_classes=[MultiPartParser])
    def upload(self, request):
        sent = UploadRequest(data=request.data)
        sent.is_valid(raise_exception=True)
        data = sent.validated_data
        form = valid_form(UploadForm(data={"password": data.get("password", ""), "store": data.get("store") or ""},
                                     files=request.FILES))
        previews = cert_service.preview_upload(form.cleaned_data["files"], form.cleaned_data["password"])
        unreadable = cert_service.unreadable_reasons(previews)
        if unreadable:
            raise serializers.ValidationError(unreadable)
        store = form.cleaned_data["store"]
        counts = cert_service.preview_counts(previews)
        created, present, skipped = [], [], 0
        if not data["dry_run"]:
            result, skipped = cert_service.import_pending(
                pending=cert_service.pending_certificates(previews), accept_warnings=data["accept_warnings"],
                actor=request.user, store=store)
            created, present = [c.pk for c in result.created], [c.pk for c in result.already_present]
        body = UploadResult({
            "dry_run": data["dry_run"], "store": store.pk if store else None, "files": previews,
            "importable": counts["importable"], "warned_new": counts["warned_new"], "created": created,
            "already_present": present, "skipped_with_warnings": skipped,
        }).data
        return Response(body, status=200 if data["dry_run"] else 201)

    @extend_schema(
        request=FetchRequest, responses={200: FetchResult},
        description="Fetch the chain a server presents (host, port, server name: empty is the host), unverified, "
                    "and answer it as the browser's fetch page shows it. A dry run only: nothing is saved. Import "
                    "the CAs chosen through the browser, or upload them. An unreachable endpoint (unknown host, "
                    "refused, no TLS answer within TLS_PROBE_TIMEOUT_SECONDS, not TLS) is a 400 saying why.",
    )
    @action(detail=False, methods=["post"])
    def fetch(self, request):
        from django.conf import settings

        from security.crypto.errors import CertificateError
        from security.probe import FetchFailed, examine_server

        sent = FetchRequest(data=request.data)
        sent.is_valid(raise_exception=True)
        form = valid_form(FetchForm(data=sent.validated_data))
        host, port, server_name = form.endpoint()
        try:
            chain_der = examine_server(host, port, server_hostname=server_name,
                                       timeout=settings.TLS_PROBE_TIMEOUT_SECONDS)
            chain = cert_service.preview_chain(chain_der, endpoint=f"{host}:{port}", server_name=server_name)
        except FetchFailed as exc:
            raise serializers.ValidationError({exc.field or "non_field_errors": [str(exc)]}) from None
        except CertificateError as exc:
            raise serializers.ValidationError(
                {"non_field_errors": [f"{host}:{port} presented a certificate that cannot be read ({exc})."]}) from None
        return Response(FetchResult({
            "endpoint": chain.endpoint, "server_name": chain.server_name, "certificates": chain.certificates,
            "sent_root": chain.sent_root, "missing_root_issuer": chain.missing_root_issuer,
        }).data)

    @extend_schema(responses=file_responses("application/x-pem-file"), description="The certificate as PEM.")
    @action(detail=True, methods=["get"], renderer_classes=FILE_RENDERERS)
    def pem(self, request, pk=None):
        return file_response(cert_service.certificate_file(self.get_object(), "pem"))

    @extend_schema(responses=file_responses("application/pkix-cert"), description="The certificate as DER (.crt).")
    @action(detail=True, methods=["get"], renderer_classes=FILE_RENDERERS)
    def der(self, request, pk=None):
        return file_response(cert_service.certificate_file(self.get_object(), "der"))

