"""Every API error as ``application/problem+json`` (RFC 9457): ``type``, ``title``, ``status``,
``detail``, and ``errors`` ({field: [messages]}) for invalid input.

``exception_handler`` is DRF's hook; ``handler404``/``handler500`` answer Django's own errors under
``/api/`` the same way (a URL no route matches, a failure outside a view). An unexpected exception
is logged with its traceback and answered with a 500 problem that says nothing of it.
"""

import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from applications.versioning import EditConflict

logger = logging.getLogger("api")

CONTENT_TYPE = "application/problem+json"
API_PREFIX = "/api/"
TYPE_BASE = "https://cobrowse-admin.invalid/problems/"  # "about:blank" plus a stable name per kind


class PreconditionRequired(exceptions.APIException):
    status_code = 428
    default_detail = "This write needs an If-Match header with the ETag of what you read."
    default_code = "precondition_required"


class TooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is larger than the server accepts."
    default_code = "too_large"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"


class QueueUnavailable(exceptions.APIException):
    """The task queue (Redis) could not be reached: what was asked did not start; try again later."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The task queue could not be reached, so this did not start. Try again later."
    default_code = "queue_unavailable"


TITLES = {
    400: "Invalid request", 401: "Not authenticated", 403: "Forbidden", 404: "Not found",
    405: "Method not allowed", 406: "Not acceptable", 409: "Conflict", 412: "Changed since you read it",
    413: "Request too large", 415: "Unsupported media type", 428: "If-Match required",
    429: "Too many requests", 500: "Internal error", 503: "Service unavailable",
}


def problem(status_code: int, detail: str, *, kind: str = "", errors: dict | None = None, **extra) -> dict:
    body = {
        "type": TYPE_BASE + (kind or str(status_code)),
        "title": TITLES.get(status_code, "Error"),
        "status": status_code,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    return body


def field_errors(detail) -> dict[str, list[str]]:
    """DRF's nested error detail as {field: [messages]} (nested fields joined with dots)."""
    out: dict[str, list[str]] = {}

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list) and value and not all(isinstance(v, str) for v in value):
            for index, inner in enumerate(value):
                walk(f"{prefix}.{index}" if prefix else str(index), inner)
        else:
            messages = value if isinstance(value, list) else [value]
            out.setdefault(prefix or "non_field_errors", []).extend(str(m) for m in messages)

    walk("", detail)
    return out


def conflict_body(exc: EditConflict) -> dict:
    changes = [{"at": event.at.isoformat(), "by": event.actor_name, "action": event.action,
                "object": event.object_repr, "changes": sorted(event.changes or {}), "message": event.message}
               for event in exc.events]
    return problem(412, str(exc), kind="edit-conflict", changes=changes,
                   current_etag=f'"{exc.current_version}"' if exc.current_version else None)


def exception_handler(exc, context):
    """DRF's handler, with every answer reshaped as a problem."""
    if isinstance(exc, EditConflict):
        return Response(conflict_body(exc), status=412, content_type=CONTENT_TYPE)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, RequestDataTooBig):
        exc = TooLarge()
    elif isinstance(exc, SuspiciousOperation):
        exc = exceptions.ParseError(f"The request was refused as malformed: {exc}")
    if isinstance(exc, (ProtectedError, RestrictedError)):
        exc = Conflict(f"Still in use by: {', '.join(sorted(str(o) for o in exc.args[1]))[:500]}.")
    response = drf_exception_handler(exc, context)
    if response is None:
        # Not an HTTP error: a bug. Logged whole; the caller learns only that it failed.
        request = context.get("request")
        logger.exception("API error on %s %s", getattr(request, "method", "?"), getattr(request, "path", "?"))
        return Response(problem(500, "The server failed to answer this request; it is logged."), status=500,
                        content_type=CONTENT_TYPE)
    if isinstance(exc, exceptions.ValidationError):
        body = problem(400, "The request has invalid fields.", kind="invalid", errors=field_errors(exc.detail))
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        if isinstance(detail, (list, dict)):
            body = problem(response.status_code, "Invalid request.", errors=field_errors(detail))
        else:
            code = getattr(detail, "code", "") or ""
            body = problem(response.status_code, str(detail), kind=str(code).replace("_", "-"))
    if isinstance(exc, (Http404, PermissionDenied)) and not body["detail"]:
        body["detail"] = TITLES[response.status_code]
    response.data = body
    response.content_type = CONTENT_TYPE
    return response


def _problem_response(status_code: int, detail: str) -> JsonResponse:
    return JsonResponse(problem(status_code, detail), status=status_code, content_type=CONTENT_TYPE)


def handler404(request, exception=None):
    if request.path.startswith(API_PREFIX):
        return _problem_response(404, "No such API route or object.")
    return defaults.page_not_found(request, exception)


def handler500(request):
    if request.path.startswith(API_PREFIX):
        return _problem_response(500, "The server failed to answer this request; it is logged.")
    return defaults.server_error(request)


def handler400(request, exception=None):
    if request.path.startswith(API_PREFIX):
        return _problem_response(400, "Bad request.")
    return defaults.bad_request(request, exception)
