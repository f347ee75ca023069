"""The configuration history of an application: its versions, what each changed, compare (two
versions, or another application's), and revert (``applications.revert``, as the History tab).

Snapshots are never sent as stored (they hold encrypted secrets): only the compared rows, where a
secret is shown as the History tab shows it. The ETag of the versions is the newest version's
number: a revert sends it in If-Match, and a newer version since is a 412.
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from api.concurrency import etag, if_match_version
from api.forms import serializer_for_form, valid_form
from api.problems import Conflict
from api.schema import IF_MATCH
from applications import history, revert, snapshots
from applications.forms import WhyForm
from applications.models import Application, ApplicationVersion
from applications.options import OptionsInvalid
from applications.views_history import LISTED, side


class VersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApplicationVersion
        fields = ["number", "at", "actor_name", "source", "note", "summary"]
        read_only_fields = fields


class RowSerializer(serializers.Serializer):
    key = serializers.CharField()
    old = serializers.CharField(allow_null=True, help_text="As shown (a secret never in clear); null: absent.")
    new = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=[snapshots.ADDED, snapshots.REMOVED, snapshots.CHANGED, snapshots.SAME])
    secret = serializers.BooleanField()


class GroupSerializer(serializers.Serializer):
    title = serializers.CharField()
    rows = RowSerializer(many=True)


class CompareSerializer(serializers.Serializer):
    left = serializers.CharField()
    right = serializers.CharField()
    groups = GroupSerializer(many=True)


def groups_body(groups) -> list[dict]:
    return [{"title": g.title, "rows": [{"key": r.key, "old": r.old, "new": r.new, "status": r.status,
                                         "secret": r.secret} for r in g.rows]} for g in groups]


def latest_etag(app_pk: int) -> str:
    return etag(str(history.latest_number(app_pk)))


class VersionListView(ListAPIView):
    serializer_class = VersionSerializer
    queryset = ApplicationVersion.objects.none()  # the schema's model; get_queryset lists one application's

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        app = get_object_or_404(Application, pk=self.kwargs["pk"])
        return ApplicationVersion.objects.filter(application=app).only(*LISTED).order_by("-number")

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        response["ETag"] = latest_etag(self.kwargs["pk"])
        return response


class VersionDetailView(APIView):
    @extend_schema(responses={200: CompareSerializer})
    def get(self, request, pk, number):
        """What version ``number`` changed from the one before."""
        app = get_object_or_404(Application, pk=pk)
        version = get_object_or_404(ApplicationVersion, application=app, number=number)
        before = ApplicationVersion.objects.filter(application=app, number=number - 1).only("snapshot").first()
        groups = snapshots.compare(history.display_groups(before.snapshot) if before else {},
                                   history.display_groups(version.snapshot), show_all=before is None)
        return Response({"left": f"version {number - 1}" if before else "(nothing before)",
                         "right": f"version {number}", "groups": groups_body(groups)})


COMPARE_PARAMETERS = [
    OpenApiParameter("a", str, description='A version number of this application, or "current" (default).'),
    OpenApiParameter("b", str, description='A version number, or "current" (default).'),
    OpenApiParameter("other", int, description="Compare b of this other application (two Nodes: drift)."),
    OpenApiParameter("all", bool, description="Every row, not only the differing ones."),
]


class CompareView(APIView):
    @extend_schema(parameters=COMPARE_PARAMETERS, responses={200: CompareSerializer})
    def get(self, request, pk):
        app = get_object_or_404(Application, pk=pk)
        other_text = request.query_params.get("other", "")
        if other_text and not (other_text.isascii() and other_text.isdigit() and len(other_text) < 19):
            raise serializers.ValidationError({"other": ["An application id."]})
        other = get_object_or_404(Application, pk=int(other_text)) if other_text else app
        show_all = request.query_params.get("all", "false")
        if show_all not in ("true", "false"):
            raise serializers.ValidationError({"all": ["true or false."]})
        left, right = side(app, request.query_params.get("a")), side(other, request.query_params.get("b"))
        if left is None or right is None:
            raise serializers.ValidationError({"a" if left is None else "b": ["That version does not exist."]})
        groups = snapshots.compare(left[1], right[1], show_all=show_all == "true")
        return Response({"left": left[0], "right": right[0], "groups": groups_body(groups)})


RevertWrite = serializer_for_form(WhyForm, "RevertWrite")


class RevertResultSerializer(serializers.Serializer):
    reverted = serializers.BooleanField(help_text="False: the configuration already was that version.")
    version = serializers.IntegerField(help_text="The newest version now.")


class RevertView(APIView):
    @extend_schema(responses={200: CompareSerializer})
    def get(self, request, pk, number):
        """The preview: what reverting to version ``number`` would change (ETag: the newest version)."""
        app = get_object_or_404(Application, pk=pk)
        plan = revert.revert_plan(app, get_object_or_404(ApplicationVersion, application=app, number=number))
        response = Response({"left": "now", "right": f"version {number}", "groups": groups_body(plan.groups)})
        response["ETag"] = latest_etag(app.pk)
        return response

    @extend_schema(request=RevertWrite, parameters=[IF_MATCH], responses={200: RevertResultSerializer})
    def post(self, request, pk, number):
        """Bring the application back to version ``number``, as a new version (the same service, rules
        and roles as the History tab: the security section and secrets need a Security officer)."""
        app = get_object_or_404(Application, pk=pk)
        get_object_or_404(ApplicationVersion, application=app, number=number)
        sent = RevertWrite(data=request.data)
        sent.is_valid(raise_exception=True)
        expected = if_match_version(request)
        form = valid_form(WhyForm(data=dict(sent.validated_data)))
        try:
            done = revert.revert_application(
                application=app, to=number, actor=request.user, note=form.note,
                expected_number=int(expected) if expected.isascii() and expected.isdigit() and len(expected) < 12
                else -1)
        except revert.RevertRefused as exc:
            raise Conflict(str(exc)) from None
        except OptionsInvalid as invalid:
            raise Conflict(f"Nothing was reverted: {invalid}") from None
        response = Response({"reverted": done is not None, "version": history.latest_number(app.pk)})
        response["ETag"] = latest_etag(app.pk)
        return response
