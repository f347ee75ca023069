"""Files the API hands over (a certificate, a store's built file): the same bytes, name and type as
the browser's download, whatever ``Accept`` the client sent."""

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from rest_framework.renderers import BaseRenderer, JSONRenderer


class FileRenderer(BaseRenderer):
    """Lets a client ask for the file's type (``Accept: application/x-pem-file``); the view answers an
    ``HttpResponse`` itself, so this renders only errors (as JSON)."""

    media_type = "*/*"
    format = "file"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return JSONRenderer().render(data, None, renderer_context)


# JSON first: a client that accepts anything gets its errors as JSON (problem+json).
FILE_RENDERERS = [JSONRenderer, FileRenderer]


def file_response(artifact) -> HttpResponse:
    response = HttpResponse(artifact.content, content_type=artifact.content_type)
    # A name from a path or a store name may be non-ASCII or hold quotes: RFC 6266 encoding, not raw.
    response["Content-Disposition"] = content_disposition_header(True, artifact.filename)
    return response


def file_responses(*content_types: str) -> dict:
    """The schema of a download: the file, in any of ``content_types``."""
    return {(200, content_type): OpenApiTypes.BINARY for content_type in content_types}
