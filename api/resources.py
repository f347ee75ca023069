"""The viewset most resources are: read with an ETag, written through the browser's form and
``applications.services`` (``save_object`` / ``delete_object``), If-Match on every change.

A resource sets ``form_class`` and ``write_serializer`` (``api.forms.serializer_for_form``), and
overrides ``form_kwargs`` when its form takes more than the instance (a port's application)."""

from django.urls import reverse
from rest_framework import viewsets
from rest_framework.response import Response

from api.concurrency import VersionedObjectMixin
from api.forms import form_data, valid_form
from applications import services


class FormBackedViewSet(VersionedObjectMixin, viewsets.ModelViewSet):
    form_class = None
    write_serializer = None
    detail_route = ""  # "api:host-detail": where a created object is (Location)

    def form_kwargs(self, instance, sent: dict) -> dict:
        """What the form takes besides ``data`` and ``instance``."""
        return {}

    def new_instance(self, sent: dict):
        """The unsaved object a create binds its form to (None: the form makes it)."""
        return None

    def bound_data(self, instance, sent: dict, form_class=None) -> dict:
        """The data the form is bound with: what was sent over the object's current values (a PATCH
        sends only what changes). A form with fields that are not columns adds their values here."""
        return form_data(instance, form_class or self.form_class, sent)

    def saved(self, obj, status: int = 200) -> Response:
        obj = self.get_queryset().get(pk=obj.pk)
        headers = {"Location": reverse(self.detail_route, args=[obj.pk])} if status == 201 else {}
        return self.with_etag(Response(self.get_serializer(obj).data, status=status, headers=headers), obj)

    def write(self, instance, *, partial: bool, form_class=None, write_serializer=None) -> Response:
        """Create (``instance`` None) or change ``instance`` through the form; another form of the same
        object (an application's Server Info) passes its ``form_class`` and ``write_serializer``."""
        form_class = form_class or self.form_class
        sent = (write_serializer or self.write_serializer)(data=self.request.data, partial=partial)
        sent.is_valid(raise_exception=True)
        data = dict(sent.validated_data)
        version = None
        creating = instance is None
        if creating:
            instance = self.new_instance(data)
        else:
            version = self.expected_version()
            services.check_version(instance, version)  # a conflict is said before any form error
        form = form_class(data=self.bound_data(None if creating else instance, data, form_class),
                          instance=instance, **self.form_kwargs(instance, data))
        valid_form(form)
        saved = services.save_object(form=form, actor=self.request.user, expected_version=version,
                                     note=form.cleaned_data.get("note", ""))
        return self.saved(saved, status=201 if creating else 200)

    def create(self, request, *args, **kwargs):
        return self.write(None, partial=False)

    def update(self, request, *args, **kwargs):
        return self.write(self.get_object(), partial=kwargs.get("partial", False))

    def destroy(self, request, *args, **kwargs):
        obj = self.get_object()
        services.delete_object(obj=obj, actor=request.user, expected_version=self.expected_version())
        return Response(status=204)
