"""Schema helpers: the problem responses every operation may give, and the If-Match header."""

from drf_spectacular.authentication import SessionScheme as DrfSessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
                   "description": "Messages by field (non_field_errors: the rest)."},
        "changes": {"type": "array", "items": {"type": "object"},
                    "description": "412: the changes made since the ETag you sent."},
        "current_etag": {"type": "string", "nullable": True},
    },
    "required": ["type", "title", "status", "detail"],
}

IF_MATCH = OpenApiParameter(
    "If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True,
    description="The ETag of the object as you read it: 412 when it changed since, 428 when missing.",
)
ETAG_HEADER = {"ETag": {"schema": {"type": "string"}, "description": "The version of what you read: "
                        "send it back in If-Match to write."}}

ALWAYS = {"400": "Invalid request", "401": "Not authenticated", "403": "Forbidden", "404": "Not found",
          "405": "Method not allowed", "406": "Not acceptable", "415": "Unsupported media type",
          "429": "Too many requests"}
WRITES = {"409": "Conflict (still in use)", "412": "Changed since you read it", "428": "If-Match required"}


def add_problem_responses(result, generator, request, public):
    """Every operation documents the problems it may answer, as application/problem+json; the read
    of an object that takes If-Match writes documents its ETag."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    ref = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            codes = dict(ALWAYS)
            if method in ("put", "patch", "delete", "post"):
                codes.update(WRITES)
            responses = operation.setdefault("responses", {})
            if method == "get" and any(m in path_item for m in ("put", "patch")) and "200" in responses:
                responses["200"].setdefault("headers", {}).update(ETAG_HEADER)
            for code, description in codes.items():
                responses.setdefault(code, {"description": description, "content": ref})
    return result


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """``Authorization: Bearer <token>`` in the schema (and Swagger UI's Authorize button)."""

    target_class = "api.authentication.BearerTokenAuthentication"
    name = "bearerToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "A personal API token (cba_…)."}


class SessionScheme(DrfSessionScheme):
    target_class = "api.authentication.SessionWithCsrfAuthentication"
