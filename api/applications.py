"""Applications: list with filters, read with readiness and restart state, the writes of the
General tab (create, update, delete, clone) and "mark as restarted".

Readiness is what the lists show (``applications.health.health_of``: the verdict the checks stored);
the restart state is the application's pending-restart list, as its General tab shows it.
"""

import django_filters
from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action

from api.concurrency import etag, if_match_version
from api.filters import IdFilter, StrictBooleanFilter
from api.forms import serializer_for_form, valid_form
from api.resources import FormBackedViewSet
from api.schema import IF_MATCH
from applications import services
from applications.forms import ApplicationFilterForm, ApplicationForm, CloneForm, ServerInfoForm
from applications.health import health_of, only_not_ready
from applications.models import Application, AppType
from applications.queries import applications_with_flags, filter_applications
from applications.restart import mark_restarted, pending_changes_now, shown_change

# The readiness filter's values: the stored verdicts.
READINESS = {"ready": "ready", "not-ready": "not ready", "not-checked": "not checked yet"}


class ReadinessSerializer(serializers.Serializer):
    verdict = serializers.CharField(help_text='"ready", "not ready", "not checked yet"; empty: no verdict '
                                              "applies (not a Co-browse application) or never validated.")
    errors = serializers.IntegerField()
    warnings = serializers.IntegerField()
    checks_pending = serializers.BooleanField(help_text="Changed since the checks last ran.")


class PendingChangeSerializer(serializers.Serializer):
    option = serializers.CharField(help_text="[section] name")
    running = serializers.CharField(allow_null=True, help_text='What the server runs with (a secret: "changed").')
    new = serializers.CharField(allow_null=True, help_text="What it will run with after a restart (null: removed).")
    changed_by = serializers.CharField()
    changed_at = serializers.DateTimeField(allow_null=True)


def pending_rows(app: Application) -> list[dict]:
    """The pending-restart list as the General tab shows it: computed while checks are pending."""
    pending = pending_changes_now(app) if app.checks_requested_at else list(app.pending_changes.all())
    rows = []
    for change in pending:
        running, new = shown_change(change)
        rows.append({"option": f"[{change.section}] {change.name}", "running": running, "new": new,
                     "changed_by": change.changed_by_name, "changed_at": change.changed_at})
    return rows


class ApplicationSerializer(serializers.ModelSerializer):
    host_name = serializers.CharField(source="host.name", default=None, read_only=True, allow_null=True)
    cluster_name = serializers.CharField(source="cluster.name", default=None, read_only=True, allow_null=True)
    backup_server_name = serializers.CharField(source="backup_server.name", default=None, read_only=True,
                                               allow_null=True)
    restart_required = serializers.BooleanField(read_only=True)
    readiness = serializers.SerializerMethodField()
    options_etag = serializers.SerializerMethodField(
        help_text="The ETag of its options: the If-Match of an options write and of mark-restarted.")

    class Meta:
        model = Application
        fields = ["id", "name", "app_type", "version", "host", "host_name", "enabled", "cluster", "cluster_name",
                  "backup_server", "backup_server_name", "scs_controlled", "service_account", "working_directory",
                  "command_line", "command_line_arguments", "restart_required", "last_restarted_at", "readiness",
                  "options_etag", "created_at", "updated_at"]
        read_only_fields = fields

    @extend_schema_field(ReadinessSerializer)
    def get_readiness(self, app) -> dict:
        health = self.context.get("health", {}).get(app.pk)
        return {"verdict": health.verdict if health else "", "errors": health.errors if health else 0,
                "warnings": health.warnings if health else 0, "checks_pending": bool(app.checks_requested_at)}

    def get_options_etag(self, app) -> str:
        return etag(str(app.options_revision))


class ApplicationDetailSerializer(ApplicationSerializer):
    pending_restart = serializers.SerializerMethodField()

    class Meta(ApplicationSerializer.Meta):
        fields = [*ApplicationSerializer.Meta.fields, "pending_restart"]
        read_only_fields = fields

    @extend_schema_field(PendingChangeSerializer(many=True))
    def get_pending_restart(self, app) -> list:
        return pending_rows(app)


ApplicationWrite = serializer_for_form(ApplicationForm, "ApplicationWrite")
ServerInfoWrite = serializer_for_form(ServerInfoForm, "ServerInfoWrite")
CloneWrite = serializer_for_form(CloneForm, "CloneWrite")


class ApplicationFilter(django_filters.FilterSet):
    """The application list's filters (``applications.queries.filter_applications``, as the page)."""

    q = django_filters.CharFilter(method="by_form", help_text="Part of the name, host or version.")
    type = django_filters.ChoiceFilter(field_name="app_type", choices=AppType.choices)
    host = IdFilter(field_name="host_id")
    cluster = IdFilter(field_name="cluster_id")
    version = django_filters.CharFilter(method="by_form", help_text="e.g. 8.5.003 or >=8.5.001")
    readiness = django_filters.ChoiceFilter(method="by_readiness", choices=[(k, v) for k, v in READINESS.items()],
                                            help_text="The stored TLS verdict.")
    restart = StrictBooleanFilter(field_name="restart_required", help_text="Restart required (true) or not (false).")

    class Meta:
        model = Application
        fields = ["q", "type", "host", "cluster", "version", "readiness", "restart"]

    def by_form(self, queryset, name, value):
        form = ApplicationFilterForm({name: value})
        if not form.is_valid():
            raise ValidationError({name: form.errors.get(name, ["invalid"])})
        return filter_applications(queryset, {name: form.cleaned_data[name]})

    def by_readiness(self, queryset, name, value):
        if value == "not-ready":
            return only_not_ready(queryset)  # the page's own "Not TLS-ready only"
        return queryset.filter(tls_readiness__verdict=READINESS[value])


@extend_schema_view(
    list=extend_schema(responses={200: ApplicationSerializer(many=True)}),
    retrieve=extend_schema(responses={200: ApplicationDetailSerializer}),
    create=extend_schema(request=ApplicationWrite, responses={201: ApplicationDetailSerializer}),
    update=extend_schema(request=ApplicationWrite, parameters=[IF_MATCH], responses={200: ApplicationDetailSerializer}),
    partial_update=extend_schema(request=ApplicationWrite, parameters=[IF_MATCH],
                                 responses={200: ApplicationDetailSerializer}),
    destroy=extend_schema(parameters=[IF_MATCH], responses={204: None}),
)
class ApplicationViewSet(FormBackedViewSet):
    filterset_class = ApplicationFilter
    form_class = ApplicationForm
    write_serializer = ApplicationWrite
    detail_route = "api:application-detail"

    def get_queryset(self):
        return applications_with_flags().order_by("name", "id")

    def get_serializer_class(self):
        return ApplicationSerializer if self.action == "list" else ApplicationDetailSerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "health": getattr(self, "health", {})}

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        self.health = health_of(page or [])  # one query for the page, as the list page does
        return page

    def get_object(self):
        obj = super().get_object()
        self.health = health_of([obj])
        return obj

    @extend_schema(request=CloneWrite, responses={201: ApplicationDetailSerializer})
    @action(detail=True, methods=["post"], url_path="clone", url_name="clone")
    def clone(self, request, pk=None):
        """A copy with its ports, options and connections; the security section and secrets only
        when a Security officer clones (as in the browser)."""
        source = self.get_object()
        sent = CloneWrite(data=request.data)
        sent.is_valid(raise_exception=True)
        form = valid_form(CloneForm(data=dict(sent.validated_data)))
        clone = services.clone_application(source=source, name=form.cleaned_data["name"], actor=request.user)
        return self.saved(clone, status=201)

    @extend_schema(request=ServerInfoWrite, parameters=[IF_MATCH], responses={200: ApplicationDetailSerializer})
    @action(detail=True, methods=["patch"], url_path="server-info", url_name="server-info")
    def server_info(self, request, pk=None):
        """Host, working directory and command line (the Server Info tab); If-Match: the
        application's ETag."""
        return self.write(self.get_object(), partial=True, form_class=ServerInfoForm,
                          write_serializer=ServerInfoWrite)

    @extend_schema(request=None, parameters=[IF_MATCH], responses={200: ApplicationDetailSerializer})
    @action(detail=True, methods=["post"], url_path="restarted", url_name="mark-restarted")
    def mark_restarted(self, request, pk=None):
        """The server now runs with its current options. If-Match: its ``options_etag`` as read (the
        pending list you confirm); 412 when the options changed since."""
        app = self.get_object()
        revision = if_match_version(request)
        mark_restarted(application=app, actor=request.user,
                       expected_revision=int(revision) if revision.isdigit() and len(revision) < 12 else -1)
        return self.saved(app)
