"""No lost update over HTTP: the browser's versions (``applications.services.object_version``) as
ETags, and ``If-Match`` required on every write to a versioned object.

A read answers ``ETag: "<version>"``. A write sends it back in ``If-Match``; without it the answer is
428, with a version that is no longer current the service raises ``EditConflict`` under its row lock
and the answer is 412 with what changed since (``api.problems.conflict_body``).
"""

from rest_framework.response import Response

from api.filters import ID_PATTERN
from api.problems import PreconditionRequired
from applications import services


def etag(version: str) -> str:
    return f'"{version}"'


def if_match_version(request) -> str:
    """The version the client read, from ``If-Match``; 428 when it sent none. A garbled or weak one
    is passed on as is: it is never current, so the service answers 412."""
    header = (request.headers.get("If-Match") or "").strip()
    if not header:
        raise PreconditionRequired()
    if header == "*":
        raise PreconditionRequired("If-Match: * would overwrite changes you have not seen: send the ETag you read.")
    first = header.split(",")[0].strip()
    if first.startswith("W/"):
        first = first[2:]
    return first.strip('"')


class VersionedObjectMixin:
    """For a viewset whose objects the browser versions with ``services.object_version``: a read
    carries the ETag, ``expected_version()`` gives the If-Match a write must send. A resource with a
    version of its own (an application's options, a store) overrides ``version_of``."""

    lookup_value_regex = ID_PATTERN  # /things/<id>/: a number that is no id is no route (404)

    def version_of(self, obj) -> str:
        return services.object_version(obj)

    def with_etag(self, response: Response, obj) -> Response:
        response["ETag"] = etag(self.version_of(obj))
        return response

    def expected_version(self) -> str:
        return if_match_version(self.request)

    def retrieve(self, request, *args, **kwargs):
        obj = self.get_object()
        return self.with_etag(Response(self.get_serializer(obj).data), obj)
