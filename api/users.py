"""Users and their role (Administrator only), through the Users page's form and ``user_save``."""

from django.contrib.auth.models import User
from django.db.models import Prefetch
from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.concurrency import VersionedObjectMixin
from api.forms import serializer_for_form, valid_form
from api.schema import IF_MATCH
from applications import lockouts
from applications.roles import role_name
from applications.users import UserForm, check_user_version, user_save, user_version


class UserSerializer(serializers.ModelSerializer):
    role = serializers.SerializerMethodField()
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "role", "active", "last_login", "date_joined"]
        read_only_fields = fields

    def get_role(self, user) -> str:
        return role_name(user)


UserWrite = serializer_for_form(UserForm, "UserWrite")


class UnlockSerializer(serializers.Serializer):
    unlocked = serializers.BooleanField(help_text="False: the user was not locked (any more).")


@extend_schema_view(
    create=extend_schema(request=UserWrite, responses={201: UserSerializer}),
    partial_update=extend_schema(request=UserWrite, parameters=[IF_MATCH], responses={200: UserSerializer}),
    update=extend_schema(request=UserWrite, parameters=[IF_MATCH], responses={200: UserSerializer}),
)
class UserViewSet(VersionedObjectMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                  mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """The password is write-only: never in a response, only "changed" in the audit trail."""

    serializer_class = UserSerializer
    queryset = User.objects.prefetch_related(Prefetch("groups")).order_by("username", "id")

    def version_of(self, user) -> str:
        return user_version(user)

    def write(self, user: User | None, *, partial: bool) -> Response:
        sent = UserWrite(data=self.request.data, partial=partial)
        sent.is_valid(raise_exception=True)
        version = None
        data, initial = {"active": True, **sent.validated_data}, {}
        if user is not None:
            version = self.expected_version()
            check_user_version(user, version)  # said before any form error, as the page does
            initial = {"username": user.username, "role": role_name(user), "active": user.is_active}
            data = {**initial, **sent.validated_data}
        form = valid_form(UserForm(data=data, user=user, initial=initial))
        cleaned = form.cleaned_data
        saved = user_save(user=user, username=cleaned["username"], role=cleaned["role"], active=cleaned["active"],
                          password=cleaned["password"], actor=self.request.user, expected_version=version)
        saved = self.get_queryset().get(pk=saved.pk)
        headers = {"Location": reverse("api:user-detail", args=[saved.pk])} if user is None else {}
        response = Response(UserSerializer(saved).data, status=201 if user is None else 200, headers=headers)
        return self.with_etag(response, saved)

    def create(self, request, *args, **kwargs):
        return self.write(None, partial=False)

    def update(self, request, *args, **kwargs):
        return self.write(self.get_object(), partial=kwargs.get("partial", False))

    @extend_schema(request=None, responses={200: UnlockSerializer})
    @action(detail=True, methods=["post"], url_path="unlock", url_name="unlock")
    def unlock(self, request, pk=None):
        """Let a locked-out user log in again at once, from every address (audited)."""
        lifted = lockouts.lockout_lift(user=self.get_object(), actor=request.user)
        return Response({"unlocked": bool(lifted)})
