"""An application's options (read all, write changes through ``options_apply`` as the options editor
does), its security section (through the Security tab's form and ``security_section_set``) and the
cluster-wide apply of a security section to every Node (``cluster_apply``).

The options' ETag is the application's options revision, which every options write moves (the
editor, the security section and the import carry the same): ``"<revision>"``.
"""

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.concurrency import etag, if_match_version
from api.forms import StrictCharField, serializer_for_form, valid_form
from api.problems import Conflict
from api.schema import IF_MATCH
from applications.forms import NOTE_MAX_LENGTH
from applications.models import Application, Option, PendingRestartChange
from applications.options import OptionChange, OptionsInvalid, options_apply
from applications.restart import pending_changes_now
from security.forms_section import SecuritySectionForm
from security.section import SectionRefused, cluster_apply, placement_for, section_state, security_section_set
from security.views_section import cluster_rows, has_nodes_to_apply, parse_revisions, revisions_field


def revision_from(request) -> int:
    """The options revision the client read (If-Match); -1, never current, when garbled."""
    text = if_match_version(request)
    return int(text) if text.isascii() and text.isdigit() and len(text) < 12 else -1


def invalid_options(invalid: OptionsInvalid) -> serializers.ValidationError:
    errors = {label: [message] for label, message in invalid.errors.items()}
    if invalid.general:
        errors["non_field_errors"] = list(invalid.general)
    return serializers.ValidationError(errors)


class OptionSerializer(serializers.Serializer):
    section = serializers.CharField()
    name = serializers.CharField()
    value = serializers.CharField(allow_null=True, help_text="null for a secret: secrets are write-only.")
    secret = serializers.BooleanField()
    pending_restart = serializers.BooleanField(help_text="Changed since the server was last restarted.")


class OptionsSerializer(serializers.Serializer):
    application = serializers.IntegerField()
    revision = serializers.IntegerField()
    options = OptionSerializer(many=True)


class OptionChangeSerializer(serializers.Serializer):
    # As typed: the options service judges names and values (never trimmed here).
    section = StrictCharField(allow_blank=True, trim_whitespace=False)
    name = StrictCharField(allow_blank=True, trim_whitespace=False)
    value = StrictCharField(allow_null=True, allow_blank=True, trim_whitespace=False,
                            help_text="The new value as typed (kept as typed); null removes the option.")


class OptionsWrite(serializers.Serializer):
    changes = OptionChangeSerializer(many=True, allow_empty=False, max_length=20000)
    note = StrictCharField(required=False, allow_blank=True, max_length=NOTE_MAX_LENGTH,
                           help_text="Why (kept with the audit events and the version).")


def pending_keys(app: Application) -> set[tuple[str, str]]:
    """The options of the pending-restart list, as the General tab shows it: computed while the
    checks of a change have not run yet (they reconcile the stored list)."""
    if app.checks_requested_at:
        return {(change.section, change.name) for change in pending_changes_now(app)}
    return set(PendingRestartChange.objects.filter(application_id=app.pk).values_list("section", "name"))


def options_body(app: Application) -> dict:
    """Every option of ``app``, secrets without their value, in a fixed number of queries."""
    pending = pending_keys(app)
    rows = (Option.objects.filter(application_id=app.pk).order_by("section", "name")
            .values_list("section", "name", "value", "is_secret"))
    return {"application": app.pk, "revision": app.options_revision, "options": [
        {"section": s, "name": n, "value": None if secret else v, "secret": secret,
         "pending_restart": (s, n) in pending}
        for s, n, v, secret in rows]}


class ApplicationOptionsView(APIView):
    @extend_schema(responses={200: OptionsSerializer})
    def get(self, request, pk):
        app = get_object_or_404(Application.objects.only("pk", "options_revision", "checks_requested_at"), pk=pk)
        response = Response(options_body(app))
        response["ETag"] = etag(str(app.options_revision))
        return response

    @extend_schema(request=OptionsWrite, parameters=[IF_MATCH], responses={200: OptionsSerializer})
    def patch(self, request, pk):
        """Set (or, with ``value: null``, remove) options, all or nothing, as the options editor
        saves: the same validation, secrets and security section for a Security officer only, audit
        events, a version, restart tracking and checks."""
        app = get_object_or_404(Application, pk=pk)
        sent = OptionsWrite(data=request.data)
        sent.is_valid(raise_exception=True)
        expected = revision_from(request)
        changes = [OptionChange(c["section"], c["name"], c["value"]) for c in sent.validated_data["changes"]]
        try:
            options_apply(application=app, changes=changes, actor=request.user, expected_revision=expected,
                          note=sent.validated_data.get("note", "").strip())
        except OptionsInvalid as invalid:
            raise invalid_options(invalid) from None
        app.refresh_from_db(fields=["options_revision", "checks_requested_at"])
        response = Response(options_body(app))
        response["ETag"] = etag(str(app.options_revision))
        return response


SectionWrite = serializer_for_form(SecuritySectionForm, "SecuritySectionWrite")


class SecuritySectionSerializer(serializers.Serializer):
    provider = serializers.CharField(help_text="Empty: TLS disabled.")
    trusted_ca = serializers.CharField()
    has_password = serializers.BooleanField(help_text="The password itself is never shown.")
    store = serializers.IntegerField(allow_null=True)
    allowed = serializers.BooleanField(help_text="Whether this application may hold the section (R1).")
    reason = serializers.CharField(help_text="Why not, when it may not.")


def cobrowse_application(pk) -> Application:
    app = get_object_or_404(Application.objects.select_related("host", "cluster"), pk=pk)
    if not app.is_cobrowse:
        raise Http404("Only Co-browse applications have a Co-browse security section.")
    return app


def section_body(app: Application) -> dict:
    state, placement = section_state(app), placement_for(app)
    return {"provider": state.provider, "trusted_ca": state.trusted_ca, "has_password": state.has_password,
            "store": state.store.pk if state.store else None, "allowed": placement.allowed,
            "reason": "" if placement.allowed else placement.reason}


def refused(exc: SectionRefused) -> serializers.ValidationError:
    return serializers.ValidationError({exc.field or "non_field_errors": [exc.message]})


class SecuritySectionView(APIView):
    """The ``[security]`` section of a Co-browse application, as its Security tab (R1, R4)."""

    @extend_schema(responses={200: SecuritySectionSerializer})
    def get(self, request, pk):
        app = cobrowse_application(pk)
        response = Response(section_body(app))
        response["ETag"] = etag(str(app.options_revision))
        return response

    @extend_schema(request=SectionWrite, parameters=[IF_MATCH], responses={200: SecuritySectionSerializer})
    def put(self, request, pk):
        """Provider and trusted store (or a typed path); the JKS password comes from the store."""
        app = cobrowse_application(pk)
        sent = SectionWrite(data=request.data)
        sent.is_valid(raise_exception=True)
        expected = revision_from(request)
        placement = placement_for(app)
        if not placement.allowed:
            raise Conflict(f"Nothing was saved: {placement.reason}")
        form = valid_form(SecuritySectionForm(data=dict(sent.validated_data), application=app))
        data = form.cleaned_data
        try:
            security_section_set(application=app, provider=data["provider"], store=data["store"],
                                 typed_path=data["typed_path"], actor=request.user, expected_revision=expected,
                                 note=form.note)
        except SectionRefused as exc:
            raise refused(exc) from None
        except OptionsInvalid as invalid:
            raise invalid_options(invalid) from None
        app.refresh_from_db(fields=["options_revision"])
        response = Response(section_body(app))
        response["ETag"] = etag(str(app.options_revision))
        return response


class ClusterNodeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    provider = serializers.CharField()
    trusted_ca = serializers.CharField()
    revision = serializers.IntegerField()


class ClusterApplySerializer(serializers.Serializer):
    nodes = ClusterNodeSerializer(many=True)
    changed = serializers.IntegerField(required=False, help_text="Options changed (after an apply).")


def cluster_of(pk) -> Application:
    app = cobrowse_application(pk)
    if not has_nodes_to_apply(app):
        raise Http404("Only a Co-browse Cluster (8.5.001+) has Nodes to apply a security section to.")
    return app


def nodes_etag(rows: list[dict]) -> str:
    """The Nodes' revisions (``revisions_field``) as one ETag. If-Match separates ETags with commas,
    so the Nodes are separated by semicolons here (a comma would cut the list after the first Node)."""
    return etag(revisions_field(rows).replace(",", ";"))


def nodes_body(rows: list[dict]) -> list[dict]:
    return [{"id": r["node"].pk, "name": r["node"].name, "provider": r["state"].provider,
             "trusted_ca": r["state"].trusted_ca, "revision": r["node"].options_revision} for r in rows]


class ClusterApplyView(APIView):
    """One security section on every Node of a Cluster, all or nothing. The ETag names each Node's
    options revision: a Node added, removed or changed since you read it is a 412."""

    @extend_schema(responses={200: ClusterApplySerializer})
    def get(self, request, pk):
        rows = cluster_rows(cluster_of(pk))
        response = Response({"nodes": nodes_body(rows)})
        response["ETag"] = nodes_etag(rows)
        return response

    @extend_schema(request=SectionWrite, parameters=[IF_MATCH], responses={200: ClusterApplySerializer})
    def post(self, request, pk):
        cluster = cluster_of(pk)
        sent = SectionWrite(data=request.data)
        sent.is_valid(raise_exception=True)
        shown = parse_revisions(if_match_version(request).replace(";", ","))
        rows = cluster_rows(cluster)
        if set(shown) != {r["node"].pk for r in rows}:
            from applications.options import StaleEdit

            raise StaleEdit([], -1, what=f"the Nodes of {cluster.name}")
        form = valid_form(SecuritySectionForm(data=dict(sent.validated_data)))
        data = form.cleaned_data
        try:
            results = cluster_apply(cluster=cluster, provider=data["provider"], store=data["store"],
                                    typed_path=data["typed_path"], actor=request.user, expected_revisions=shown,
                                    note=form.note)
        except SectionRefused as exc:
            raise refused(exc) from None
        except OptionsInvalid as invalid:
            raise invalid_options(invalid) from None
        rows = cluster_rows(cluster)
        response = Response({"nodes": nodes_body(rows), "changed": sum(n for _node, n in results)})
        response["ETag"] = nodes_etag(rows)
        return response
