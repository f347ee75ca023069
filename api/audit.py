"""The audit trail, read-only, with the audit page's filters (``AuditFilterForm``, ``filter_events``).

Paged by a cursor on the event id, newest first, as the audit page pages: no COUNT(*) and no OFFSET
over a trail of a hundred thousand events. Secret values were never recorded ("changed")."""

import django_filters
from django.core.exceptions import ValidationError
from rest_framework import mixins, serializers, viewsets
from rest_framework.pagination import CursorPagination

from api.filters import ID_PATTERN, IdFilter
from api.pagination import PAGE_SIZE
from applications.audit_export import filter_events
from applications.forms import AuditFilterForm
from applications.models import AuditEvent


class NewestFirst(CursorPagination):
    page_size = PAGE_SIZE
    ordering = "-id"


class AuditEventSerializer(serializers.ModelSerializer):
    application_name = serializers.CharField(source="application.name", default=None, read_only=True,
                                             allow_null=True)
    changes = serializers.JSONField(help_text="{field: [old, new]}; a secret only as \"changed\".")

    class Meta:
        model = AuditEvent
        fields = ["id", "at", "actor_name", "action", "object_type", "object_id", "object_repr", "application",
                  "application_name", "changes", "message"]
        read_only_fields = fields


class AuditEventFilter(django_filters.FilterSet):
    """The audit page's filters, each checked by its form."""

    q = django_filters.CharFilter(method="by_form", help_text="Part of the object or the message.")
    actor = django_filters.CharFilter(method="by_form", help_text="Part of the user name.")
    object_type = django_filters.CharFilter(method="by_form")
    action = django_filters.CharFilter(method="by_form")
    since = django_filters.CharFilter(method="by_form", help_text="A date, YYYY-MM-DD (UTC).")
    until = django_filters.CharFilter(method="by_form", help_text="A date, YYYY-MM-DD (UTC).")
    application = IdFilter(field_name="application_id")

    class Meta:
        model = AuditEvent
        fields = ["q", "actor", "object_type", "action", "since", "until", "application"]

    def by_form(self, queryset, name, value):
        form = AuditFilterForm({name: value})
        if not form.is_valid() or name in form.errors:
            raise ValidationError({name: form.errors.get(name, ["invalid"])})
        return filter_events(queryset, {name: form.cleaned_data[name]})


class AuditEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter
    pagination_class = NewestFirst
    lookup_value_regex = ID_PATTERN
    queryset = AuditEvent.objects.select_related("application").defer(
        "seq", "prev_hash", "chain_hash", "application__command_line", "application__command_line_arguments")
